//! [`NotificationRuleStore`] for PostgreSQL, behaving as SQLite's does.

use async_trait::async_trait;
use tocsin_core::paging::records::NotificationRule;
use tocsin_core::{ContactMethodId, NotificationRuleId, UserId};

use super::{bounded, conflict_as, rows, PgStore};
use crate::paging::NotificationRuleStore;
use crate::{paging_sql as sql, records, StoreError};

#[async_trait]
impl NotificationRuleStore for PgStore {
    async fn create_notification_rule(
        &self, user: UserId, contact_method: ContactMethodId, delay_minutes: u32,
    ) -> Result<NotificationRule, StoreError> {
        let rule = records::rule(user, contact_method, delay_minutes);
        let delay = i32::try_from(delay_minutes).map_err(|_| StoreError::Invalid {
            field: "delay_minutes".into(),
            detail: "too large".into(),
        })?;
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            // Shared lock: the method cannot be deleted before this rule is in.
            tx.query_opt(
                &format!("{} FOR SHARE", sql::CONTACT_METHOD_IS_USERS),
                &[&contact_method, &user],
            )
            .await?
            .ok_or_else(|| records::foreign_method(contact_method))?;
            tx.execute(
                sql::INSERT_RULE,
                &[&rule.id, &user, &contact_method, &delay, &rule.created_at],
            )
            .await
            .map_err(|e| {
                conflict_as(e, || {
                    format!("that contact method already has a rule at {delay_minutes} minutes")
                })
            })?;
            tx.commit().await?;
            Ok(rule)
        })
        .await
    }

    async fn list_notification_rules(
        &self, user: UserId,
    ) -> Result<Vec<NotificationRule>, StoreError> {
        bounded(async {
            let rows = self
                .client()
                .await?
                .query(sql::LIST_RULES, &[&user])
                .await?;
            rows::all(&rows, rows::rule)
        })
        .await
    }

    async fn delete_notification_rule(
        &self, user: UserId, id: NotificationRuleId,
    ) -> Result<(), StoreError> {
        bounded(async {
            match self
                .client()
                .await?
                .execute(sql::DELETE_RULE, &[&id, &user])
                .await?
            {
                0 => Err(StoreError::NotFound("notification rule")),
                _ => Ok(()),
            }
        })
        .await
    }
}
