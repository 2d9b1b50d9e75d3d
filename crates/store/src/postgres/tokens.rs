//! API tokens: creation and the lookups that authenticate a caller. (Listing and revoking
//! them is the accounts side's.)

use async_trait::async_trait;
use chrono::Utc;
use tocsin_core::model::{ApiToken, Scope};
use tocsin_core::TokenId;
use tokio_postgres::GenericClient;

use super::rows::{self, TOKEN_COLS};
use super::{bounded, pg, PgStore};
use crate::{records, require_team, sql, NewToken, StoreError, StoredToken, TokenStore};

pub(super) async fn insert(c: &impl GenericClient, t: &NewToken) -> Result<ApiToken, StoreError> {
    // A team that does not exist is "not found", as for services, not a foreign-key conflict
    // whose message names the schema.
    if let Some(team) = t.team_id {
        c.query_opt(sql::TEAM_EXISTS, &[&team])
            .await?
            .ok_or(StoreError::NotFound("team"))?;
    }
    let tok = records::token(t);
    c.execute(
        sql::INSERT_TOKEN,
        &[
            &tok.id,
            &tok.name,
            &t.hash.as_slice(),
            &tok.role.as_str(),
            &tok.team_id,
            &tok.created_at,
            &tok.expires_at,
            &tok.user_id,
        ],
    )
    .await?;
    Ok(tok)
}

#[async_trait]
impl TokenStore for PgStore {
    async fn create_token(&self, scope: &Scope, t: NewToken) -> Result<ApiToken, StoreError> {
        if let Some(team) = t.team_id {
            require_team(scope, team, "team")?;
        }
        bounded(async { insert(pg(&self.client().await?), &t).await }).await
    }

    async fn token_by_hash(&self, hash: [u8; 32]) -> Result<Option<StoredToken>, StoreError> {
        bounded(async {
            let c = self.client().await?;
            let stmt = c
                .prepare_cached(&format!(
                    "SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = $1"
                ))
                .await?;
            Ok(c.query_opt(&stmt, &[&hash.as_slice()])
                .await?
                .as_ref()
                .map(rows::token)
                .transpose()?
                .map(|(token, hash)| StoredToken { token, hash }))
        })
        .await
    }

    async fn touch_token(&self, id: TokenId) -> Result<(), StoreError> {
        bounded(async {
            let c = self.client().await?;
            c.execute(sql::TOUCH_TOKEN, &[&Utc::now(), &id]).await?;
            Ok(())
        })
        .await
    }
}
