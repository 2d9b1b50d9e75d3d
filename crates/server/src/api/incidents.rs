//! Incidents: read by every member; acknowledged, resolved and annotated by responders.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use tocsin_core::model::{self, IncidentQuery};
use tocsin_core::{EventId, EventPageQuery, IncidentId, IncidentStatus, ServiceId, TeamId};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::record;
use super::dto::{self, Incident, TimelineEvent};
use super::events;
use super::parse_id;
use crate::auth::{role, Caller, InTeam};
use crate::error::{ApiError, ErrorBody};
use crate::json::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

pub const MAX_LIMIT: u32 = 500;
pub const DEFAULT_LIMIT: u32 = 50;
const MAX_NOTE: usize = 10_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
        .routes(routes!(acknowledge))
        .routes(routes!(resolve))
        .routes(routes!(note))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    pub service_id: Option<String>,
    pub team_id: Option<String>,
    /// `triggered`, `acknowledged`, `resolved`, `suppressed`, `open`, or several
    /// comma-separated.
    pub status: Option<String>,
    pub dedup_key: Option<String>,
    /// Search text over titles and dedup keys.
    pub q: Option<String>,
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl ListParams {
    pub fn to_query(&self) -> Result<IncidentQuery, ApiError> {
        let mut statuses = Vec::new();
        for s in self
            .status
            .iter()
            .flat_map(|s| s.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            if s == "open" {
                statuses.extend([IncidentStatus::Triggered, IncidentStatus::Acknowledged]);
            } else {
                statuses.push(IncidentStatus::parse(s).ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_query",
                        format!("status {s:?}: expected triggered, acknowledged, resolved, suppressed or open"),
                    )
                })?);
            }
        }
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("limit must be 1–{MAX_LIMIT}"),
            ));
        }
        Ok(IncidentQuery {
            service_id: self
                .service_id
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(parse_id::<ServiceId>)
                .transpose()?,
            team_id: self
                .team_id
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(parse_id::<TeamId>)
                .transpose()?,
            statuses,
            dedup_key: self.dedup_key.clone(),
            text: self.q.clone().filter(|q| !q.trim().is_empty()),
            limit,
            before: self
                .cursor
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(parse_id::<IncidentId>)
                .transpose()?,
        })
    }
}

/// One page of the incident list, as the web pages read it (core's records).
pub struct Page {
    pub incidents: Vec<model::Incident>,
    pub next_cursor: Option<IncidentId>,
}

// One page of incidents, as the API shows it (as `Page` in the API description).
#[derive(Serialize, ToSchema)]
#[schema(as = Page)]
pub struct PageBody {
    pub incidents: Vec<Incident>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<IncidentId>,
}

/// One page of incidents, newest first. Fetches one extra row to know whether more follow.
pub async fn page(
    state: &AppState, caller: &Caller, params: &ListParams,
) -> Result<Page, ApiError> {
    let mut q = params.to_query()?;
    let limit = q.limit as usize;
    q.limit += 1;
    let mut incidents = state.store.list_incidents(caller.reads(), &q).await?;
    let next_cursor = if incidents.len() > limit {
        incidents.truncate(limit);
        incidents.last().map(|i| i.id)
    } else {
        None
    };
    Ok(Page {
        incidents,
        next_cursor,
    })
}

/// One page of incidents, newest first.
#[utoipa::path(get, path = "/incidents", tag = "incidents", params(ListParams),
    responses((status = 200, body = PageBody), (status = "4XX", body = ErrorBody)))]
async fn list(
    State(s): State<AppState>, caller: Caller, ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<PageBody>, ApiError> {
    let Page {
        incidents,
        next_cursor,
    } = page(&s, &caller, &p).await?;
    Ok(Json(PageBody {
        incidents: dto::all(incidents),
        next_cursor,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Detail {
    #[serde(flatten)]
    incident: Incident,
    /// The newest events (at most 50), oldest first, without raw bodies: each alert event
    /// has `payload` null, its `payload_size` and its `payload_url`.
    timeline: Vec<TimelineEvent>,
    /// When older events exist: pass as `cursor` to `GET /incidents/{id}/events` for them.
    events_next_cursor: Option<EventId>,
}

/// Events embedded in an incident: enough for a person reading it; older ones are paged.
pub const DETAIL_EVENTS: u32 = 50;

/// An incident with its newest events (see `events_next_cursor` for older ones).
#[utoipa::path(get, path = "/incidents/{id}", tag = "incidents",
    params(("id" = IncidentId, Path, description = "incident id")),
    responses((status = 200, body = Detail), (status = "4XX", body = ErrorBody)))]
async fn show(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<IncidentId>,
) -> Result<Json<Detail>, ApiError> {
    let incident = s.store.get_incident(caller.reads(), id).await?.into();
    let page = events::page(&s, &caller, id, &EventPageQuery::newest(DETAIL_EVENTS)).await?;
    let mut timeline = page.events;
    // Oldest first, as the embedded timeline always was.
    timeline.reverse();
    Ok(Json(Detail {
        incident,
        timeline: dto::all(timeline),
        events_next_cursor: page.next_cursor,
    }))
}

/// The incident, and the caller as a responder in its team: 404 outside the caller's teams,
/// 403 below responder.
async fn as_responder<'c>(
    s: &AppState, caller: &'c Caller, id: IncidentId,
) -> Result<(model::Incident, InTeam<'c, role::Responder>), ApiError> {
    let inc = s.store.get_incident(caller.reads(), id).await?;
    let team = caller.at(inc.team_id)?;
    Ok((inc, team))
}

/// Acknowledge (responders). Acknowledging twice is harmless.
#[utoipa::path(post, path = "/incidents/{id}/acknowledge", tag = "incidents",
    params(("id" = IncidentId, Path, description = "incident id")),
    responses((status = 200, body = Incident), (status = "4XX", body = ErrorBody)))]
async fn acknowledge(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<IncidentId>,
) -> Result<Json<Incident>, ApiError> {
    let (inc, team) = as_responder(&s, &caller, id).await?;
    let done = s.store.acknowledge(team.scope(), id, team.actor()).await?;
    s.wake.wake();
    if inc.status != done.status {
        record(
            &s,
            team.actor(),
            "incident.acknowledge",
            Some(team.team()),
            id,
            None,
        )
        .await;
    }
    Ok(Json(done.into()))
}

/// Resolve (responders).
#[utoipa::path(post, path = "/incidents/{id}/resolve", tag = "incidents",
    params(("id" = IncidentId, Path, description = "incident id")),
    responses((status = 200, body = Incident), (status = "4XX", body = ErrorBody)))]
async fn resolve(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<IncidentId>,
) -> Result<Json<Incident>, ApiError> {
    let (inc, team) = as_responder(&s, &caller, id).await?;
    let done = s.store.resolve(team.scope(), id, team.actor()).await?;
    s.wake.wake();
    if inc.status != done.status {
        s.metrics.count_incident("resolved");
    }
    record(
        &s,
        team.actor(),
        "incident.resolve",
        Some(team.team()),
        id,
        None,
    )
    .await;
    Ok(Json(done.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    #[schema(min_length = 1, max_length = 10000, pattern = r"\S")]
    text: String,
}

/// Add a note to the timeline (responders).
#[utoipa::path(post, path = "/incidents/{id}/notes", tag = "incidents", request_body = NewNote,
    params(("id" = IncidentId, Path, description = "incident id")),
    responses((status = 201, body = TimelineEvent), (status = "4XX", body = ErrorBody)))]
async fn note(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<IncidentId>,
    ApiJson(body): ApiJson<NewNote>,
) -> Result<(StatusCode, Json<TimelineEvent>), ApiError> {
    let text = body.text.trim();
    if text.is_empty() || text.chars().count() > MAX_NOTE || text.contains('\0') {
        return Err(ApiError::bad_request(
            "invalid_field",
            format!("field `text`: must be 1–{MAX_NOTE} characters, without NUL"),
        ));
    }
    let (_, team) = as_responder(&s, &caller, id).await?;
    let note = s
        .store
        .add_note(team.scope(), id, team.actor(), text)
        .await?;
    Ok((StatusCode::CREATED, Json(note.into())))
}
