//! [`NotificationRuleStore`] for SQLite.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};
use tocsin_core::paging::records::NotificationRule;
use tocsin_core::{ContactMethodId, NotificationRuleId, UserId};

use super::rows;
use super::time::to_db;
use super::SqliteStore;
use crate::paging::NotificationRuleStore;
use crate::{paging_sql as sql, records, StoreError};

#[async_trait]
impl NotificationRuleStore for SqliteStore {
    async fn create_notification_rule(
        &self, user: UserId, contact_method: ContactMethodId, delay_minutes: u32,
    ) -> Result<NotificationRule, StoreError> {
        let rule = records::rule(user, contact_method, delay_minutes);
        self.writer
            .write(move |c| {
                c.query_row(
                    sql::CONTACT_METHOD_IS_USERS,
                    params![contact_method, user],
                    |_| Ok(()),
                )
                .optional()?
                .ok_or_else(|| records::foreign_method(contact_method))?;
                c.execute(
                    sql::INSERT_RULE,
                    params![
                        rule.id,
                        user,
                        contact_method,
                        delay_minutes,
                        to_db(rule.created_at)
                    ],
                )
                .map_err(|e| {
                    StoreError::from(e).conflict_as(|| {
                        format!("that contact method already has a rule at {delay_minutes} minutes")
                    })
                })?;
                Ok(rule.clone())
            })
            .await
    }

    async fn list_notification_rules(
        &self, user: UserId,
    ) -> Result<Vec<NotificationRule>, StoreError> {
        self.read(move |c| {
            let rows = c
                .prepare_cached(sql::LIST_RULES)?
                .query_map(params![user], rows::rule)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn delete_notification_rule(
        &self, user: UserId, id: NotificationRuleId,
    ) -> Result<(), StoreError> {
        self.writer
            .write(
                move |c| match c.execute(sql::DELETE_RULE, params![id, user])? {
                    0 => Err(StoreError::NotFound("notification rule")),
                    _ => Ok(()),
                },
            )
            .await
    }
}
