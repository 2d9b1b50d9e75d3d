//! Services: read by every member, created and re-keyed by team admins.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tocsin_core::{PolicyId, ServiceId, SourceKind, TeamId};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::record;
use super::dto::{self, Service};
use super::{parse_id, parse_name};
use crate::auth::{role, Caller};
use crate::error::{ApiError, ErrorBody};
use crate::json::{ApiJson, ApiPath, ApiQuery, OptionalJson};
use crate::secrets::new_service_key;
use crate::state::AppState;

/// The longest an old webhook key may keep working after a rotation.
pub const MAX_GRACE_SECONDS: u32 = 7 * 24 * 3600;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, change))
        .routes(routes!(rotate_key))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewService {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    name: String,
    team_id: TeamId,
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only this team's services.
    team_id: Option<String>,
}

#[utoipa::path(get, path = "/services", tag = "services", params(ListQuery),
    responses((status = 200, body = Vec<Service>), (status = "4XX", body = ErrorBody)))]
async fn list(
    State(s): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<Service>>, ApiError> {
    let team = q
        .team_id
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(parse_id::<TeamId>)
        .transpose()?;
    Ok(Json(dto::all(
        s.store.list_services(caller.reads(), team).await?,
    )))
}

/// Create a service (team admins).
#[utoipa::path(post, path = "/services", tag = "services", request_body = NewService,
    responses((status = 201, body = Service), (status = "4XX", body = ErrorBody)))]
async fn create(
    State(s): State<AppState>, caller: Caller, ApiJson(body): ApiJson<NewService>,
) -> Result<(StatusCode, Json<Service>), ApiError> {
    let name = parse_name("name", &body.name)?;
    let team = caller.at::<role::ManagesServices>(body.team_id)?;
    // A team that does not exist is "not found", even for a caller with a role everywhere.
    s.store.get_team(team.scope(), team.team()).await?;
    let svc = s
        .store
        .create_service(team.scope(), team.team(), &name, &new_service_key())
        .await?;
    record(
        &s,
        team.actor(),
        "service.create",
        Some(svc.team_id),
        svc.id,
        Some(svc.name.clone()),
    )
    .await;
    Ok((StatusCode::CREATED, Json(svc.into())))
}

#[utoipa::path(get, path = "/services/{id}", tag = "services",
    params(("id" = ServiceId, Path, description = "service id")),
    responses((status = 200, body = Service), (status = "4XX", body = ErrorBody)))]
async fn show(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ServiceId>,
) -> Result<Json<Service>, ApiError> {
    Ok(Json(s.store.get_service(caller.reads(), id).await?.into()))
}

/// What `PATCH` may change; an absent field stays as it is.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceChange {
    /// The escalation policy its incidents run, one of the service's team; null: none.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<PolicyId>)]
    escalation_policy_id: Option<Option<PolicyId>>,
}

/// A field that is present, even as null (`Some(None)`), apart from one that is absent.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// Change a service (team admins): today, which escalation policy it runs.
#[utoipa::path(patch, path = "/services/{id}", tag = "services",
    params(("id" = ServiceId, Path, description = "service id")),
    request_body = ServiceChange,
    responses((status = 200, body = Service), (status = "4XX", body = ErrorBody)))]
async fn change(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ServiceId>,
    ApiJson(body): ApiJson<ServiceChange>,
) -> Result<Json<Service>, ApiError> {
    let svc = s.store.get_service(caller.reads(), id).await?;
    let team = caller.at::<role::ManagesServices>(svc.team_id)?;
    let Some(policy) = body.escalation_policy_id else {
        return Ok(Json(svc.into()));
    };
    let svc = s.store.set_service_policy(team.scope(), id, policy).await?;
    let detail = match policy {
        Some(p) => format!("escalation policy {p}"),
        None => "no escalation policy".to_owned(),
    };
    record(
        &s,
        team.actor(),
        "service.set_policy",
        Some(svc.team_id),
        svc.id,
        Some(detail),
    )
    .await;
    Ok(Json(svc.into()))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RotateKey {
    /// Keep the old key working this many seconds (at most a week). Default 0: it stops now.
    #[serde(default)]
    grace_seconds: u32,
}

#[derive(Serialize, ToSchema)]
pub struct RotatedKey {
    service: Service,
    /// The new Kapacitor webhook URL.
    webhook_url: String,
    /// Until when the old key still works; null when it stopped at once.
    previous_key_expires_at: Option<DateTime<Utc>>,
}

/// Give the service a new webhook key (team admins). The body is optional.
#[utoipa::path(post, path = "/services/{id}/rotate-key", tag = "services",
    params(("id" = ServiceId, Path, description = "service id")),
    request_body(content = Option<RotateKey>),
    responses((status = 200, body = RotatedKey), (status = "4XX", body = ErrorBody)))]
async fn rotate_key(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ServiceId>,
    OptionalJson(body): OptionalJson<RotateKey>,
) -> Result<Json<RotatedKey>, ApiError> {
    if body.grace_seconds > MAX_GRACE_SECONDS {
        return Err(ApiError::bad_request(
            "invalid_field",
            format!("field `grace_seconds`: at most {MAX_GRACE_SECONDS}"),
        ));
    }
    let svc = s.store.get_service(caller.reads(), id).await?;
    let team = caller.at::<role::ManagesServices>(svc.team_id)?;
    let grace_until = (body.grace_seconds > 0)
        .then(|| Utc::now() + Duration::seconds(i64::from(body.grace_seconds)));
    let rotated = s
        .accounts
        .rotate_service_key(team.scope(), id, &new_service_key(), grace_until)
        .await?;
    // This node forgets the service's keys now; a previous key with a grace is found again in
    // the store, one whose grace was cut by this rotation is not.
    s.keys.evict_service(id);
    record(
        &s,
        team.actor(),
        "service.rotate_key",
        Some(svc.team_id),
        svc.id,
        Some(format!("grace {}s", body.grace_seconds)),
    )
    .await;
    let webhook_url = format!(
        "{}{}",
        s.public_url,
        SourceKind::Kapacitor.webhook_path(&rotated.service.api_key)
    );
    Ok(Json(RotatedKey {
        service: rotated.service.into(),
        webhook_url,
        previous_key_expires_at: grace_until,
    }))
}
