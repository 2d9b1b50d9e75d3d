//! [`TokenAdminStore`] for SQLite: which tokens a caller sees is core's `TokenVisibility`; whether
//! a revocation writes is core's `credentials::revoke`.

use async_trait::async_trait;
use chrono::Utc;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension};
use tocsin_core::credentials;
use tocsin_core::model::ApiToken;
use tocsin_core::TokenId;

use super::rows::{self, TOKEN_COLS};
use super::time::to_db;
use super::SqliteStore;
use crate::accounts::sql::{self, sqlite};
use crate::accounts::Result;
use crate::accounts::{TokenAdminStore, TokenVisibility};
use crate::StoreError;

#[async_trait]
impl TokenAdminStore for SqliteStore {
    async fn list_tokens(&self, v: &TokenVisibility) -> Result<Vec<ApiToken>> {
        let filter = v.filter();
        self.read(move |c| {
            let mut args = Vec::<Value>::new();
            let sql = format!(
                "SELECT {TOKEN_COLS} FROM api_tokens WHERE TRUE{} ORDER BY id",
                sql::tokens_where(&filter, &mut args)
            );
            let rows = c
                .prepare_cached(&sql)?
                .query_map(params_from_iter(args), rows::token)?
                .map(|r| r.map(|(t, _)| t))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn revoke_token(&self, v: &TokenVisibility, id: TokenId) -> Result<ApiToken> {
        let filter = v.filter();
        self.writer
            .write(move |c| {
                let mut args = vec![Value::Text(id.to_string())];
                let sql = format!(
                    "SELECT {TOKEN_COLS} FROM api_tokens WHERE id = ?1{}",
                    sql::tokens_where(&filter, &mut args)
                );
                let (tok, _) = c
                    .prepare_cached(&sql)?
                    .query_row(params_from_iter(args), rows::token)
                    .optional()?
                    .ok_or(StoreError::NotFound("token"))?;
                let Some(revoked) = credentials::revoke(&tok, Utc::now()) else {
                    return Ok(tok);
                };
                c.execute(
                    &sqlite(sql::REVOKE_TOKEN),
                    params![id, revoked.revoked_at.map(to_db)],
                )?;
                Ok(revoked)
            })
            .await
    }
}
