//! [`OverrideStore`] for PostgreSQL, behaving as SQLite's does. The schedule is locked shared
//! while an override is added, so its delete cannot interleave; the foreign keys are the
//! backstop.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tocsin_core::model::Scope;
use tocsin_core::schedule::records::ScheduleOverride;
use tocsin_core::{OverrideId, ScheduleId, UserId};

use super::schedules::{get_in, schedule_override};
use super::{bounded, rows, PgStore};
use crate::paging_sql::USER_EXISTS;
use crate::schedule_records as records;
use crate::schedule_sql as sql;
use crate::schedules::OverrideStore;
use crate::StoreError;

#[async_trait]
impl OverrideStore for PgStore {
    async fn create_override(
        &self, scope: &Scope, schedule: ScheduleId, user: UserId, start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<ScheduleOverride, StoreError> {
        let o = records::schedule_override(schedule, user, start, end);
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            get_in(&*tx, scope, schedule, " FOR SHARE").await?;
            tx.query_opt(&format!("{USER_EXISTS} FOR SHARE"), &[&user])
                .await?
                .ok_or_else(|| records::override_user_missing(user))?;
            tx.execute(
                sql::INSERT_OVERRIDE,
                &[&o.id, &schedule, &user, &o.start, &o.end, &o.created_at],
            )
            .await?;
            tx.commit().await?;
            Ok(o)
        })
        .await
    }

    async fn list_overrides(
        &self, scope: &Scope, schedule: ScheduleId, after: DateTime<Utc>,
    ) -> Result<Vec<ScheduleOverride>, StoreError> {
        bounded(async {
            let c = self.client().await?;
            get_in(&**c, scope, schedule, "").await?;
            let rows = c.query(sql::LIST_OVERRIDES, &[&schedule, &after]).await?;
            rows::all(&rows, schedule_override)
        })
        .await
    }

    async fn delete_override(
        &self, scope: &Scope, schedule: ScheduleId, id: OverrideId,
    ) -> Result<(), StoreError> {
        bounded(async {
            let c = self.client().await?;
            get_in(&**c, scope, schedule, "").await?;
            match c.execute(sql::DELETE_OVERRIDE, &[&id, &schedule]).await? {
                0 => Err(StoreError::NotFound("schedule override")),
                _ => Ok(()),
            }
        })
        .await
    }
}
