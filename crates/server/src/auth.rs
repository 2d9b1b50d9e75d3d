//! Who is calling: the bearer-token extractor.
//!
//! Every API handler takes a [`Caller`], and every store read takes the caller's [`Scope`], so
//! a handler cannot forget the tenant. Tokens are looked up by hash and compared in constant
//! time; expired and revoked tokens are refused like unknown ones.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use chrono::Utc;
use tocsin_core::model::{ApiToken, Scope};
use tocsin_core::secret;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct Caller {
    pub token: ApiToken,
    pub scope: Scope,
}

impl Caller {
    /// The name written into timelines and `resolved_by`.
    pub fn actor(&self) -> &str {
        &self.token.name
    }

    pub fn is_org_admin(&self) -> bool {
        self.scope == Scope::All && self.token.role == "admin"
    }

    pub fn require_org_admin(&self) -> Result<(), ApiError> {
        if self.is_org_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "this needs an organisation admin token",
            ))
        }
    }
}

/// Last-used times are written at most this often per token, so reads stay reads.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
            ApiError::unauthorized("missing `Authorization: Bearer <token>` header")
        })?;
        let raw = header
            .to_str()
            .ok()
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be `Bearer <token>`")
            })?;
        let hash = secret::hash(raw);
        let stored = state.store.token_by_hash(hash).await?;
        let stored = stored
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
        let scope = match tok.team_id {
            None if tok.role == "admin" => Scope::All,
            None => Scope::Teams(Vec::new()),
            Some(team) => Scope::Teams(vec![team]),
        };
        Ok(Caller { token: tok, scope })
    }
}
