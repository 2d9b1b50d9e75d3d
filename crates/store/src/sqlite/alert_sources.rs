//! What each alert source last did on a service (stamped by ingest, as planned in core).

use async_trait::async_trait;
use rusqlite::params_from_iter;
use rusqlite::types::Value;
use tocsin_core::model::{AlertSourceActivity, Scope};
use tocsin_core::ServiceId;

use super::rows;
use super::{scope_sql, SqliteStore};
use crate::{sql, AlertSourceStore, StoreError};

#[async_trait]
impl AlertSourceStore for SqliteStore {
    async fn alert_source_activity(
        &self, scope: &Scope, service: ServiceId,
    ) -> Result<Vec<AlertSourceActivity>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = vec![Value::Text(service.to_string())];
            let sql = format!(
                "{}{}",
                sql::ALERT_SOURCE_ACTIVITY,
                scope_sql(&scope, "s.team_id", &mut args)
            );
            let rows = c
                .prepare_cached(&sql)?
                .query_map(params_from_iter(args), rows::activity)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }
}
