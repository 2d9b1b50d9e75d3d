//! A schedule's overrides: "this user instead, from … to …". Members read them; team admins
//! add and remove them. An override beats every layer while it lasts.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tocsin_core::schedule::records::check_override;
use tocsin_core::{OverrideId, ScheduleId, UserId};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::record;
use super::dto::{self, ScheduleOverride};
use crate::auth::{role, Caller};
use crate::error::{ApiError, ErrorBody};
use crate::json::{ApiJson, ApiPath};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(remove))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideBody {
    /// Who is on call instead; must be a user.
    user_id: UserId,
    /// RFC 3339.
    start: DateTime<Utc>,
    /// RFC 3339, after `start`, at most 366 days later.
    end: DateTime<Utc>,
}

/// The schedule's overrides that have not ended, by start.
#[utoipa::path(get, path = "/schedules/{id}/overrides", tag = "schedules",
    params(("id" = ScheduleId, Path, description = "schedule id")),
    responses((status = 200, body = Vec<ScheduleOverride>), (status = "4XX", body = ErrorBody)))]
async fn list(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ScheduleId>,
) -> Result<Json<Vec<ScheduleOverride>>, ApiError> {
    let all = s
        .store
        .list_overrides(caller.reads(), id, Utc::now())
        .await?;
    Ok(Json(dto::all(all)))
}

/// Add an override (team admins). The user must exist (400 naming `user_id`); `end` must be
/// after `start` (400 naming `end`).
#[utoipa::path(post, path = "/schedules/{id}/overrides", tag = "schedules",
    params(("id" = ScheduleId, Path, description = "schedule id")),
    request_body = OverrideBody,
    responses((status = 201, body = ScheduleOverride), (status = "4XX", body = ErrorBody)))]
async fn create(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ScheduleId>,
    ApiJson(body): ApiJson<OverrideBody>,
) -> Result<(StatusCode, Json<ScheduleOverride>), ApiError> {
    let sch = s.store.get_schedule(caller.reads(), id).await?;
    let team = caller.at::<role::Admin>(sch.team_id)?;
    check_override(body.start, body.end)
        .map_err(|e| ApiError::bad_request("invalid_field", e.to_string()))?;
    let o = s
        .store
        .create_override(team.scope(), id, body.user_id, body.start, body.end)
        .await?;
    record(
        &s,
        team.actor(),
        "schedule.override.create",
        Some(sch.team_id),
        o.id,
        Some(format!(
            "{} on {} from {} to {}",
            o.user_id, sch.id, o.start, o.end
        )),
    )
    .await;
    Ok((StatusCode::CREATED, Json(o.into())))
}

/// Remove an override (team admins).
#[utoipa::path(delete, path = "/schedules/{id}/overrides/{override_id}", tag = "schedules",
    params(("id" = ScheduleId, Path, description = "schedule id"),
        ("override_id" = OverrideId, Path, description = "override id")),
    responses((status = 204, description = "Deleted"), (status = "4XX", body = ErrorBody)))]
async fn remove(
    State(s): State<AppState>, caller: Caller,
    ApiPath((id, override_id)): ApiPath<(ScheduleId, OverrideId)>,
) -> Result<StatusCode, ApiError> {
    let sch = s.store.get_schedule(caller.reads(), id).await?;
    let team = caller.at::<role::Admin>(sch.team_id)?;
    s.store
        .delete_override(team.scope(), id, override_id)
        .await?;
    record(
        &s,
        team.actor(),
        "schedule.override.delete",
        Some(sch.team_id),
        override_id,
        Some(sch.id.to_string()),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
