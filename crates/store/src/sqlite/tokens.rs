//! API tokens: creation and the lookups that authenticate a caller. (Listing and revoking
//! them is the accounts side's.)

use async_trait::async_trait;
use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension};
use tocsin_core::model::{ApiToken, Scope};
use tocsin_core::TokenId;

use super::rows::{self, TOKEN_COLS};
use super::time::to_db;
use super::SqliteStore;
use crate::{records, require_team, sql, NewToken, StoreError, StoredToken, TokenStore};

pub(super) fn insert(c: &Connection, t: &NewToken) -> Result<ApiToken, StoreError> {
    // A team that does not exist is "not found", as for services, not a foreign-key conflict
    // whose message names the schema.
    if let Some(team) = t.team_id {
        c.query_row(sql::TEAM_EXISTS, params![team], |_| Ok(()))
            .optional()?
            .ok_or(StoreError::NotFound("team"))?;
    }
    let tok = records::token(t);
    c.execute(
        sql::INSERT_TOKEN,
        params![
            tok.id,
            tok.name,
            t.hash.as_slice(),
            tok.role.as_str(),
            tok.team_id,
            to_db(tok.created_at),
            tok.expires_at.map(to_db),
            tok.user_id
        ],
    )?;
    Ok(tok)
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn create_token(&self, scope: &Scope, t: NewToken) -> Result<ApiToken, StoreError> {
        if let Some(team) = t.team_id {
            require_team(scope, team, "team")?;
        }
        self.writer.write(move |c| insert(c, &t)).await
    }

    async fn token_by_hash(&self, hash: [u8; 32]) -> Result<Option<StoredToken>, StoreError> {
        self.read(move |c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = ?1"
            ))?
            .query_row(params![hash.as_slice()], rows::token)
            .optional()?
            .map(|(token, hash)| StoredToken { token, hash }))
        })
        .await
    }

    async fn touch_token(&self, id: TokenId) -> Result<(), StoreError> {
        self.writer
            .write(move |c| {
                c.prepare_cached(sql::TOUCH_TOKEN)?
                    .execute(params![to_db(Utc::now()), id])?;
                Ok(())
            })
            .await
    }
}
