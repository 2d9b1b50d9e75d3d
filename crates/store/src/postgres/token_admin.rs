//! [`TokenAdminStore`] for PostgreSQL: which tokens a caller sees is core's `TokenVisibility`;
//! whether a revocation writes is core's `credentials::revoke`.

use async_trait::async_trait;
use chrono::Utc;
use tocsin_core::credentials;
use tocsin_core::model::ApiToken;
use tocsin_core::TokenId;

use super::rows::{self, TOKEN_COLS};
use super::{bounded, refs, Params, PgStore};
use crate::accounts::sql;
use crate::accounts::Result;
use crate::accounts::{TokenAdminStore, TokenVisibility};
use crate::StoreError;

#[async_trait]
impl TokenAdminStore for PgStore {
    async fn list_tokens(&self, v: &TokenVisibility) -> Result<Vec<ApiToken>> {
        bounded(async {
            let mut args = Params::new();
            let sql = format!(
                "SELECT {TOKEN_COLS} FROM api_tokens WHERE TRUE{} ORDER BY id",
                sql::tokens_where(&v.filter(), &mut args)
            );
            let rows = self.client().await?.query(&sql, &refs(&args)).await?;
            rows.iter()
                .map(|r| rows::token(r).map(|(t, _)| t))
                .collect()
        })
        .await
    }

    async fn revoke_token(&self, v: &TokenVisibility, id: TokenId) -> Result<ApiToken> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let mut args: Params = vec![Box::new(id)];
            // Locked, so two revocations at once agree on the first time.
            let sql = format!(
                "SELECT {TOKEN_COLS} FROM api_tokens WHERE id = $1{} FOR UPDATE",
                sql::tokens_where(&v.filter(), &mut args)
            );
            let (tok, _) = tx
                .query_opt(&sql, &refs(&args))
                .await?
                .as_ref()
                .map(rows::token)
                .transpose()?
                .ok_or(StoreError::NotFound("token"))?;
            let Some(revoked) = credentials::revoke(&tok, Utc::now()) else {
                return Ok(tok);
            };
            tx.execute(sql::REVOKE_TOKEN, &[&id, &revoked.revoked_at])
                .await?;
            tx.commit().await?;
            Ok(revoked)
        })
        .await
    }
}
