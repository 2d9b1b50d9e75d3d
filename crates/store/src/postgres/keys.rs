//! [`KeyStore`] for PostgreSQL: webhook key rotation (what it writes is core's
//! `credentials::rotate_key`) and lookup by the current or a previous key.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tocsin_core::credentials::{key_accepted, rotate_key};
use tocsin_core::model::Scope;
use tocsin_core::ServiceId;

use super::bind::col;
use super::rows::{self, SERVICE_COLS};
use super::{bounded, refs, scope_sql, Params, PgStore};
use crate::accounts::sql;
use crate::accounts::Result;
use crate::accounts::{KeyMatch, KeyStore, Rotated};
use crate::StoreError;

#[async_trait]
impl KeyStore for PgStore {
    async fn rotate_service_key(
        &self, scope: &Scope, id: ServiceId, new_key: &str, grace_until: Option<DateTime<Utc>>,
    ) -> Result<Rotated> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let mut args: Params = vec![Box::new(id)];
            // Locked, so two rotations at once each replace the key the other left.
            let sql = format!(
                "SELECT {SERVICE_COLS} FROM services WHERE id = $1{} FOR UPDATE",
                scope_sql(scope, "team_id", &mut args)
            );
            let old = tx
                .query_opt(&sql, &refs(&args))
                .await?
                .as_ref()
                .map(rows::service)
                .transpose()?
                .ok_or(StoreError::NotFound("service"))?;
            let r = rotate_key(&old, new_key, grace_until);
            tx.execute(
                sql::ROTATE_KEY,
                &[
                    &id,
                    &r.api_key,
                    &r.api_key_hash.as_slice(),
                    &r.previous_api_key_hash.as_ref().map(|h| h.as_slice()),
                    &r.previous_key_expires_at,
                ],
            )
            .await?;
            tx.commit().await?;
            Ok(Rotated::replacing(old, r.api_key))
        })
        .await
    }

    async fn service_by_any_key_hash(&self, hash: [u8; 32]) -> Result<Option<KeyMatch>> {
        bounded(async {
            let c = self.client().await?;
            // Both candidates; core's `key_accepted` says whether a previous key's grace runs.
            let stmt = c
                .prepare_cached(&format!(
                    "SELECT {SERVICE_COLS}, api_key_hash, NULL::timestamptz FROM services
                     WHERE api_key_hash = $1
                     UNION ALL
                     SELECT {SERVICE_COLS}, previous_api_key_hash, previous_key_expires_at
                     FROM services WHERE previous_api_key_hash = $1"
                ))
                .await?;
            let now = Utc::now();
            for r in c.query(&stmt, &[&hash.as_slice()]).await? {
                let k = KeyMatch {
                    service: rows::service(&r)?,
                    stored_hash: rows::hash32(&r, 6)?,
                    valid_until: col(&r, 7)?,
                };
                if key_accepted(k.valid_until, now) {
                    return Ok(Some(k));
                }
            }
            Ok(None)
        })
        .await
    }
}
