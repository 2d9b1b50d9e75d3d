//! [`OverrideStore`] for SQLite: a schedule's overrides, within the caller's scope.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use tocsin_core::model::Scope;
use tocsin_core::schedule::records::ScheduleOverride;
use tocsin_core::{OverrideId, ScheduleId, UserId};

use super::schedules::{get_in, schedule_override};
use super::time::to_db;
use super::SqliteStore;
use crate::paging_sql::USER_EXISTS;
use crate::schedule_records as records;
use crate::schedule_sql as sql;
use crate::schedules::OverrideStore;
use crate::StoreError;

#[async_trait]
impl OverrideStore for SqliteStore {
    async fn create_override(
        &self, scope: &Scope, schedule: ScheduleId, user: UserId, start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<ScheduleOverride, StoreError> {
        let scope = scope.clone();
        let o = records::schedule_override(schedule, user, start, end);
        self.writer
            .write(move |c| {
                get_in(c, &scope, schedule)?;
                c.query_row(USER_EXISTS, params![user], |_| Ok(()))
                    .optional()?
                    .ok_or_else(|| records::override_user_missing(user))?;
                c.execute(
                    sql::INSERT_OVERRIDE,
                    params![
                        o.id,
                        schedule,
                        user,
                        to_db(o.start),
                        to_db(o.end),
                        to_db(o.created_at)
                    ],
                )?;
                Ok(o)
            })
            .await
    }

    async fn list_overrides(
        &self, scope: &Scope, schedule: ScheduleId, after: DateTime<Utc>,
    ) -> Result<Vec<ScheduleOverride>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            get_in(c, &scope, schedule)?;
            Ok(c.prepare_cached(sql::LIST_OVERRIDES)?
                .query_map(params![schedule, to_db(after)], schedule_override)?
                .collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn delete_override(
        &self, scope: &Scope, schedule: ScheduleId, id: OverrideId,
    ) -> Result<(), StoreError> {
        let scope = scope.clone();
        self.writer
            .write(move |c| {
                get_in(c, &scope, schedule)?;
                match c.execute(sql::DELETE_OVERRIDE, params![id, schedule])? {
                    0 => Err(StoreError::NotFound("schedule override")),
                    _ => Ok(()),
                }
            })
            .await
    }
}
