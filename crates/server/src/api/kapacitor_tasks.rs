//! A team's Kapacitor (the doctor's live tasks): the URL the team set, and the enabled tasks
//! of that Kapacitor that post to the team's services, with their findings, when each last
//! alerted (Kapacitor's own record: its alert topics' latest event) and the services that
//! heard from Kapacitor before but that no enabled task feeds any more.
//!
//! Reading a URL a user gave is outbound traffic: every request goes through the senders'
//! guard (`notify::Sender::get_json`: checked addresses, never link-local or metadata, no
//! redirects, no proxy, timeouts, a size cap). Team members read the listing; team admins set
//! the URL (it makes the server call out).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tocsin_core::kapacitor_check::live::Service;
use tocsin_core::kapacitor_check::TocsinUrls;
use tocsin_core::paging::destination::check_url;
use tocsin_core::{ServiceId, SourceKind, TeamId};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::record;
use super::kapacitor::FindingView;
use crate::auth::{role, Caller};
use crate::error::{ApiError, ErrorBody};
use crate::json::{ApiJson, ApiPath};
use crate::notify::kapacitor::{self, getter};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show, set))
        .routes(routes!(tasks))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KapacitorSetting {
    /// Kapacitor's HTTP API, e.g. `http://kapacitor:9092`; null when not set.
    pub kapacitor_url: Option<String>,
}

/// The team's Kapacitor URL (team members).
#[utoipa::path(get, path = "/teams/{id}/kapacitor", tag = "kapacitor",
    params(("id" = TeamId, Path, description = "team id")),
    responses((status = 200, body = KapacitorSetting), (status = "4XX", body = ErrorBody)))]
async fn show(
    State(s): State<AppState>, caller: Caller, ApiPath(team): ApiPath<TeamId>,
) -> Result<Json<KapacitorSetting>, ApiError> {
    let kapacitor_url = s.store.team_kapacitor_url(caller.reads(), team).await?;
    Ok(Json(KapacitorSetting { kapacitor_url }))
}

/// Set or clear the team's Kapacitor URL (team admins): an http(s) URL with a host.
#[utoipa::path(put, path = "/teams/{id}/kapacitor", tag = "kapacitor",
    params(("id" = TeamId, Path, description = "team id")),
    request_body = KapacitorSetting,
    responses((status = 200, body = KapacitorSetting), (status = "4XX", body = ErrorBody)))]
async fn set(
    State(s): State<AppState>, caller: Caller, ApiPath(team): ApiPath<TeamId>,
    ApiJson(body): ApiJson<KapacitorSetting>,
) -> Result<Json<KapacitorSetting>, ApiError> {
    let team = caller.at::<role::Admin>(team)?;
    let url = match body.kapacitor_url.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(u) if u.len() > 2000 => {
            return Err(ApiError::bad_request(
                "invalid_field",
                "field `kapacitor_url`: at most 2000 characters",
            ))
        }
        Some(u) => Some(
            check_url(u)
                .map_err(|e| {
                    ApiError::bad_request("invalid_field", format!("field `kapacitor_url`: {e}"))
                })?
                .to_string()
                .trim_end_matches('/')
                .to_owned(),
        ),
    };
    s.store
        .set_team_kapacitor_url(team.scope(), team.team(), url.as_deref())
        .await?;
    record(
        &s,
        team.actor(),
        "team.kapacitor_url",
        Some(team.team()),
        team.team(),
        url.clone(),
    )
    .await;
    Ok(Json(KapacitorSetting { kapacitor_url: url }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceRef {
    pub id: ServiceId,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LiveTaskView {
    /// Kapacitor's task id.
    pub id: String,
    /// The team's services it posts to.
    pub services: Vec<ServiceRef>,
    /// Kapacitor's time of the task's latest alert; null if it never alerted.
    pub last_alerted_at: Option<DateTime<Utc>>,
    pub findings: Vec<FindingView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LiveTasks {
    pub kapacitor_url: String,
    /// Why Kapacitor could not be read (a refused address, a timeout, not Kapacitor's
    /// answer); then `tasks` and `silent_services` are empty. Null when it was read. (As with
    /// "send test", a failure out there is an answer, not a server error.)
    pub error: Option<String>,
    pub tasks: Vec<LiveTaskView>,
    /// Services that received Kapacitor alerts before but that no enabled task posts to.
    pub silent_services: Vec<ServiceRef>,
}

/// The live listing for `team` (shared by the API and the team's Kapacitor page).
pub async fn live_tasks(
    s: &AppState, caller: &Caller, team: TeamId,
) -> Result<LiveTasks, ApiError> {
    let base = s
        .store
        .team_kapacitor_url(caller.reads(), team)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "no_kapacitor_url",
                "the team has no Kapacitor URL: set it first (PUT /teams/{id}/kapacitor)",
            )
        })?;
    let Some(notifier) = &s.notifier else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "outbound_unavailable",
            "this server makes no outbound requests",
        ));
    };
    let mut services = Vec::new();
    for svc in s.store.list_services(caller.reads(), Some(team)).await? {
        let heard = s
            .store
            .alert_source_activity(caller.reads(), svc.id)
            .await?
            .iter()
            .any(|a| a.source == SourceKind::Kapacitor && a.last_event_at.is_some());
        services.push(Service {
            id: svc.id,
            name: svc.name,
            key: svc.api_key,
            heard_from_kapacitor: heard,
        });
    }
    let hosts = TocsinUrls::host_of(&s.public_url).into_iter().collect();
    let read = match kapacitor::read(getter(notifier, &base), None, &services, hosts).await {
        Ok(r) => r,
        // A failure out there is an answer, not a server error.
        Err(e) => {
            return Ok(LiveTasks {
                kapacitor_url: base,
                error: Some(format!("could not read Kapacitor: {e}")),
                tasks: Vec::new(),
                silent_services: Vec::new(),
            })
        }
    };
    let name = |id: ServiceId| ServiceRef {
        id,
        name: services
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.clone())
            .unwrap_or_default(),
    };
    let tasks = read
        .listing
        .tasks
        .into_iter()
        .zip(read.last_alerted)
        .map(|(t, last)| LiveTaskView {
            last_alerted_at: last,
            services: t.services.iter().map(|id| name(*id)).collect(),
            findings: t.findings.into_iter().map(FindingView::from).collect(),
            id: t.id,
        })
        .collect();
    Ok(LiveTasks {
        kapacitor_url: base,
        error: None,
        tasks,
        silent_services: read.listing.silent.into_iter().map(name).collect(),
    })
}

/// The team's Kapacitor's enabled tasks that post to the team's services (team members).
/// 409 `no_kapacitor_url` until the URL is set; when Kapacitor cannot be read, `error` says
/// why (a refused address, a timeout, not Kapacitor's answer).
#[utoipa::path(get, path = "/teams/{id}/kapacitor/tasks", tag = "kapacitor",
    params(("id" = TeamId, Path, description = "team id")),
    responses((status = 200, body = LiveTasks),
        (status = 409, description = "`no_kapacitor_url`", body = ErrorBody),
        (status = "4XX", body = ErrorBody)))]
async fn tasks(
    State(s): State<AppState>, caller: Caller, ApiPath(team): ApiPath<TeamId>,
) -> Result<Json<LiveTasks>, ApiError> {
    Ok(Json(live_tasks(&s, &caller, team).await?))
}
