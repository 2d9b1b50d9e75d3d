//! A team's channels: destinations the team owns (an ops room's webhook, a shared mailbox),
//! for its escalation policies. Members read them; team admins add, test and delete them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use tocsin_core::{ChannelId, TeamId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::record;
use super::dto::{self, Channel, TestSend};
use super::paging::{send_test, DestinationBody};
use crate::auth::{role, Caller};
use crate::error::{ApiError, ErrorBody};
use crate::json::{ApiJson, ApiPath};
use crate::notify::outbound::Destination;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, remove))
        .routes(routes!(test))
}

/// The team's channels, by name (never their signing secrets).
#[utoipa::path(get, path = "/teams/{id}/channels", tag = "paging",
    params(("id" = TeamId, Path, description = "team id")),
    responses((status = 200, body = Vec<Channel>), (status = "4XX", body = ErrorBody)))]
async fn list(
    State(s): State<AppState>, caller: Caller, ApiPath(team): ApiPath<TeamId>,
) -> Result<Json<Vec<Channel>>, ApiError> {
    s.store.get_team(caller.reads(), team).await?;
    Ok(Json(dto::all(
        s.store.list_channels(caller.reads(), Some(team)).await?,
    )))
}

/// Add a channel (team admins): `{type, name, url}` or `{type: "email", name, address}`. A
/// webhook's `signing_secret` is in this answer only.
#[utoipa::path(post, path = "/teams/{id}/channels", tag = "paging",
    params(("id" = TeamId, Path, description = "team id")),
    request_body = DestinationBody,
    responses((status = 201, body = Channel),
        (status = 409, description = "The name is taken, or the team has 50", body = ErrorBody),
        (status = "4XX", body = ErrorBody)))]
async fn create(
    State(s): State<AppState>, caller: Caller, ApiPath(team): ApiPath<TeamId>,
    ApiJson(body): ApiJson<DestinationBody>,
) -> Result<(StatusCode, Json<Channel>), ApiError> {
    let team = caller.at::<role::Admin>(team)?;
    let new = body.check()?;
    let ch = s
        .store
        .create_channel(team.scope(), team.team(), new)
        .await?;
    let detail = format!("{} {:?}", ch.kind.as_str(), ch.name);
    record(
        &s,
        team.actor(),
        "channel.create",
        Some(ch.team_id),
        ch.id,
        Some(detail),
    )
    .await;
    Ok((StatusCode::CREATED, Json(Channel::created(ch))))
}

#[utoipa::path(get, path = "/teams/{id}/channels/{channel_id}", tag = "paging",
    params(("id" = TeamId, Path, description = "team id"),
        ("channel_id" = ChannelId, Path, description = "channel id")),
    responses((status = 200, body = Channel), (status = "4XX", body = ErrorBody)))]
async fn show(
    State(s): State<AppState>, caller: Caller, ApiPath((team, id)): ApiPath<(TeamId, ChannelId)>,
) -> Result<Json<Channel>, ApiError> {
    let ch = s.store.get_channel(caller.reads(), id).await?;
    if ch.team_id != team {
        return Err(ApiError::not_found("channel"));
    }
    Ok(Json(ch.into()))
}

/// Delete a channel (team admins); refused (409) while an escalation policy names it.
#[utoipa::path(delete, path = "/teams/{id}/channels/{channel_id}", tag = "paging",
    params(("id" = TeamId, Path, description = "team id"),
        ("channel_id" = ChannelId, Path, description = "channel id")),
    responses((status = 204, description = "Deleted"),
        (status = 409, description = "A policy names it", body = ErrorBody),
        (status = "4XX", body = ErrorBody)))]
async fn remove(
    State(s): State<AppState>, caller: Caller, ApiPath((team, id)): ApiPath<(TeamId, ChannelId)>,
) -> Result<StatusCode, ApiError> {
    let team = caller.at::<role::Admin>(team)?;
    // The team's scope: another team's channel is not found.
    s.store.delete_channel(team.scope(), id).await?;
    record(
        &s,
        team.actor(),
        "channel.delete",
        Some(team.team()),
        id,
        None,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a test notification to the channel now (team admins), as paging would.
#[utoipa::path(post, path = "/teams/{id}/channels/{channel_id}/test", tag = "paging",
    params(("id" = TeamId, Path, description = "team id"),
        ("channel_id" = ChannelId, Path, description = "channel id")),
    responses((status = 200, body = TestSend),
        (status = 503, description = "`notifications_unavailable`: this server sends nothing", body = ErrorBody),
        (status = "4XX", body = ErrorBody)))]
async fn test(
    State(s): State<AppState>, caller: Caller, ApiPath((team, id)): ApiPath<(TeamId, ChannelId)>,
) -> Result<Json<TestSend>, ApiError> {
    let team = caller.at::<role::Admin>(team)?;
    let ch = s.store.get_channel(team.scope(), id).await?;
    let to = Destination {
        kind: ch.kind,
        target: &ch.target,
        signing_secret: ch.signing_secret.as_deref(),
    };
    Ok(Json(send_test(&s, to).await?))
}
