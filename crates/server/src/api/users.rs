//! Users. Organisation admins create them; others see the users who share a team with them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use tocsin_core::model::User;
use tocsin_core::UserId;
use tocsin_store::NewUser;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::record;
use super::parse_id;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiJson;
use crate::passwords;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    /// 1–64 of letters, digits, `.`, `_`, `-`.
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,64}$")]
    username: String,
    #[schema(max_length = 254, pattern = r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    email: String,
    /// 8–1024 characters.
    #[schema(min_length = 8, max_length = 1024)]
    password: String,
    #[serde(default)]
    org_admin: bool,
}

pub fn parse_username(s: &str) -> Result<String, ApiError> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !ok {
        return Err(ApiError::bad_request(
            "invalid_field",
            "field `username`: 1–64 of letters, digits, `.`, `_`, `-`",
        ));
    }
    Ok(s.to_owned())
}

fn parse_email(s: &str) -> Result<String, ApiError> {
    let s = s.trim();
    let ok = s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && s.split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if !ok {
        return Err(ApiError::bad_request(
            "invalid_field",
            "field `email`: expected an address like name@example.com",
        ));
    }
    Ok(s.to_owned())
}

/// Users the caller can see: all for organisation admins, else those sharing a team.
#[utoipa::path(get, path = "/users", tag = "users",
    responses((status = 200, body = Vec<User>), (status = "4XX", body = ErrorBody)))]
async fn list(State(s): State<AppState>, caller: Caller) -> Result<Json<Vec<User>>, ApiError> {
    let me = caller.user.as_ref().map(|u| u.id);
    Ok(Json(s.accounts.list_users(&caller.scope, me).await?))
}

/// Create a user (organisation admins).
#[utoipa::path(post, path = "/users", tag = "users", request_body = NewUserBody,
    responses((status = 201, body = User), (status = "4XX", body = ErrorBody)))]
async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewUserBody>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    caller.require_org_admin()?;
    let username = parse_username(&body.username)?;
    let email = parse_email(&body.email)?;
    passwords::check_policy(&body.password)?;
    let password_hash = passwords::hash(body.password).await?;
    let user = s
        .accounts
        .create_user(NewUser {
            username,
            email,
            password_hash,
            org_admin: body.org_admin,
        })
        .await?;
    let detail = body.org_admin.then(|| "organisation admin".to_owned());
    record(&s, caller.actor(), "user.create", None, user.id, detail).await;
    Ok((StatusCode::CREATED, Json(user)))
}

#[utoipa::path(get, path = "/users/{id}", tag = "users",
    params(("id" = UserId, Path, description = "user id")),
    responses((status = 200, body = User), (status = "4XX", body = ErrorBody)))]
async fn show(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<User>, ApiError> {
    let id: UserId = parse_id(&id)?;
    let me = caller.user.as_ref().map(|u| u.id);
    Ok(Json(s.accounts.get_user(&caller.scope, me, id).await?))
}
