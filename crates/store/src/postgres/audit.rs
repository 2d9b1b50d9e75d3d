//! [`AuditStore`] for PostgreSQL: entries recorded, and listed newest first within a scope.

use async_trait::async_trait;
use tocsin_core::model::{AuditEntry, Scope};
use tocsin_core::AuditId;

use super::rows;
use super::rows::AUDIT_COLS;
use super::{bounded, refs, scope_sql, Params, PgStore};
use crate::accounts::sql;
use crate::accounts::AuditStore;
use crate::accounts::Result;

#[async_trait]
impl AuditStore for PgStore {
    async fn record_audit(&self, e: AuditEntry) -> Result<()> {
        bounded(async {
            self.client()
                .await?
                .execute(
                    sql::INSERT_AUDIT,
                    &[
                        &e.id, &e.at, &e.actor, &e.action, &e.team_id, &e.target, &e.detail,
                    ],
                )
                .await?;
            Ok(())
        })
        .await
    }

    async fn list_audit(
        &self, scope: &Scope, limit: u32, before: Option<AuditId>,
    ) -> Result<Vec<AuditEntry>> {
        bounded(async {
            let mut args = Params::new();
            let mut sql = format!(
                "SELECT {AUDIT_COLS} FROM audit_log WHERE TRUE{}",
                scope_sql(scope, "team_id", &mut args)
            );
            if let Some(b) = before {
                args.push(Box::new(b));
                sql.push_str(&format!(" AND id < ${}", args.len()));
            }
            args.push(Box::new(i64::from(limit.max(1))));
            sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", args.len()));
            let rows = self.client().await?.query(&sql, &refs(&args)).await?;
            rows::all(&rows, rows::audit)
        })
        .await
    }
}
