//! On-call schedules: a team's rotations (layers in a time zone), who is on call when, and
//! the shifts over a range. Members read their teams' schedules; team admins write them.
//! Every rule is core's (`tocsin_core::schedule`): a body is compiled there before it reaches
//! the store, and every answer is evaluated there.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use tocsin_core::schedule::records::{GAP_HORIZON_DAYS, UNTIL_HORIZON_DAYS};
use tocsin_core::schedule::{
    check_range, layer_shifts, Compiled, Layer, LayerShifts, ScheduleRules, Shift, Span,
};
use tocsin_core::{ScheduleId, TeamId, UserId};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::record;
use super::dto::{OnCall, OnCallUser, Schedule};
use super::{parse_id, parse_name};
use crate::auth::{role, Caller};
use crate::error::{ApiError, ErrorBody};
use crate::json::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, remove))
        .routes(routes!(on_call))
        .routes(routes!(shifts))
        .routes(routes!(layers))
}

/// A schedule as written: `team_id` on creation (and, on update, only the schedule's own).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    /// Required to create; on update it may be given, and must be the schedule's team.
    team_id: Option<TeamId>,
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// An IANA time zone name, e.g. `Europe/Berlin`.
    time_zone: String,
    /// 1 to 10 layers; where several cover an instant, the last wins.
    layers: Vec<Layer>,
}

impl ScheduleBody {
    /// The name and rules, compiled by core; 400 naming the field otherwise.
    fn check(self) -> Result<(Option<TeamId>, String, ScheduleRules), ApiError> {
        let name = parse_name("name", &self.name)?;
        let rules = ScheduleRules {
            time_zone: self.time_zone,
            layers: self.layers,
        };
        compile(&rules)?;
        Ok((self.team_id, name, rules))
    }
}

fn compile(rules: &ScheduleRules) -> Result<Compiled, ApiError> {
    rules
        .compile()
        .map_err(|e| ApiError::bad_request("invalid_field", format!("field `{}`: {e}", e.field())))
}

/// Stored rules were compiled before they were stored; one that no longer compiles (a time
/// zone gone from the database) is a fault, not the caller's.
pub(super) fn compiled(rules: &ScheduleRules) -> Result<Compiled, ApiError> {
    rules
        .compile()
        .map_err(|e| ApiError::internal("stored schedule rules", e))
}

/// The schedule as the API shows it, with the gaps of its layers over the next 14 days.
fn view(s: tocsin_core::schedule::records::Schedule) -> Result<Schedule, ApiError> {
    let now = Utc::now();
    let gaps: Vec<Span> =
        compiled(&s.rules)?.gaps(&[], now, now + Duration::days(GAP_HORIZON_DAYS));
    Ok(Schedule::new(s, gaps))
}

/// An RFC 3339 instant from the query string, refused naming the parameter.
pub(super) fn instant(field: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::bad_request(
                "invalid_query",
                format!(
                    "query parameter `{field}`: must be an RFC 3339 instant, e.g. 2026-03-29T01:00:00Z"
                ),
            )
        })
}

/// Usernames of `ids`, for answers that name people.
pub(super) async fn usernames(
    s: &AppState, ids: Vec<UserId>,
) -> Result<HashMap<UserId, String>, ApiError> {
    let mut out = HashMap::new();
    for id in ids {
        if out.contains_key(&id) {
            continue;
        }
        if let Some(u) = s.accounts.user_by_id(id).await? {
            out.insert(id, u.username);
        }
    }
    Ok(out)
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only this team's schedules (default: every team you can see).
    team_id: Option<String>,
}

/// The schedules of your teams, by name.
#[utoipa::path(get, path = "/schedules", tag = "schedules", params(ListQuery),
    responses((status = 200, body = Vec<Schedule>), (status = "4XX", body = ErrorBody)))]
async fn list(
    State(s): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<Schedule>>, ApiError> {
    let team = q
        .team_id
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(parse_id::<TeamId>)
        .transpose()?;
    let all = s.store.list_schedules(caller.reads(), team).await?;
    Ok(Json(all.into_iter().map(view).collect::<Result<_, _>>()?))
}

/// Create a schedule (team admins). Every participant must be a user (400 naming
/// `layers[i].participants[j]`). The answer's `gaps` are where nobody is on call over the next
/// 14 days.
#[utoipa::path(post, path = "/schedules", tag = "schedules", request_body = ScheduleBody,
    responses((status = 201, body = Schedule),
        (status = 409, description = "The team has a schedule of that name", body = ErrorBody),
        (status = "4XX", body = ErrorBody)))]
async fn create(
    State(s): State<AppState>, caller: Caller, ApiJson(body): ApiJson<ScheduleBody>,
) -> Result<(StatusCode, Json<Schedule>), ApiError> {
    let (team, name, rules) = body.check()?;
    let team =
        team.ok_or_else(|| ApiError::bad_request("missing_field", "missing field `team_id`"))?;
    let team = caller.at::<role::Admin>(team)?;
    let sch = s
        .store
        .create_schedule(team.scope(), team.team(), &name, &rules)
        .await?;
    record(
        &s,
        team.actor(),
        "schedule.create",
        Some(sch.team_id),
        sch.id,
        Some(sch.name.clone()),
    )
    .await;
    Ok((StatusCode::CREATED, Json(view(sch)?)))
}

#[utoipa::path(get, path = "/schedules/{id}", tag = "schedules",
    params(("id" = ScheduleId, Path, description = "schedule id")),
    responses((status = 200, body = Schedule), (status = "4XX", body = ErrorBody)))]
async fn show(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ScheduleId>,
) -> Result<Json<Schedule>, ApiError> {
    Ok(Json(view(s.store.get_schedule(caller.reads(), id).await?)?))
}

/// Replace a schedule's name and rules (team admins); `gaps` as on creation.
#[utoipa::path(put, path = "/schedules/{id}", tag = "schedules",
    params(("id" = ScheduleId, Path, description = "schedule id")),
    request_body = ScheduleBody,
    responses((status = 200, body = Schedule), (status = "4XX", body = ErrorBody)))]
async fn update(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ScheduleId>,
    ApiJson(body): ApiJson<ScheduleBody>,
) -> Result<Json<Schedule>, ApiError> {
    let old = s.store.get_schedule(caller.reads(), id).await?;
    let team = caller.at::<role::Admin>(old.team_id)?;
    let (moved_to, name, rules) = body.check()?;
    super::stays_in_team(moved_to, old.team_id, "schedule")?;
    let sch = s
        .store
        .update_schedule(team.scope(), id, &name, &rules)
        .await?;
    record(
        &s,
        team.actor(),
        "schedule.update",
        Some(sch.team_id),
        sch.id,
        Some(sch.name.clone()),
    )
    .await;
    Ok(Json(view(sch)?))
}

/// Delete a schedule with its overrides and calendar feeds (team admins); refused (409)
/// while an escalation policy names it.
#[utoipa::path(delete, path = "/schedules/{id}", tag = "schedules",
    params(("id" = ScheduleId, Path, description = "schedule id")),
    responses((status = 204, description = "Deleted"),
        (status = 409, description = "An escalation policy names it", body = ErrorBody),
        (status = "4XX", body = ErrorBody)))]
async fn remove(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ScheduleId>,
) -> Result<StatusCode, ApiError> {
    let old = s.store.get_schedule(caller.reads(), id).await?;
    let team = caller.at::<role::Admin>(old.team_id)?;
    s.store.delete_schedule(team.scope(), id).await?;
    record(
        &s,
        team.actor(),
        "schedule.delete",
        Some(old.team_id),
        id,
        Some(old.name),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
pub struct OnCallQuery {
    /// The instant asked about, RFC 3339 (default: now).
    at: Option<String>,
}

/// Who is on call at `at` (default now), and until when: the next hand-off within 366 days.
#[utoipa::path(get, path = "/schedules/{id}/on-call", tag = "schedules",
    params(("id" = ScheduleId, Path, description = "schedule id"), OnCallQuery),
    responses((status = 200, body = OnCall), (status = "4XX", body = ErrorBody)))]
async fn on_call(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ScheduleId>,
    ApiQuery(q): ApiQuery<OnCallQuery>,
) -> Result<Json<OnCall>, ApiError> {
    let at = match q.at.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => instant("at", t)?,
        None => Utc::now(),
    };
    let sch = s.store.get_schedule(caller.reads(), id).await?;
    let overrides: Vec<_> = s
        .store
        .list_overrides(caller.reads(), id, at)
        .await?
        .iter()
        .map(|o| o.rule())
        .collect();
    let c = compiled(&sch.rules)?;
    let ids = c.on_call_at(&overrides, at);
    let until = c.until(&overrides, at, Duration::days(UNTIL_HORIZON_DAYS));
    let names = usernames(&s, ids.clone()).await?;
    let users = ids
        .into_iter()
        .map(|id| OnCallUser {
            id,
            username: names.get(&id).cloned().unwrap_or_default(),
        })
        .collect();
    Ok(Json(OnCall { users, until }))
}

#[derive(Deserialize, IntoParams)]
pub struct ShiftsQuery {
    /// Start of the range, RFC 3339.
    from: Option<String>,
    /// End of the range, RFC 3339: after `from`, at most 366 days later.
    to: Option<String>,
}

/// `from` and `to`, both required, checked by `check_range`.
fn range(q: ShiftsQuery) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let required = |field: &str, v: Option<String>| {
        v.filter(|t| !t.is_empty()).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                format!("query parameter `{field}`: required (an RFC 3339 instant)"),
            )
        })
    };
    let from = instant("from", &required("from", q.from)?)?;
    let to = instant("to", &required("to", q.to)?)?;
    check_range(from, to).map_err(|e| {
        ApiError::bad_request("invalid_query", format!("query parameter `to`: {e}"))
    })?;
    Ok((from, to))
}

/// The final shifts over `[from, to)`: layers stacked (the last wins), overrides on top, cut
/// at the range's ends. Gaps are where no shift is.
#[utoipa::path(get, path = "/schedules/{id}/shifts", tag = "schedules",
    params(("id" = ScheduleId, Path, description = "schedule id"), ShiftsQuery),
    responses((status = 200, body = Vec<Shift>), (status = "4XX", body = ErrorBody)))]
async fn shifts(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ScheduleId>,
    ApiQuery(q): ApiQuery<ShiftsQuery>,
) -> Result<Json<Vec<Shift>>, ApiError> {
    let (from, to) = range(q)?;
    let sch = s.store.get_schedule(caller.reads(), id).await?;
    let overrides: Vec<_> = s
        .store
        .list_overrides(caller.reads(), id, from)
        .await?
        .iter()
        .map(|o| o.rule())
        .collect();
    Ok(Json(compiled(&sch.rules)?.shifts(&overrides, from, to)))
}

/// Each layer's own rotation over `[from, to)`, before stacking and overrides (the rows
/// of the schedule's timeline above its final result).
#[utoipa::path(get, path = "/schedules/{id}/layers", tag = "schedules",
    params(("id" = ScheduleId, Path, description = "schedule id"), ShiftsQuery),
    responses((status = 200, body = Vec<LayerShifts>), (status = "4XX", body = ErrorBody)))]
async fn layers(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ScheduleId>,
    ApiQuery(q): ApiQuery<ShiftsQuery>,
) -> Result<Json<Vec<LayerShifts>>, ApiError> {
    let (from, to) = range(q)?;
    let sch = s.store.get_schedule(caller.reads(), id).await?;
    let layers = layer_shifts(&sch.rules, from, to)
        .map_err(|e| ApiError::internal("a stored schedule's rules", e))?;
    Ok(Json(layers))
}
