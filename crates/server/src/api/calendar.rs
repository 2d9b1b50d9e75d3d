//! iCalendar feeds of shifts: a schedule's (members, with their credentials, or anyone with
//! the schedule's secret URL) and a user's own across every schedule they appear in (the
//! user or an org admin, or the user's secret URL). A secret URL is
//! `{public_url}/calendar/<token>.ics`; the token is stored as its SHA-256 only, shown once,
//! and is a 43-character URL-safe run, which `logsafe::redact_path` keeps out of the log.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Duration, Utc};
use tocsin_core::model::Scope;
use tocsin_core::schedule::ical;
use tocsin_core::schedule::records::{FeedOf, Schedule, FEED_AHEAD_DAYS, FEED_PAST_DAYS};
use tocsin_core::schedule::Shift;
use tocsin_core::{ScheduleId, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::record;
use super::dto::CalendarFeedUrl;
use super::paging::managed_user;
use super::schedules::{compiled, usernames};
use crate::auth::{role, Caller};
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiPath;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(schedule_ics))
        .routes(routes!(create_schedule_feed, revoke_schedule_feed))
        .routes(routes!(user_ics))
        .routes(routes!(create_user_feed, revoke_user_feed))
}

fn ics(text: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        text,
    )
        .into_response()
}

/// The schedule's feed, from 7 days ago to 60 days ahead.
async fn schedule_feed(s: &AppState, sch: &Schedule) -> Result<String, ApiError> {
    let now = Utc::now();
    let (from, to) = (
        now - Duration::days(FEED_PAST_DAYS),
        now + Duration::days(FEED_AHEAD_DAYS),
    );
    let overrides: Vec<_> = s
        .store
        .list_overrides(&Scope::All, sch.id, from)
        .await?
        .iter()
        .map(|o| o.rule())
        .collect();
    let shifts = compiled(&sch.rules)?.shifts(&overrides, from, to);
    let who = usernames(s, shifts.iter().map(|x| x.user_id).collect()).await?;
    Ok(ical::feed(
        &sch.name,
        &sch.id.to_string(),
        &shifts,
        &who,
        now,
    ))
}

/// The user's own shifts on every schedule, over the same range; each titled with its
/// schedule.
async fn user_feed(s: &AppState, user: UserId) -> Result<String, ApiError> {
    let now = Utc::now();
    let (from, to) = (
        now - Duration::days(FEED_PAST_DAYS),
        now + Duration::days(FEED_AHEAD_DAYS),
    );
    let mut groups: Vec<(String, Vec<Shift>)> = Vec::new();
    for (sch, overrides) in s.store.schedules_of_user(user, from).await? {
        let mine = compiled(&sch.rules)?
            .shifts(&overrides, from, to)
            .into_iter()
            .filter(|x| x.user_id == user)
            .map(|x| Shift {
                layer: Some(match &x.layer {
                    Some(l) if !x.is_override => format!("{}: {l}", sch.name),
                    _ => sch.name.clone(),
                }),
                ..x
            })
            .collect();
        groups.push((sch.id.to_string(), mine));
    }
    let who = usernames(s, vec![user]).await?;
    let name = format!(
        "On call: {}",
        who.get(&user).map_or("unknown user", String::as_str)
    );
    let refs: Vec<(&str, &[Shift])> = groups
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_slice()))
        .collect();
    Ok(ical::feed_of_many(&name, &refs, &who, now))
}

/// A new secret URL for `of`, replacing the one before.
async fn new_feed(s: &AppState, of: FeedOf) -> Result<CalendarFeedUrl, ApiError> {
    let token = crate::secrets::new_calendar_token();
    s.store
        .create_calendar_feed(of, tocsin_core::secret::hash(&token))
        .await?;
    Ok(CalendarFeedUrl {
        url: format!("{}/calendar/{token}.ics", s.public_url),
    })
}

/// The schedule's shifts from 7 days ago to 60 days ahead as iCalendar (members).
#[utoipa::path(get, path = "/schedules/{id}/calendar.ics", tag = "schedules",
    params(("id" = ScheduleId, Path, description = "schedule id")),
    responses((status = 200, description = "RFC 5545 text", content_type = "text/calendar",
        body = String), (status = "4XX", body = ErrorBody)))]
async fn schedule_ics(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ScheduleId>,
) -> Result<Response, ApiError> {
    let sch = s.store.get_schedule(caller.reads(), id).await?;
    Ok(ics(schedule_feed(&s, &sch).await?))
}

/// A secret URL serving the schedule's feed without signing in (team admins), shown in this
/// answer only; it replaces the schedule's previous one.
#[utoipa::path(post, path = "/schedules/{id}/calendar-feed", tag = "schedules",
    params(("id" = ScheduleId, Path, description = "schedule id")),
    responses((status = 201, body = CalendarFeedUrl), (status = "4XX", body = ErrorBody)))]
async fn create_schedule_feed(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ScheduleId>,
) -> Result<(StatusCode, Json<CalendarFeedUrl>), ApiError> {
    let sch = s.store.get_schedule(caller.reads(), id).await?;
    let team = caller.at::<role::Admin>(sch.team_id)?;
    let url = new_feed(&s, FeedOf::Schedule(id)).await?;
    record(
        &s,
        team.actor(),
        "schedule.calendar_feed.create",
        Some(sch.team_id),
        id,
        None,
    )
    .await;
    Ok((StatusCode::CREATED, Json(url)))
}

/// Revoke the schedule's secret URL (team admins); 404 when it has none.
#[utoipa::path(delete, path = "/schedules/{id}/calendar-feed", tag = "schedules",
    params(("id" = ScheduleId, Path, description = "schedule id")),
    responses((status = 204, description = "Revoked"), (status = "4XX", body = ErrorBody)))]
async fn revoke_schedule_feed(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ScheduleId>,
) -> Result<StatusCode, ApiError> {
    let sch = s.store.get_schedule(caller.reads(), id).await?;
    let team = caller.at::<role::Admin>(sch.team_id)?;
    if !s.store.revoke_calendar_feed(FeedOf::Schedule(id)).await? {
        return Err(ApiError::not_found("calendar feed"));
    }
    record(
        &s,
        team.actor(),
        "schedule.calendar_feed.revoke",
        Some(sch.team_id),
        id,
        None,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// The user's own shifts on every schedule, 7 days back to 60 ahead, as iCalendar (the user
/// or an org admin).
#[utoipa::path(get, path = "/users/{id}/calendar.ics", tag = "schedules",
    params(("id" = UserId, Path, description = "user id")),
    responses((status = 200, description = "RFC 5545 text", content_type = "text/calendar",
        body = String), (status = "4XX", body = ErrorBody)))]
async fn user_ics(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<UserId>,
) -> Result<Response, ApiError> {
    let user = managed_user(&s, &caller, id).await?;
    Ok(ics(user_feed(&s, user).await?))
}

/// A secret URL serving the user's own feed without signing in (the user or an org admin),
/// shown in this answer only; it replaces the user's previous one.
#[utoipa::path(post, path = "/users/{id}/calendar-feed", tag = "schedules",
    params(("id" = UserId, Path, description = "user id")),
    responses((status = 201, body = CalendarFeedUrl), (status = "4XX", body = ErrorBody)))]
async fn create_user_feed(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<UserId>,
) -> Result<(StatusCode, Json<CalendarFeedUrl>), ApiError> {
    let user = managed_user(&s, &caller, id).await?;
    let url = new_feed(&s, FeedOf::User(user)).await?;
    record(
        &s,
        caller.actor(),
        "user.calendar_feed.create",
        None,
        user,
        None,
    )
    .await;
    Ok((StatusCode::CREATED, Json(url)))
}

/// Revoke the user's secret URL (the user or an org admin); 404 when there is none.
#[utoipa::path(delete, path = "/users/{id}/calendar-feed", tag = "schedules",
    params(("id" = UserId, Path, description = "user id")),
    responses((status = 204, description = "Revoked"), (status = "4XX", body = ErrorBody)))]
async fn revoke_user_feed(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<UserId>,
) -> Result<StatusCode, ApiError> {
    let user = managed_user(&s, &caller, id).await?;
    if !s.store.revoke_calendar_feed(FeedOf::User(user)).await? {
        return Err(ApiError::not_found("calendar feed"));
    }
    record(
        &s,
        caller.actor(),
        "user.calendar_feed.revoke",
        None,
        user,
        None,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /calendar/<token>.ics`, without credentials: the feed the token was made for. An
/// unknown or revoked token, a disabled user's, or any other name, is 404.
pub async fn secret_feed(
    State(s): State<AppState>, ApiPath(file): ApiPath<String>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found("calendar feed");
    let token = file.strip_suffix(".ics").ok_or_else(not_found)?;
    let feed = s
        .store
        .calendar_feed_by_hash(tocsin_core::secret::hash(token))
        .await?
        .ok_or_else(not_found)?;
    let text = match feed.of {
        FeedOf::Schedule(id) => {
            let sch = s.store.get_schedule(&Scope::All, id).await?;
            schedule_feed(&s, &sch).await?
        }
        FeedOf::User(user) => {
            // A disabled user's feed stops with their sessions and tokens.
            match s.accounts.user_by_id(user).await? {
                Some(u) if !u.disabled => user_feed(&s, user).await?,
                _ => return Err(not_found()),
            }
        }
    };
    Ok(ics(text))
}
