//! [`CalendarFeedStore`] for SQLite: secret calendar feeds, by the SHA-256 of their token.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};
use tocsin_core::schedule::records::{CalendarFeed, FeedOf};

use super::time::{from_db, to_db};
use super::SqliteStore;
use crate::paging_sql::USER_EXISTS;
use crate::schedule_records as records;
use crate::schedule_sql as sql;
use crate::schedules::CalendarFeedStore;
use crate::StoreError;

#[async_trait]
impl CalendarFeedStore for SqliteStore {
    async fn create_calendar_feed(
        &self, of: FeedOf, hash: [u8; 32],
    ) -> Result<CalendarFeed, StoreError> {
        let f = records::feed(of);
        self.writer
            .write(move |c| {
                let (schedule, user) = records::feed_cols(of);
                let exists = match of {
                    FeedOf::Schedule(s) => {
                        c.query_row(sql::SCHEDULE_EXISTS, params![s], |_| Ok(()))
                    }
                    FeedOf::User(u) => c.query_row(USER_EXISTS, params![u], |_| Ok(())),
                };
                exists.optional()?.ok_or(StoreError::NotFound(match of {
                    FeedOf::Schedule(_) => "schedule",
                    FeedOf::User(_) => "user",
                }))?;
                c.execute(
                    sql::REVOKE_FEED,
                    params![to_db(f.created_at), schedule, user],
                )?;
                c.execute(
                    sql::INSERT_FEED,
                    params![f.id, hash.as_slice(), schedule, user, to_db(f.created_at)],
                )?;
                Ok(f)
            })
            .await
    }

    async fn revoke_calendar_feed(&self, of: FeedOf) -> Result<bool, StoreError> {
        let (schedule, user) = records::feed_cols(of);
        let now = to_db(crate::records::now_micros());
        self.writer
            .write(move |c| Ok(c.execute(sql::REVOKE_FEED, params![now, schedule, user])? > 0))
            .await
    }

    async fn calendar_feed_by_hash(
        &self, hash: [u8; 32],
    ) -> Result<Option<CalendarFeed>, StoreError> {
        self.read(move |c| {
            let row = c
                .query_row(sql::FEED_BY_HASH, params![hash.as_slice()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)?))
                })
                .optional()?;
            row.map(|(id, s, u, at)| {
                Ok(CalendarFeed {
                    id,
                    of: records::feed_of(s, u)?,
                    created_at: from_db(at),
                })
            })
            .transpose()
        })
        .await
    }
}
