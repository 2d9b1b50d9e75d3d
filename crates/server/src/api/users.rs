//! Users. Organisation admins create them; others see the users who share a team with them.
//! Their lifecycle: a user changes its own password (the current one required; its other
//! sessions end), an org admin resets another's (all its sessions end), and disables or
//! enables users. Who may do which is core's `lifecycle`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use tocsin_core::lifecycle::PasswordChange;
use tocsin_core::UserId;
use tocsin_store::NewUser;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::record;
use super::dto::{self, User};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::json::{ApiJson, ApiPath};
use crate::passwords;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show))
        .routes(routes!(set_password))
        .routes(routes!(disable))
        .routes(routes!(enable))
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
    Ok(Json(dto::all(
        s.accounts.list_users(caller.reads(), me).await?,
    )))
}

/// Create a user (organisation admins).
#[utoipa::path(post, path = "/users", tag = "users", request_body = NewUserBody,
    responses((status = 201, body = User), (status = "4XX", body = ErrorBody)))]
async fn create(
    State(s): State<AppState>, caller: Caller, ApiJson(body): ApiJson<NewUserBody>,
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
    Ok((StatusCode::CREATED, Json(user.into())))
}

#[utoipa::path(get, path = "/users/{id}", tag = "users",
    params(("id" = UserId, Path, description = "user id")),
    responses((status = 200, body = User), (status = "4XX", body = ErrorBody)))]
async fn show(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<UserId>,
) -> Result<Json<User>, ApiError> {
    let me = caller.user.as_ref().map(|u| u.id);
    Ok(Json(
        s.accounts.get_user(caller.reads(), me, id).await?.into(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    /// Required to change one's own password (even for an org admin); not needed when an
    /// organisation admin resets another user's.
    current_password: Option<String>,
    /// 8–1024 characters.
    #[schema(min_length = 8, max_length = 1024)]
    new_password: String,
}

/// Change your own password (the current one required; your other sessions end, this one
/// stays), or, as an organisation admin, reset another user's (all of their sessions end).
/// API tokens keep working.
#[utoipa::path(post, path = "/users/{id}/password", tag = "users", request_body = PasswordBody,
    params(("id" = UserId, Path, description = "user id")),
    responses((status = 204, description = "Changed"),
        (status = 403, description = "`wrong_password`: the current password is not right; `forbidden`: not yours and not an org admin", body = ErrorBody),
        (status = 429, description = "Too many attempts for this user or from this client; see Retry-After", body = ErrorBody),
        (status = "4XX", body = ErrorBody)))]
async fn set_password(
    State(s): State<AppState>, peer: Option<Extension<ConnectInfo<SocketAddr>>>, caller: Caller,
    ApiPath(id): ApiPath<UserId>, ApiJson(body): ApiJson<PasswordBody>,
) -> Result<StatusCode, ApiError> {
    let me = caller.user.as_ref().map(|u| u.id);
    let target = s.accounts.get_user(caller.reads(), me, id).await?;
    let kind = PasswordChange::decide(me, caller.is_org_admin(), id).ok_or_else(|| {
        ApiError::forbidden("only the user or an organisation admin can change this password")
    })?;
    passwords::check_field("new_password", &body.new_password)?;
    if kind == PasswordChange::Own {
        let current = body.current_password.unwrap_or_default();
        if current.is_empty() || current.len() > passwords::MAX_LEN * 4 {
            return Err(ApiError::bad_request(
                "invalid_field",
                "field `current_password`: your current password is required to change it",
            ));
        }
        // The same budget as signing in, so a borrowed session cannot guess the password.
        let addr = peer.map(|Extension(ConnectInfo(a))| a.ip());
        if let Err(wait) = s.limits.sign_in.check(&target.username, addr) {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                "too many password attempts; retry after the Retry-After seconds",
            )
            .with_retry_after(wait));
        }
        let stored = s.accounts.password_hash(id).await?;
        if !passwords::verify(current, stored).await? {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "wrong_password",
                "field `current_password`: that is not your current password",
            ));
        }
    }
    let hash = passwords::hash(body.new_password).await?;
    let ended = s
        .accounts
        .set_password(id, hash, kind.keeps(caller.session))
        .await?;
    let action = match kind {
        PasswordChange::Own => "user.password_change",
        PasswordChange::AdminReset => "user.password_reset",
    };
    let detail = format!("{}: {ended} session(s) ended", target.username);
    record(&s, caller.actor(), action, None, id, Some(detail)).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Disable a user (organisation admins): its sessions end and its tokens are refused at
/// once, and it cannot sign in. Not yourself, nor the last active organisation admin (409).
#[utoipa::path(post, path = "/users/{id}/disable", tag = "users",
    params(("id" = UserId, Path, description = "user id")),
    responses((status = 200, body = User),
        (status = 409, description = "`cannot_disable_self` or `last_org_admin`", body = ErrorBody),
        (status = "4XX", body = ErrorBody)))]
async fn disable(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<UserId>,
) -> Result<Json<User>, ApiError> {
    set_disabled(&s, &caller, id, true).await
}

/// Enable a disabled user (organisation admins): it can sign in again, and its tokens that
/// were not revoked or expired work again. Sessions ended by disabling stay ended.
#[utoipa::path(post, path = "/users/{id}/enable", tag = "users",
    params(("id" = UserId, Path, description = "user id")),
    responses((status = 200, body = User), (status = "4XX", body = ErrorBody)))]
async fn enable(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<UserId>,
) -> Result<Json<User>, ApiError> {
    set_disabled(&s, &caller, id, false).await
}

async fn set_disabled(
    s: &AppState, caller: &Caller, id: UserId, disabled: bool,
) -> Result<Json<User>, ApiError> {
    let me = caller.user.as_ref().map(|u| u.id);
    // Unseen users are not found, as on every other user route; then the role check.
    s.accounts.get_user(caller.reads(), me, id).await?;
    caller.require_org_admin()?;
    let user = s.accounts.set_disabled(me, id, disabled).await?;
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    record(
        s,
        caller.actor(),
        action,
        None,
        id,
        Some(user.username.clone()),
    )
    .await;
    Ok(Json(user.into()))
}
