//! API tokens: a user's own, or a team's. Shown once at creation, stored hashed, revocable.
//! A new token never carries more rights than its creator has.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tocsin_core::model::Scope;
use tocsin_core::{secret, Grants, TeamId, TokenId, TokenRole};
use tocsin_store::{NewToken, TokenVisibility};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::record;
use super::dto::{self, ApiToken};
use super::parse_name;
use crate::auth::{role, Caller};
use crate::error::{ApiError, ErrorBody};
use crate::json::{ApiJson, ApiPath};
use crate::secrets::new_api_token;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    name: String,
    /// Default: the most the creator holds (in the team, for a team token).
    role: Option<TokenRole>,
    /// Make a team token: it acts for the team, not for a person.
    team_id: Option<TeamId>,
    expires_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    /// The secret, shown this once.
    token: String,
    #[serde(flatten)]
    record: ApiToken,
}

/// Tokens the caller may see: everything for organisation admins; otherwise its user's own
/// and the team tokens of the teams where it holds at least `R`.
async fn visible<R: role::Min>(s: &AppState, caller: &Caller) -> Result<TokenVisibility, ApiError> {
    let teams = match caller.teams_at::<R>() {
        Scope::Teams(t) => t,
        // A role in every team (an org-wide token): spell the teams out.
        Scope::All => s
            .store
            .list_teams(&Scope::All)
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect(),
    };
    Ok(TokenVisibility {
        all: caller.is_org_admin(),
        user: caller.user.as_ref().map(|u| u.id),
        teams,
    })
}

#[utoipa::path(get, path = "/tokens", tag = "tokens",
    responses((status = 200, body = Vec<ApiToken>), (status = "4XX", body = ErrorBody)))]
async fn list(State(s): State<AppState>, caller: Caller) -> Result<Json<Vec<ApiToken>>, ApiError> {
    let seen = visible::<role::Observer>(&s, &caller).await?;
    Ok(Json(dto::all(s.accounts.list_tokens(&seen).await?)))
}

/// Create a token. Without `team_id` it acts for the caller's user (narrowed by `role`);
/// with it, for the team (team owners).
#[utoipa::path(post, path = "/tokens", tag = "tokens", request_body = NewTokenBody,
    responses((status = 201, body = CreatedToken), (status = "4XX", body = ErrorBody)))]
async fn create(
    State(s): State<AppState>, caller: Caller, ApiJson(body): ApiJson<NewTokenBody>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let name = parse_name("name", &body.name)?;
    if body.expires_at.is_some_and(|e| e <= Utc::now()) {
        return Err(ApiError::bad_request(
            "invalid_field",
            "field `expires_at`: must be in the future",
        ));
    }
    let (user_id, team_id, role, grants) = match body.team_id {
        Some(team) => {
            caller.at::<role::Owner>(team)?;
            let role = body.role.unwrap_or(TokenRole::Owner);
            if role == TokenRole::OrgAdmin {
                return Err(ApiError::bad_request(
                    "invalid_field",
                    "field `role`: a team token holds a team role",
                ));
            }
            (None, Some(team), role, Grants::team(team, role.team_role()))
        }
        None => {
            let role = body
                .role
                .or(caller.grants.highest())
                .unwrap_or(TokenRole::Observer);
            match &caller.user {
                Some(u) => {
                    let mine = s.accounts.memberships(u.id).await?;
                    let g = Grants::of_user(u.org_admin, mine).cap(role);
                    (Some(u.id), None, role, g)
                }
                None => (None, None, role, Grants::org_wide(role)),
            }
        }
    };
    if !caller.grants.covers(&grants) {
        return Err(ApiError::forbidden(
            "a token cannot have more rights than its creator",
        ));
    }
    let secret_text = new_api_token();
    let record_ = s
        .store
        .create_token(
            &caller.teams_at::<role::Owner>(),
            NewToken {
                name,
                role,
                user_id,
                team_id,
                hash: secret::hash(&secret_text),
                expires_at: body.expires_at,
            },
        )
        .await?;
    record(
        &s,
        caller.actor(),
        "token.create",
        team_id,
        record_.id,
        Some(format!("{} ({})", record_.name, role.as_str())),
    )
    .await;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token: secret_text,
            record: record_.into(),
        }),
    ))
}

/// Revoke a token: your own, a team's (team owners), any (organisation admins).
#[utoipa::path(delete, path = "/tokens/{id}", tag = "tokens",
    params(("id" = TokenId, Path, description = "token id")),
    responses((status = 200, body = ApiToken), (status = "4XX", body = ErrorBody)))]
async fn revoke(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<TokenId>,
) -> Result<Json<ApiToken>, ApiError> {
    let seen = s
        .accounts
        .list_tokens(&visible::<role::Observer>(&s, &caller).await?)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| ApiError::not_found("token"))?;
    let own = seen.user_id.is_some() && seen.user_id == caller.user.as_ref().map(|u| u.id);
    if !own {
        if let Some(team) = seen.team_id.filter(|_| seen.user_id.is_none()) {
            caller.at::<role::Owner>(team)?;
        } else {
            caller.require_org_admin()?;
        }
    }
    let tok = s
        .accounts
        .revoke_token(&visible::<role::Owner>(&s, &caller).await?, id)
        .await?;
    record(
        &s,
        caller.actor(),
        "token.revoke",
        tok.team_id,
        tok.id,
        Some(tok.name.clone()),
    )
    .await;
    Ok(Json(tok.into()))
}
