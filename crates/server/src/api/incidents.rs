use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tocsin_core::model::{Incident, IncidentQuery, TimelineEvent};
use tocsin_core::{IncidentId, IncidentStatus, ServiceId, TeamId};

use super::parse_id;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::{ApiJson, ApiQuery};
use crate::state::AppState;

pub const MAX_LIMIT: u32 = 500;
pub const DEFAULT_LIMIT: u32 = 50;
const MAX_NOTE: usize = 10_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/incidents", get(list))
        .route("/incidents/{id}", get(show))
        .route("/incidents/{id}/acknowledge", post(acknowledge))
        .route("/incidents/{id}/resolve", post(resolve))
        .route("/incidents/{id}/notes", post(note))
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    pub service_id: Option<String>,
    pub team_id: Option<String>,
    /// `triggered`, `acknowledged`, `resolved`, `open`, or several comma-separated.
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
                        format!("status {s:?}: expected triggered, acknowledged, resolved or open"),
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

#[derive(Serialize)]
pub struct Page {
    pub incidents: Vec<Incident>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<IncidentId>,
}

/// One page of incidents, newest first. Fetches one extra row to know whether more follow.
pub async fn page(
    state: &AppState,
    caller: &Caller,
    params: &ListParams,
) -> Result<Page, ApiError> {
    let mut q = params.to_query()?;
    let limit = q.limit as usize;
    q.limit += 1;
    let mut incidents = state.store.list_incidents(&caller.scope, &q).await?;
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

async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<Page>, ApiError> {
    Ok(Json(page(&s, &caller, &p).await?))
}

#[derive(Serialize)]
struct Detail {
    #[serde(flatten)]
    incident: Incident,
    timeline: Vec<TimelineEvent>,
}

async fn show(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Detail>, ApiError> {
    let id: IncidentId = parse_id(&id)?;
    let incident = s.store.get_incident(&caller.scope, id).await?;
    let timeline = s.store.timeline(&caller.scope, id).await?;
    Ok(Json(Detail { incident, timeline }))
}

async fn acknowledge(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Incident>, ApiError> {
    let id: IncidentId = parse_id(&id)?;
    Ok(Json(
        s.store
            .acknowledge(&caller.scope, id, caller.actor())
            .await?,
    ))
}

async fn resolve(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Incident>, ApiError> {
    let id: IncidentId = parse_id(&id)?;
    let incident = s.store.resolve(&caller.scope, id, caller.actor()).await?;
    s.metrics.count_incident("resolved");
    Ok(Json(incident))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewNote {
    text: String,
}

async fn note(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewNote>,
) -> Result<(StatusCode, Json<TimelineEvent>), ApiError> {
    let id: IncidentId = parse_id(&id)?;
    let text = body.text.trim();
    if text.is_empty() || text.chars().count() > MAX_NOTE {
        return Err(ApiError::bad_request(
            "invalid_field",
            format!("field `text`: must be 1–{MAX_NOTE} characters"),
        ));
    }
    Ok((
        StatusCode::CREATED,
        Json(
            s.store
                .add_note(&caller.scope, id, caller.actor(), text)
                .await?,
        ),
    ))
}
