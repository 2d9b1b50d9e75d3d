//! Who is calling, and what they may do: the one extractor every API handler takes.
//!
//! A caller comes from a bearer token or a session cookie, and carries its [`Grants`]: its
//! user's team roles narrowed by the token's role and team. Reads take [`Caller::reads`], the
//! teams it can see, so a handler cannot forget the tenant: out-of-scope rows are "not found"
//! (404, no existence leak).
//!
//! Writes to something a team owns take the scope of an [`InTeam<R>`], and the only way to
//! get one is [`Caller::at`]: the role check, with the least role a type ([`role::Responder`],
//! [`role::Admin`], …). It answers 404 for a team the caller cannot see and 403 for a role too
//! low, and the scope it hands out holds that one team only, so a write cannot be written
//! without the check, nor reach past the team it checked.
//!
//! Tokens and sessions are looked up by hash and compared in constant time; expired and
//! revoked tokens are refused like unknown ones, and a disabled user's tokens and sessions
//! are refused (401 `account_disabled`). A state-changing request authenticated by
//! cookie must echo the session's CSRF token in `X-Tocsin-CSRF`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use chrono::Utc;
use tocsin_core::model::{ApiToken, Scope, User};
use tocsin_core::{secret, Grants, SessionId, TeamId};

use crate::error::ApiError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "tocsin_session";
pub const CSRF_HEADER: &str = "x-tocsin-csrf";

#[derive(Debug, Clone)]
pub struct Caller {
    /// The name written into timelines, `resolved_by` and the audit log.
    pub actor: String,
    pub user: Option<User>,
    /// The token used, when not a session.
    pub token: Option<ApiToken>,
    pub session: Option<SessionId>,
    pub grants: Grants,
    /// Everything the caller may see: for reads ([`Caller::reads`]).
    scope: Scope,
}

/// The least role a route needs, as a type: `caller.at::<role::Responder>(team)`.
pub mod role {
    use tocsin_core::Role;

    /// A team role as a type.
    pub trait Min {
        const ROLE: Role;
    }

    pub struct Observer;
    pub struct Responder;
    pub struct Admin;
    pub struct Owner;

    impl Min for Observer {
        const ROLE: Role = Role::Observer;
    }
    impl Min for Responder {
        const ROLE: Role = Role::Responder;
    }
    impl Min for Admin {
        const ROLE: Role = Role::Admin;
    }
    impl Min for Owner {
        const ROLE: Role = Role::Owner;
    }

    /// Who may change a service ([`Role::MANAGES_SERVICES`]).
    pub type ManagesServices = Admin;
    const _: () = assert!(matches!(
        <ManagesServices as Min>::ROLE,
        Role::MANAGES_SERVICES
    ));
}

/// Proof that the caller holds at least `R` in one team, made only by [`Caller::at`]; its
/// [`scope`](InTeam::scope) is what a team-owned write takes.
pub struct InTeam<'a, R> {
    caller: &'a Caller,
    team: TeamId,
    scope: Scope,
    role: std::marker::PhantomData<R>,
}

impl<R: role::Min> InTeam<'_, R> {
    pub fn team(&self) -> TeamId {
        self.team
    }

    /// This team only: a write given it cannot touch another team's rows.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    pub fn actor(&self) -> &str {
        self.caller.actor()
    }
}

impl Caller {
    pub(crate) fn new(actor: String, grants: Grants) -> Self {
        Self {
            actor,
            scope: grants.scope(),
            grants,
            user: None,
            token: None,
            session: None,
        }
    }

    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// The teams the caller can see: the scope of every read.
    pub fn reads(&self) -> &Scope {
        &self.scope
    }

    pub fn is_org_admin(&self) -> bool {
        self.grants.org_admin
    }

    pub fn require_org_admin(&self) -> Result<(), ApiError> {
        if self.is_org_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden("this needs an organisation admin"))
        }
    }

    /// At least `R` in `team`: 404 when the caller cannot see the team, 403 when it can but
    /// its role is lower. The handle it returns carries the scope for writes to that team.
    pub fn at<R: role::Min>(&self, team: TeamId) -> Result<InTeam<'_, R>, ApiError> {
        let min = R::ROLE;
        match self.grants.role_in(team) {
            None => Err(ApiError::not_found("team")),
            Some(r) if r < min => Err(ApiError::forbidden(format!(
                "this needs the {min} role in the team; you have {r}"
            ))),
            Some(_) => Ok(InTeam {
                caller: self,
                team,
                scope: Scope::Teams(vec![team]),
                role: std::marker::PhantomData,
            }),
        }
    }

    /// The teams where the caller holds at least `R`, for reads that list across teams (the
    /// tokens and audit entries an owner may see). Not a write scope: writes use [`Caller::at`].
    pub fn teams_at<R: role::Min>(&self) -> Scope {
        self.grants.scope_at(R::ROLE)
    }
}

/// Last-used times are written at most this often per token or session, so reads stay reads.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// A disabled user's sessions and tokens stop at once. Checked on the user row read for this
/// very request, so it holds on every node sharing the database, with no cache to expire.
fn refuse_disabled(user: &User) -> Result<(), ApiError> {
    if user.disabled {
        return Err(ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "account_disabled",
            "this account is disabled; ask an organisation admin",
        ));
    }
    Ok(())
}

fn bearer(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(header) = parts.headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    header
        .to_str()
        .ok()
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(Some)
        .ok_or_else(|| ApiError::unauthorized("the Authorization header must be `Bearer <token>`"))
}

pub fn session_cookie(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

async fn from_token(state: &AppState, raw: &str) -> Result<Caller, ApiError> {
    let hash = secret::hash(raw);
    let stored = state
        .store
        .token_by_hash(hash)
        .await?
        .filter(|s| secret::eq(&s.hash, &hash))
        .ok_or_else(|| ApiError::unauthorized("invalid token"))?;
    let now = Utc::now();
    let tok = stored.token;
    if tok.revoked_at.is_some() || tok.expires_at.is_some_and(|e| e <= now) {
        return Err(ApiError::unauthorized("invalid token"));
    }
    if tok.last_used_at.is_none_or(|t| now - t > TOUCH_EVERY) {
        let store = state.store.clone();
        let id = tok.id;
        tokio::spawn(async move {
            if let Err(e) = store.touch_token(id).await {
                tracing::warn!(error = %e, "could not record token use");
            }
        });
    }
    let (user, grants) = match (tok.user_id, tok.team_id) {
        (Some(uid), team) => {
            let user = state
                .accounts
                .user_by_id(uid)
                .await?
                .ok_or_else(|| ApiError::unauthorized("invalid token"))?;
            refuse_disabled(&user)?;
            let mine = state.accounts.memberships(uid).await?;
            let mut g = Grants::of_user(user.org_admin, mine).cap(tok.role);
            if let Some(t) = team {
                g = g.only(t);
            }
            (Some(user), g)
        }
        (None, Some(team)) => (None, Grants::team(team, tok.role.team_role())),
        (None, None) => (None, Grants::org_wide(tok.role)),
    };
    let actor = user
        .as_ref()
        .map_or_else(|| tok.name.clone(), |u| u.username.clone());
    Ok(Caller {
        user,
        token: Some(tok),
        ..Caller::new(actor, grants)
    })
}

/// [`from_token`], behind the failed-bearer limit of the client's address: once an address has
/// failed too often, its requests are refused (429) before any token is looked up, so guessing
/// costs the guesser time and us nothing. Each failure is logged (the address, never the
/// token) and counted in `/metrics`.
async fn guarded_token(
    state: &AppState, raw: &str, addr: Option<IpAddr>,
) -> Result<Caller, ApiError> {
    let limiter = &state.limits.bad_bearers;
    if let Some(a) = addr {
        if let Err(wait) = limiter.peek(&a) {
            state.metrics.count_bearer_throttled();
            if state.limits.should_warn() {
                tracing::warn!(client = %a, retry_after_s = wait.as_secs(),
                    "bearer refused: too many failed authentications from this client");
            }
            return Err(too_many_attempts(wait));
        }
    }
    let res = from_token(state, raw).await;
    if matches!(&res, Err(e) if e.status == StatusCode::UNAUTHORIZED) {
        state.metrics.count_bearer_failure();
        tracing::warn!(
            client = addr.map(tracing::field::display),
            "bearer authentication failed: unknown, revoked or expired token"
        );
        if let Some(a) = addr {
            // Spend one of the address's failures; the next request sees the result.
            let _ = limiter.check(&a);
        }
    }
    res
}

fn too_many_attempts(wait: std::time::Duration) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        "too many failed authentications from this client; retry after the Retry-After seconds",
    )
    .with_retry_after(wait)
}

async fn from_session(state: &AppState, parts: &Parts, raw: &str) -> Result<Caller, ApiError> {
    let hash = secret::hash(raw);
    let s = state
        .accounts
        .session_by_hash(hash)
        .await?
        .filter(|s| secret::eq(&s.token_hash, &hash))
        .filter(|s| s.expires_at > Utc::now())
        .ok_or_else(|| ApiError::unauthorized("the session has ended; sign in again"))?;
    // Disabling ends the user's sessions; this also covers one created in the same instant.
    refuse_disabled(&s.user)?;
    if s.last_seen_at.is_none_or(|t| Utc::now() - t > TOUCH_EVERY) {
        let accounts = state.accounts.clone();
        let id = s.id;
        tokio::spawn(async move {
            if let Err(e) = accounts.touch_session(id).await {
                tracing::warn!(error = %e, "could not record session use");
            }
        });
    }
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let given = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if given.is_empty() || !secret::eq(&secret::hash(given), &s.csrf_hash) {
            return Err(ApiError::forbidden(
                "a request signed in by cookie must carry the X-Tocsin-CSRF header from sign-in",
            ));
        }
    }
    let mine = state.accounts.memberships(s.user.id).await?;
    let grants = Grants::of_user(s.user.org_admin, mine);
    Ok(Caller {
        user: Some(s.user.clone()),
        session: Some(s.id),
        ..Caller::new(s.user.username.clone(), grants)
    })
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(raw) = bearer(parts)? {
            let addr = parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(a)| crate::limits::client_key(a.ip()));
            return guarded_token(state, raw, addr).await;
        }
        if let Some(raw) = session_cookie(parts) {
            return from_session(state, parts, raw).await;
        }
        Err(ApiError::unauthorized(
            "missing `Authorization: Bearer <token>` header or session cookie",
        ))
    }
}

#[cfg(test)]
mod tests {
    use tocsin_core::{Role, TokenRole};

    use super::*;

    fn code<T>(r: Result<T, ApiError>) -> Result<T, (u16, &'static str)> {
        r.map_err(|e| (e.status.as_u16(), e.code))
    }

    #[test]
    fn at_is_404_unseen_403_too_low_and_scopes_writes_to_the_one_team() {
        let (mine, other) = (TeamId::new(), TeamId::new());
        let responder = Caller::new(
            "r".into(),
            Grants::of_user(false, [(mine, Role::Responder)]),
        );
        let team = code(responder.at::<role::Responder>(mine)).expect("responder");
        assert_eq!(team.team(), mine);
        assert_eq!(team.scope(), &Scope::Teams(vec![mine]));
        assert_eq!(team.actor(), "r");
        assert_eq!(
            code(responder.at::<role::Admin>(mine)).err(),
            Some((403, "forbidden"))
        );
        assert_eq!(
            code(responder.at::<role::Observer>(other)).err(),
            Some((404, "not_found"))
        );
        // A role in every team still writes to one team at a time.
        let org = Caller::new("o".into(), Grants::org_wide(TokenRole::Owner));
        let team = code(org.at::<role::Owner>(other)).expect("owner everywhere");
        assert_eq!(team.scope(), &Scope::Teams(vec![other]));
        assert_eq!(org.reads(), &Scope::All);
        assert_eq!(org.teams_at::<role::Owner>(), Scope::All);
        assert_eq!(
            responder.teams_at::<role::Admin>(),
            Scope::Teams(Vec::new())
        );
    }
}
