//! What each alert source last did on a service (stamped by ingest, as planned in core).

use async_trait::async_trait;
use tocsin_core::model::{AlertSourceActivity, Scope};
use tocsin_core::ServiceId;

use super::rows;
use super::{bounded, refs, scope_sql, Params, PgStore};
use crate::{sql, AlertSourceStore, StoreError};

#[async_trait]
impl AlertSourceStore for PgStore {
    async fn alert_source_activity(
        &self, scope: &Scope, service: ServiceId,
    ) -> Result<Vec<AlertSourceActivity>, StoreError> {
        bounded(async {
            let mut args: Params = vec![Box::new(service)];
            let sql = format!(
                "{}{}",
                sql::ALERT_SOURCE_ACTIVITY,
                scope_sql(scope, "s.team_id", &mut args)
            );
            let rows = self.client().await?.query(&sql, &refs(&args)).await?;
            rows::all(&rows, rows::activity)
        })
        .await
    }
}
