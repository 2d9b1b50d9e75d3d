//! [`AuditStore`] for SQLite: entries recorded, and listed newest first within a scope.

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter};
use tocsin_core::model::{AuditEntry, Scope};
use tocsin_core::AuditId;

use super::rows::{self, AUDIT_COLS};
use super::time::to_db;
use super::{scope_sql, SqliteStore};
use crate::accounts::sql::{self, sqlite};
use crate::accounts::AuditStore;
use crate::accounts::Result;

#[async_trait]
impl AuditStore for SqliteStore {
    async fn record_audit(&self, e: AuditEntry) -> Result<()> {
        self.writer
            .write(move |c| {
                c.execute(
                    &sqlite(sql::INSERT_AUDIT),
                    params![
                        e.id,
                        to_db(e.at),
                        e.actor,
                        e.action,
                        e.team_id,
                        e.target,
                        e.detail
                    ],
                )?;
                Ok(())
            })
            .await
    }

    async fn list_audit(
        &self, scope: &Scope, limit: u32, before: Option<AuditId>,
    ) -> Result<Vec<AuditEntry>> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = Vec::new();
            let mut sql = format!(
                "SELECT {AUDIT_COLS} FROM audit_log WHERE TRUE{}",
                scope_sql(&scope, "team_id", &mut args)
            );
            if let Some(b) = before {
                sql.push_str(" AND id < ?");
                args.push(Value::Text(b.to_string()));
            }
            sql.push_str(" ORDER BY id DESC LIMIT ?");
            args.push(Value::Integer(i64::from(limit.max(1))));
            let rows = c
                .prepare_cached(&sql)?
                .query_map(params_from_iter(args), rows::audit)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }
}
