//! Signing in and out with a password, for the web UI: a session cookie (HttpOnly,
//! SameSite=Lax, Secure over https) plus a CSRF token that state-changing requests echo in
//! `X-Tocsin-CSRF`. Sign-in itself is guarded against login CSRF ([`FromThisSite`]); sign-out
//! needs no CSRF token (see [`sign_out`]).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::Extension;
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tocsin_core::{secret, SessionId};
use tocsin_store::NewSession;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::record;
use super::dto::User;
use super::login_csrf::FromThisSite;
use crate::auth::SESSION_COOKIE;
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiJson;
use crate::logsafe::escape;
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
    .map_err(|e| ApiError::internal("building the session cookie", e))
}

/// Sign in; sets the session cookie. The body must be sent as `application/json` (415
/// otherwise), and a browser's request must come from Tocsin's own pages: a foreign `Origin`
/// or `Sec-Fetch-Site: cross-site` is refused (403 `cross_site_request`), so another site
/// cannot sign a visitor in to an account of its choosing.
#[utoipa::path(post, path = "/session", tag = "session", request_body = Credentials,
    security(()),
    responses((status = 201, body = SignedIn),
        (status = 403, description = "`cross_site_request`: sent by another site (foreign Origin, or Sec-Fetch-Site: cross-site); `account_disabled`: the password is right but the account is disabled", body = ErrorBody),
        (status = 415, description = "The body is not declared as application/json", body = ErrorBody),
        (status = 429, description = "Too many attempts for this username or from this client; see Retry-After", body = ErrorBody),
        (status = "4XX", body = ErrorBody)))]
async fn sign_in(
    State(s): State<AppState>, peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    _from: FromThisSite, ApiJson(body): ApiJson<Credentials>,
) -> Result<(StatusCode, HeaderMap, Json<SignedIn>), ApiError> {
    let refused = || ApiError::unauthorized("wrong username or password");
    // No such username can exist; checked first so the limiter only ever keys short names.
    if body.username.len() > 64 || body.password.len() > passwords::MAX_LEN * 4 {
        return Err(refused());
    }
    let addr = peer.map(|Extension(ConnectInfo(a))| a.ip());
    if let Err(wait) = s.limits.sign_in.check(&body.username, addr) {
        tracing::warn!(
            client = addr.map(tracing::field::display),
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
            // The username is what the client typed, maybe a password in the wrong box: only
            // at debug, escaped.
            tracing::info!(
                client = addr.map(tracing::field::display),
                "sign-in refused: wrong username or password"
            );
            tracing::debug!(username = escape(&body.username), "sign-in refused");
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
    s.limits.sign_in.signed_in(&user.username, addr);
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
            user: user.into(),
            csrf_token: csrf,
            expires_at,
        }),
    ))
}

/// Sign out: ends the session the cookie names, if any, and clears the cookie; always 204.
///
/// No CSRF token is asked for. Forcing someone's sign-out gains an attacker nothing (and the
/// SameSite cookie is not sent cross-site anyway), while asking for the token made sign-out
/// fail whenever the browser held another session's token (a sign-in in another tab, or a
/// login-CSRF attempt), leaving the person signed in while the page said they were out.
#[utoipa::path(delete, path = "/session", tag = "session",
    security(()),
    responses((status = 204, description = "Signed out: the cookie's session has ended and the cookie is cleared"),
        (status = "5XX", body = ErrorBody)))]
async fn sign_out(
    State(s): State<AppState>, request: HeaderMap,
) -> Result<(StatusCode, HeaderMap), ApiError> {
    if let Some(raw) = crate::web::cookie(&request, SESSION_COOKIE).filter(|v| !v.is_empty()) {
        let hash = secret::hash(raw.trim());
        let session = s
            .accounts
            .session_by_hash(hash)
            .await?
            .filter(|x| secret::eq(&x.token_hash, &hash));
        if let Some(session) = session {
            s.accounts.delete_session(session.id).await?;
            record(&s, &session.user.username, "logout", None, "", None).await;
        }
    }
    let mut headers = HeaderMap::new();
    headers.insert(SET_COOKIE, cookie(&s, "", 0)?);
    Ok((StatusCode::NO_CONTENT, headers))
}
