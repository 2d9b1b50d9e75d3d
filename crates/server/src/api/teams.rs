//! Teams and their members. An org admin creates teams; a team's owners manage its members.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use tocsin_core::model::{Member, Team};
use tocsin_core::{Role, TeamId, UserId};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::record;
use super::{parse_id, parse_name};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiJson;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show))
        .routes(routes!(members, set_member))
        .routes(routes!(remove_member))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    name: String,
}

/// The teams the caller can see.
#[utoipa::path(get, path = "/teams", tag = "teams",
    responses((status = 200, body = Vec<Team>), (status = "4XX", body = ErrorBody)))]
async fn list(State(s): State<AppState>, caller: Caller) -> Result<Json<Vec<Team>>, ApiError> {
    Ok(Json(s.store.list_teams(&caller.scope).await?))
}

/// Create a team (organisation admins).
#[utoipa::path(post, path = "/teams", tag = "teams", request_body = NewTeam,
    responses((status = 201, body = Team), (status = "4XX", body = ErrorBody)))]
async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewTeam>,
) -> Result<(StatusCode, Json<Team>), ApiError> {
    caller.require_org_admin()?;
    let name = parse_name("name", &body.name)?;
    let team = s.store.create_team(&name).await?;
    record(
        &s,
        caller.actor(),
        "team.create",
        Some(team.id),
        team.id,
        None,
    )
    .await;
    Ok((StatusCode::CREATED, Json(team)))
}

#[utoipa::path(get, path = "/teams/{id}", tag = "teams",
    params(("id" = TeamId, Path, description = "team id")),
    responses((status = 200, body = Team), (status = "4XX", body = ErrorBody)))]
async fn show(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Team>, ApiError> {
    let id: TeamId = parse_id(&id)?;
    Ok(Json(s.store.get_team(&caller.scope, id).await?))
}

#[utoipa::path(get, path = "/teams/{id}/members", tag = "teams",
    params(("id" = TeamId, Path, description = "team id")),
    responses((status = 200, body = Vec<Member>), (status = "4XX", body = ErrorBody)))]
async fn members(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<Member>>, ApiError> {
    let id: TeamId = parse_id(&id)?;
    Ok(Json(s.accounts.list_members(&caller.scope, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetMember {
    user_id: UserId,
    role: Role,
}

/// Add a member, or change a member's role (team owners).
#[utoipa::path(post, path = "/teams/{id}/members", tag = "teams", request_body = SetMember,
    params(("id" = TeamId, Path, description = "team id")),
    responses((status = 201, body = Member), (status = "4XX", body = ErrorBody)))]
async fn set_member(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SetMember>,
) -> Result<(StatusCode, Json<Member>), ApiError> {
    let team: TeamId = parse_id(&id)?;
    caller.require(team, Role::Owner)?;
    let (member, before) = s
        .accounts
        .set_member(&caller.scope_at(Role::Owner), team, body.user_id, body.role)
        .await?;
    let detail = match before {
        Some(b) => format!("{} role {b} → {}", member.username, member.role),
        None => format!("{} added as {}", member.username, member.role),
    };
    record(
        &s,
        caller.actor(),
        "member.set_role",
        Some(team),
        body.user_id,
        Some(detail),
    )
    .await;
    Ok((StatusCode::CREATED, Json(member)))
}

/// Remove a member (team owners).
#[utoipa::path(delete, path = "/teams/{id}/members/{user_id}", tag = "teams",
    params(("id" = TeamId, Path, description = "team id"), ("user_id" = UserId, Path, description = "user id")),
    responses((status = 204, description = "Removed"), (status = "4XX", body = ErrorBody)))]
async fn remove_member(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let team: TeamId = parse_id(&id)?;
    let user: UserId = parse_id(&user)?;
    caller.require(team, Role::Owner)?;
    s.accounts
        .remove_member(&caller.scope_at(Role::Owner), team, user)
        .await?;
    record(&s, caller.actor(), "member.remove", Some(team), user, None).await;
    Ok(StatusCode::NO_CONTENT)
}
