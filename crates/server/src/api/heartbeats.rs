//! A service's heartbeats (issue 18): members read them; team admins (those who may change
//! the service) create and delete them. The check-in URL holds the heartbeat's key, a write
//! credential like the webhook URL, so it is shown to the same callers who see webhook URLs
//! and is null for everyone else. Deleting a heartbeat stops it; an incident it opened stays
//! as it is (resolve it as any other).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tocsin_core::heartbeat::{self, Heartbeat, HeartbeatSpec, HeartbeatState};
use tocsin_core::{secret, HeartbeatId, ServiceId};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::record;
use crate::auth::{role, Caller};
use crate::error::{ApiError, ErrorBody};
use crate::json::{ApiJson, ApiPath};
use crate::secrets::new_heartbeat_key;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, remove))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHeartbeat {
    /// Unique within the service; its incident's dedup key is `heartbeat:<name>`.
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// How often it must check in, in seconds (at least 10).
    #[schema(minimum = 10)]
    interval_seconds: i64,
    /// How much later than the interval a check-in may still come, in seconds (default 0).
    #[serde(default)]
    #[schema(minimum = 0)]
    grace_seconds: i64,
}

/// A heartbeat as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeartbeatView {
    pub id: HeartbeatId,
    pub service_id: ServiceId,
    pub name: String,
    pub interval_seconds: i64,
    pub grace_seconds: i64,
    /// `POST` or `GET` here to check in. It holds the heartbeat's key, so it is null unless
    /// the caller may see the service's webhook URLs (team owner or admin, org admin).
    pub checkin_url: Option<String>,
    pub state: HeartbeatState,
    pub last_checkin_at: Option<DateTime<Utc>>,
    /// Missed unless it checks in by then (while `ok`); when it was missed (while `missed`).
    pub due_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// `hb` as `caller` may see it.
pub fn view(s: &AppState, caller: &Caller, hb: Heartbeat) -> HeartbeatView {
    let sees_key = caller.grants.sees_webhook_keys(hb.team_id);
    HeartbeatView {
        checkin_url: sees_key.then(|| checkin_url(&s.public_url, &hb.checkin_key)),
        id: hb.id,
        service_id: hb.service_id,
        name: hb.name,
        interval_seconds: hb.interval_seconds,
        grace_seconds: hb.grace_seconds,
        state: hb.state,
        last_checkin_at: hb.last_checkin_at,
        due_at: hb.due_at,
        created_at: hb.created_at,
    }
}

/// Built like the webhook URLs: the public base URL and the route.
pub fn checkin_url(public_url: &str, key: &str) -> String {
    format!("{public_url}/v1/heartbeats/{key}")
}

/// The service's heartbeats, by name.
#[utoipa::path(get, path = "/services/{id}/heartbeats", tag = "services",
    params(("id" = ServiceId, Path, description = "service id")),
    responses((status = 200, body = Vec<HeartbeatView>), (status = "4XX", body = ErrorBody)))]
async fn list(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ServiceId>,
) -> Result<Json<Vec<HeartbeatView>>, ApiError> {
    let svc = s.store.get_service(caller.reads(), id).await?;
    let all = s.store.list_heartbeats(caller.reads(), svc.id).await?;
    Ok(Json(
        all.into_iter().map(|h| view(&s, &caller, h)).collect(),
    ))
}

/// Create a heartbeat (team admins). It is first due one interval and its grace from now.
/// A bad value is 400 `invalid_field` naming the field; a taken name 409.
#[utoipa::path(post, path = "/services/{id}/heartbeats", tag = "services",
    params(("id" = ServiceId, Path, description = "service id")),
    request_body = NewHeartbeat,
    responses((status = 201, body = HeartbeatView), (status = "4XX", body = ErrorBody)))]
async fn create(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ServiceId>,
    ApiJson(body): ApiJson<NewHeartbeat>,
) -> Result<(StatusCode, Json<HeartbeatView>), ApiError> {
    let svc = s.store.get_service(caller.reads(), id).await?;
    let team = caller.at::<role::ManagesServices>(svc.team_id)?;
    let spec = HeartbeatSpec::new(&body.name, body.interval_seconds, body.grace_seconds)
        .map_err(|e| ApiError::bad_request("invalid_field", e.to_string()))?;
    let key = new_heartbeat_key();
    let hb = heartbeat::create(svc.team_id, svc.id, &spec, &key, Utc::now());
    let hb = s
        .store
        .create_heartbeat(team.scope(), &hb, secret::hash(&key))
        .await?;
    record(
        &s,
        team.actor(),
        "heartbeat.create",
        Some(svc.team_id),
        hb.id,
        Some(format!(
            "{} on {} every {} s, grace {} s",
            hb.name, svc.id, hb.interval_seconds, hb.grace_seconds
        )),
    )
    .await;
    Ok((StatusCode::CREATED, Json(view(&s, &caller, hb))))
}

#[utoipa::path(get, path = "/services/{id}/heartbeats/{heartbeat_id}", tag = "services",
    params(("id" = ServiceId, Path, description = "service id"),
        ("heartbeat_id" = HeartbeatId, Path, description = "heartbeat id")),
    responses((status = 200, body = HeartbeatView), (status = "4XX", body = ErrorBody)))]
async fn show(
    State(s): State<AppState>, caller: Caller, ApiPath((id, hb)): ApiPath<(ServiceId, HeartbeatId)>,
) -> Result<Json<HeartbeatView>, ApiError> {
    let hb = s.store.get_heartbeat(caller.reads(), id, hb).await?;
    Ok(Json(view(&s, &caller, hb)))
}

/// Delete a heartbeat (team admins): it fires no more and its key stops working. An incident
/// it opened stays as it is.
#[utoipa::path(delete, path = "/services/{id}/heartbeats/{heartbeat_id}", tag = "services",
    params(("id" = ServiceId, Path, description = "service id"),
        ("heartbeat_id" = HeartbeatId, Path, description = "heartbeat id")),
    responses((status = 204, description = "Deleted"), (status = "4XX", body = ErrorBody)))]
async fn remove(
    State(s): State<AppState>, caller: Caller, ApiPath((id, hb)): ApiPath<(ServiceId, HeartbeatId)>,
) -> Result<StatusCode, ApiError> {
    let svc = s.store.get_service(caller.reads(), id).await?;
    let team = caller.at::<role::ManagesServices>(svc.team_id)?;
    let gone = s.store.delete_heartbeat(team.scope(), svc.id, hb).await?;
    record(
        &s,
        team.actor(),
        "heartbeat.delete",
        Some(svc.team_id),
        gone.id,
        Some(format!("{} on {}", gone.name, svc.id)),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
