//! Signing in and out with a password, for the web UI: a session cookie (HttpOnly,
//! SameSite=Lax, Secure over https) plus a CSRF token that state-changing requests echo in
//! `X-Tocsin-CSRF`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::Extension;
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tocsin_core::model::User;
use tocsin_core::{secret, SessionId};
use tocsin_store::NewSession;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::record;
use crate::auth::{Caller, SESSION_COOKIE};
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiJson;
use crate::passwords;
use crate::secrets::new_api_token;
use crate::state::AppState;

pub const LIFETIME: Duration = Duration::hours(12);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(sign_in, sign_out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    username: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct SignedIn {
    user: User,
    /// Send back in `X-Tocsin-CSRF` with every state-changing request made with the cookie.
    csrf_token: String,
    expires_at: DateTime<Utc>,
}

fn cookie(s: &AppState, value: &str, max_age: i64) -> Result<HeaderValue, ApiError> {
    let secure = if s.secure_cookies() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .map_err(|_| ApiError::bad_request("internal", "could not build the cookie"))
}

/// Sign in; sets the session cookie.
#[utoipa::path(post, path = "/session", tag = "session", request_body = Credentials,
    security(()),
    responses((status = 201, body = SignedIn),
        (status = 403, description = "`account_disabled`: the password is right but the account is disabled", body = ErrorBody),
        (status = 429, description = "Too many attempts for this username or from this client; see Retry-After", body = ErrorBody),
        (status = "4XX", body = ErrorBody)))]
async fn sign_in(
    State(s): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<(StatusCode, HeaderMap, Json<SignedIn>), ApiError> {
    let refused = || ApiError::unauthorized("wrong username or password");
    // No such username can exist; checked first so the limiter only ever keys short names.
    if body.username.len() > 64 || body.password.len() > passwords::MAX_LEN * 4 {
        return Err(refused());
    }
    let addr = peer.map(|Extension(ConnectInfo(a))| a.ip());
    if let Err(wait) = s.limits.sign_in.check(&body.username, addr) {
        tracing::warn!(
            retry_after_s = wait.as_secs(),
            "sign-in refused: too many attempts"
        );
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            "too many sign-in attempts for this username or from this client; retry after the Retry-After seconds",
        )
        .with_retry_after(wait));
    }
    let found = s.accounts.credentials(&body.username).await?;
    let (user, stored) = match found {
        Some((u, h)) => (Some(u), Some(h)),
        None => (None, None),
    };
    let ok = passwords::verify(body.password, stored).await?;
    let user = match (ok, user) {
        (true, Some(u)) => u,
        _ => {
            tracing::info!(username = %body.username.chars().take(64).collect::<String>(), "sign-in refused");
            return Err(refused());
        }
    };
    // Said plainly, but only to someone who knows the password: a guesser learns nothing, and
    // the real person learns why instead of retrying until the limiter locks them out.
    if user.disabled {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "account_disabled",
            "this account is disabled; ask an organisation admin",
        ));
    }
    let (token, csrf) = (new_api_token(), new_api_token());
    let expires_at = Utc::now() + LIFETIME;
    s.accounts
        .create_session(NewSession {
            id: SessionId::new(),
            token_hash: secret::hash(&token),
            csrf_hash: secret::hash(&csrf),
            user_id: user.id,
            expires_at,
        })
        .await?;
    record(&s, &user.username, "login", None, user.id, None).await;
    let mut headers = HeaderMap::new();
    headers.insert(SET_COOKIE, cookie(&s, &token, LIFETIME.num_seconds())?);
    Ok((
        StatusCode::CREATED,
        headers,
        Json(SignedIn {
            user,
            csrf_token: csrf,
            expires_at,
        }),
    ))
}

/// Sign out: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/session", tag = "session",
    responses((status = 204, description = "Signed out"), (status = "4XX", body = ErrorBody)))]
async fn sign_out(
    State(s): State<AppState>,
    caller: Caller,
) -> Result<(StatusCode, HeaderMap), ApiError> {
    if let Some(id) = caller.session {
        s.accounts.delete_session(id).await?;
        record(&s, caller.actor(), "logout", None, "", None).await;
    }
    let mut headers = HeaderMap::new();
    headers.insert(SET_COOKIE, cookie(&s, "", 0)?);
    Ok((StatusCode::NO_CONTENT, headers))
}
