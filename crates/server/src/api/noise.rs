//! Noise control per service (issue 18): the ordered rules (`PUT`/`GET …/rules`, and a preview
//! of what a list would do to the service's last 50 alerts) and maintenance windows. Members
//! read; team admins write. Every change is in the audit log and evicts the service from this
//! node's noise cache at once (other nodes see it within the cache's 5 s).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use tocsin_core::noise::rules::{RuleSet, RuleSpec};
use tocsin_core::noise::screen::NoiseConfig;
use tocsin_core::noise::windows::{Window, WindowSpec};
use tocsin_core::{MaintenanceWindowId, ServiceId, SourceKind};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::record;
use super::dto::{MaintenanceWindow, PreviewAlert, RulesPreview, WindowEnded};
use crate::auth::{role, Caller};
use crate::error::{ApiError, ErrorBody};
use crate::json::{body_rejection, decode, ApiJson, ApiPath};
use crate::state::AppState;

/// The preview replays this many of the service's latest alerts.
const PREVIEW_ALERTS: u32 = 50;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_rules, put_rules))
        .routes(routes!(preview))
        .routes(routes!(list_windows, create_window))
        .routes(routes!(end_window))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesBody {
    /// The ordered list, as `PUT …/rules` takes it.
    rules: Vec<RuleSpec>,
}

/// The list, compiled: a refusal names the rule and its field (`rules[1].conditions[0].value:
/// not a valid regex …`) and nothing is stored.
fn compile(rules: &[RuleSpec]) -> Result<RuleSet, ApiError> {
    RuleSet::compile(rules).map_err(|e| ApiError::bad_request("invalid_field", e.to_string()))
}

/// The service's rules in order (empty when none were saved).
#[utoipa::path(get, path = "/services/{id}/rules", tag = "noise",
    params(("id" = ServiceId, Path, description = "service id")),
    responses((status = 200, body = Vec<RuleSpec>), (status = "4XX", body = ErrorBody)))]
async fn get_rules(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ServiceId>,
) -> Result<Json<Vec<RuleSpec>>, ApiError> {
    Ok(Json(s.store.service_rules(caller.reads(), id).await?))
}

/// Replace the service's rules (team admins) with the ordered list, run in order on every
/// alert before dedup. The body is the list itself (`[{action, conditions, …}]`; `{"rules":
/// [...]}` is taken too). A bad rule (unknown field, bad regex, a route to a service outside
/// the team, a missing parameter) is 400 `invalid_field` naming `rules[i].<field>`; nothing is
/// stored.
#[utoipa::path(put, path = "/services/{id}/rules", tag = "noise",
    params(("id" = ServiceId, Path, description = "service id")),
    request_body = Vec<RuleSpec>,
    responses((status = 200, body = Vec<RuleSpec>), (status = "4XX", body = ErrorBody)))]
async fn put_rules(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ServiceId>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Vec<RuleSpec>>, ApiError> {
    let svc = s.store.get_service(caller.reads(), id).await?;
    let team = caller.at::<role::Admin>(svc.team_id)?;
    let rules = rule_list(&body.map_err(body_rejection)?)?;
    compile(&rules)?;
    s.store
        .set_service_rules(team.scope(), id, &rules, team.actor())
        .await?;
    s.noise.evict(id);
    record(
        &s,
        team.actor(),
        "service.rules.update",
        Some(svc.team_id),
        id,
        Some(format!("{} rules", rules.len())),
    )
    .await;
    Ok(Json(rules))
}

/// A bare list, or `{"rules": [...]}`; refusals name `rules[i].<field>` either way.
fn rule_list(body: &[u8]) -> Result<Vec<RuleSpec>, ApiError> {
    let text = String::from_utf8_lossy(body);
    if text.trim_start().starts_with('[') {
        let wrapped = format!("{{\"rules\":{text}}}");
        return decode::<RulesBody>(wrapped.as_bytes()).map(|b| b.rules);
    }
    decode::<RulesBody>(body).map(|b| b.rules)
}

/// What the given rules (not saved) would do to each of the service's last 50 alerts: which
/// rules match and what they decide. Read-only: any member may ask. Windows are not applied.
#[utoipa::path(post, path = "/services/{id}/rules/preview", tag = "noise",
    params(("id" = ServiceId, Path, description = "service id")),
    request_body = RulesBody,
    responses((status = 200, body = RulesPreview), (status = "4XX", body = ErrorBody)))]
async fn preview(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ServiceId>,
    ApiJson(body): ApiJson<RulesBody>,
) -> Result<Json<RulesPreview>, ApiError> {
    compile(&body.rules)?;
    let config = NoiseConfig::compile(body.rules, Vec::new())
        .map_err(|e| ApiError::bad_request("invalid_field", e.to_string()))?;
    let stored = s
        .store
        .recent_alerts(caller.reads(), id, PREVIEW_ALERTS)
        .await?;
    let mut alerts = Vec::with_capacity(stored.len());
    let mut skipped = 0;
    for a in stored {
        // The body as its source decodes it, as on arrival; each stored event is one alert.
        let event = SourceKind::from_slug(&a.source)
            .and_then(|src| src.decode(a.payload.as_bytes()).ok())
            .and_then(|evs| evs.into_iter().next());
        let Some(event) = event else {
            skipped += 1;
            continue;
        };
        let v = config.evaluate(&event);
        alerts.push(PreviewAlert {
            event_id: a.event_id,
            incident_id: a.incident_id,
            received_at: a.received_at,
            source: a.source,
            dedup_key: event.dedup_key,
            title: event.title,
            matched: v.matched,
            suppress: v.suppress,
            route: v.route,
            tags: v.tags,
            severity: v.severity,
            dedup_window_minutes: v.dedup_window_minutes,
        });
    }
    Ok(Json(RulesPreview { alerts, skipped }))
}

/// The service's maintenance windows, newest first (at most 200), each saying whether it is
/// active now.
#[utoipa::path(get, path = "/services/{id}/maintenance-windows", tag = "noise",
    params(("id" = ServiceId, Path, description = "service id")),
    responses((status = 200, body = Vec<MaintenanceWindow>), (status = "4XX", body = ErrorBody)))]
async fn list_windows(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ServiceId>,
) -> Result<Json<Vec<MaintenanceWindow>>, ApiError> {
    let now = Utc::now();
    let all = s.store.list_maintenance_windows(caller.reads(), id).await?;
    Ok(Json(
        all.into_iter()
            .map(|w| MaintenanceWindow::at(w, now))
            .collect(),
    ))
}

/// Add a maintenance window (team admins): `{start, end | null, time_zone?, weekly?}`. Alerts
/// that would open an incident while it covers them open it `suppressed` (never paged; the
/// timeline names the window). A weekly window repeats at the same wall-clock times in
/// `time_zone` and needs an `end` less than a week after `start`; `end: null` runs until ended.
#[utoipa::path(post, path = "/services/{id}/maintenance-windows", tag = "noise",
    params(("id" = ServiceId, Path, description = "service id")),
    request_body = WindowSpec,
    responses((status = 201, body = MaintenanceWindow), (status = "4XX", body = ErrorBody)))]
async fn create_window(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ServiceId>,
    ApiJson(spec): ApiJson<WindowSpec>,
) -> Result<(StatusCode, Json<MaintenanceWindow>), ApiError> {
    let svc = s.store.get_service(caller.reads(), id).await?;
    let team = caller.at::<role::Admin>(svc.team_id)?;
    Window::new(&spec, None).map_err(|e| ApiError::bad_request("invalid_field", e.to_string()))?;
    let w = s
        .store
        .create_maintenance_window(team.scope(), id, &spec, team.actor())
        .await?;
    s.noise.evict(id);
    record(
        &s,
        team.actor(),
        "service.maintenance_window.create",
        Some(svc.team_id),
        w.id,
        Some(format!(
            "{} from {} to {}{}",
            id,
            w.spec.start,
            w.spec
                .end
                .map_or_else(|| "when ended".to_owned(), |e| e.to_string()),
            if w.spec.weekly { ", weekly" } else { "" }
        )),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(MaintenanceWindow::at(w, Utc::now())),
    ))
}

/// End a maintenance window (team admins): one that has begun (running, recurring or
/// open-ended) is ended now and kept in the list; one that has not begun is removed.
#[utoipa::path(delete, path = "/services/{id}/maintenance-windows/{window_id}", tag = "noise",
    params(("id" = ServiceId, Path, description = "service id"),
        ("window_id" = MaintenanceWindowId, Path, description = "maintenance window id")),
    responses((status = 200, body = WindowEnded), (status = "4XX", body = ErrorBody)))]
async fn end_window(
    State(s): State<AppState>, caller: Caller,
    ApiPath((id, window_id)): ApiPath<(ServiceId, MaintenanceWindowId)>,
) -> Result<Json<WindowEnded>, ApiError> {
    let svc = s.store.get_service(caller.reads(), id).await?;
    let team = caller.at::<role::Admin>(svc.team_id)?;
    let result = s
        .store
        .end_maintenance_window(team.scope(), id, window_id, Utc::now())
        .await?;
    s.noise.evict(id);
    record(
        &s,
        team.actor(),
        "service.maintenance_window.end",
        Some(svc.team_id),
        window_id,
        Some(format!("{id}: {result:?}")),
    )
    .await;
    Ok(Json(WindowEnded {
        id: window_id,
        result,
    }))
}
