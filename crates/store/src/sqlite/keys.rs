//! [`KeyStore`] for SQLite: webhook key rotation (what it writes is core's
//! `credentials::rotate_key`) and lookup by the current or a previous key.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension};
use tocsin_core::credentials::{key_accepted, rotate_key};
use tocsin_core::model::Scope;
use tocsin_core::ServiceId;

use super::rows::{self, SERVICE_COLS};
use super::time::{from_db, to_db};
use super::{scope_sql, SqliteStore};
use crate::accounts::sql::{self, sqlite};
use crate::accounts::Result;
use crate::accounts::{KeyMatch, KeyStore, Rotated};
use crate::StoreError;

#[async_trait]
impl KeyStore for SqliteStore {
    async fn rotate_service_key(
        &self, scope: &Scope, id: ServiceId, new_key: &str, grace_until: Option<DateTime<Utc>>,
    ) -> Result<Rotated> {
        let (scope, new_key) = (scope.clone(), new_key.to_owned());
        self.writer
            .write(move |c| {
                let mut args = vec![Value::Text(id.to_string())];
                let sql = format!(
                    "SELECT {SERVICE_COLS} FROM services WHERE id = ?{}",
                    scope_sql(&scope, "team_id", &mut args)
                );
                let old = c
                    .prepare_cached(&sql)?
                    .query_row(params_from_iter(args), rows::service)
                    .optional()?
                    .ok_or(StoreError::NotFound("service"))?;
                let r = rotate_key(&old, &new_key, grace_until);
                c.execute(
                    &sqlite(sql::ROTATE_KEY),
                    params![
                        id,
                        r.api_key,
                        r.api_key_hash.as_slice(),
                        r.previous_api_key_hash.as_ref().map(|h| h.as_slice()),
                        r.previous_key_expires_at.map(to_db)
                    ],
                )?;
                Ok(Rotated::replacing(old, r.api_key))
            })
            .await
    }

    async fn service_by_any_key_hash(&self, hash: [u8; 32]) -> Result<Option<KeyMatch>> {
        self.read(move |c| {
            // Both candidates; core's `key_accepted` says whether a previous key's grace runs.
            let sql = format!(
                "SELECT {SERVICE_COLS}, api_key_hash, NULL FROM services WHERE api_key_hash = ?1
                 UNION ALL
                 SELECT {SERVICE_COLS}, previous_api_key_hash, previous_key_expires_at FROM services
                 WHERE previous_api_key_hash = ?1"
            );
            let found = c
                .prepare_cached(&sql)?
                .query_map(params![hash.as_slice()], |r| {
                    let until: Option<i64> = r.get(7)?;
                    Ok(KeyMatch {
                        service: rows::service(r)?,
                        stored_hash: rows::hash32(6, r.get(6)?)?,
                        valid_until: until.map(from_db),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let now = Utc::now();
            Ok(found.into_iter().find(|k| key_accepted(k.valid_until, now)))
        })
        .await
    }
}
