//! Teams and their members. An org admin creates teams; a team's owners manage its members.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use tocsin_core::{Role, TeamId, UserId};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::record;
use super::dto::{self, Member, Team};
use super::parse_name;
use crate::auth::{role, Caller};
use crate::error::{ApiError, ErrorBody};
use crate::json::{ApiJson, ApiPath};
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
    Ok(Json(dto::all(s.store.list_teams(caller.reads()).await?)))
}

/// Create a team (organisation admins).
#[utoipa::path(post, path = "/teams", tag = "teams", request_body = NewTeam,
    responses((status = 201, body = Team), (status = "4XX", body = ErrorBody)))]
async fn create(
    State(s): State<AppState>, caller: Caller, ApiJson(body): ApiJson<NewTeam>,
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
    Ok((StatusCode::CREATED, Json(team.into())))
}

#[utoipa::path(get, path = "/teams/{id}", tag = "teams",
    params(("id" = TeamId, Path, description = "team id")),
    responses((status = 200, body = Team), (status = "4XX", body = ErrorBody)))]
async fn show(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<TeamId>,
) -> Result<Json<Team>, ApiError> {
    Ok(Json(s.store.get_team(caller.reads(), id).await?.into()))
}

#[utoipa::path(get, path = "/teams/{id}/members", tag = "teams",
    params(("id" = TeamId, Path, description = "team id")),
    responses((status = 200, body = Vec<Member>), (status = "4XX", body = ErrorBody)))]
async fn members(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<TeamId>,
) -> Result<Json<Vec<Member>>, ApiError> {
    Ok(Json(dto::all(
        s.accounts.list_members(caller.reads(), id).await?,
    )))
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
    State(s): State<AppState>, caller: Caller, ApiPath(team): ApiPath<TeamId>,
    ApiJson(body): ApiJson<SetMember>,
) -> Result<(StatusCode, Json<Member>), ApiError> {
    let team = caller.at::<role::Owner>(team)?;
    let (member, before) = s
        .accounts
        .set_member(team.scope(), team.team(), body.user_id, body.role)
        .await?;
    let detail = match before {
        Some(b) => format!("{} role {b} → {}", member.username, member.role),
        None => format!("{} added as {}", member.username, member.role),
    };
    record(
        &s,
        team.actor(),
        "member.set_role",
        Some(team.team()),
        body.user_id,
        Some(detail),
    )
    .await;
    Ok((StatusCode::CREATED, Json(member.into())))
}

/// Remove a member (team owners).
#[utoipa::path(delete, path = "/teams/{id}/members/{user_id}", tag = "teams",
    params(("id" = TeamId, Path, description = "team id"), ("user_id" = UserId, Path, description = "user id")),
    responses((status = 204, description = "Removed"), (status = "4XX", body = ErrorBody)))]
async fn remove_member(
    State(s): State<AppState>, caller: Caller, ApiPath((team, user)): ApiPath<(TeamId, UserId)>,
) -> Result<StatusCode, ApiError> {
    let team = caller.at::<role::Owner>(team)?;
    s.accounts
        .remove_member(team.scope(), team.team(), user)
        .await?;
    let id = Some(team.team());
    record(&s, team.actor(), "member.remove", id, user, None).await;
    Ok(StatusCode::NO_CONTENT)
}
