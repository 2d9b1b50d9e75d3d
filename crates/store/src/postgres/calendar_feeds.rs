//! [`CalendarFeedStore`] for PostgreSQL, behaving as SQLite's does. Replacing a feed locks
//! its owner's row shared (the schedule or user) and runs revoke-then-insert in one
//! transaction.

use async_trait::async_trait;
use tocsin_core::schedule::records::{CalendarFeed, FeedOf};

use super::bind::col;
use super::{bounded, PgStore};
use crate::paging_sql::{PG_LOCK_OWNER, USER_EXISTS};
use crate::schedule_records as records;
use crate::schedule_sql as sql;
use crate::schedules::CalendarFeedStore;
use crate::StoreError;

#[async_trait]
impl CalendarFeedStore for PgStore {
    async fn create_calendar_feed(
        &self, of: FeedOf, hash: [u8; 32],
    ) -> Result<CalendarFeed, StoreError> {
        let f = records::feed(of);
        let (schedule, user) = records::feed_cols(of);
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            // Two creations at once: the second waits, then revokes the first's feed.
            let (key, exists, what) = match of {
                FeedOf::Schedule(s) => (s.to_string(), sql::SCHEDULE_EXISTS, "schedule"),
                FeedOf::User(u) => (u.to_string(), USER_EXISTS, "user"),
            };
            tx.execute(PG_LOCK_OWNER, &[&format!("feed:{key}")]).await?;
            tx.query_opt(&format!("{exists} FOR SHARE"), &[&key])
                .await?
                .ok_or(StoreError::NotFound(what))?;
            tx.execute(sql::REVOKE_FEED, &[&f.created_at, &schedule, &user])
                .await?;
            tx.execute(
                sql::INSERT_FEED,
                &[&f.id, &hash.as_slice(), &schedule, &user, &f.created_at],
            )
            .await?;
            tx.commit().await?;
            Ok(f)
        })
        .await
    }

    async fn revoke_calendar_feed(&self, of: FeedOf) -> Result<bool, StoreError> {
        let (schedule, user) = records::feed_cols(of);
        let now = crate::records::now_micros();
        bounded(async {
            let n = self
                .client()
                .await?
                .execute(sql::REVOKE_FEED, &[&now, &schedule, &user])
                .await?;
            Ok(n > 0)
        })
        .await
    }

    async fn calendar_feed_by_hash(
        &self, hash: [u8; 32],
    ) -> Result<Option<CalendarFeed>, StoreError> {
        bounded(async {
            let row = self
                .client()
                .await?
                .query_opt(sql::FEED_BY_HASH, &[&hash.as_slice()])
                .await?;
            row.map(|r| {
                Ok(CalendarFeed {
                    id: col(&r, 0)?,
                    of: records::feed_of(col(&r, 1)?, col(&r, 2)?)?,
                    created_at: col(&r, 3)?,
                })
            })
            .transpose()
        })
        .await
    }
}
