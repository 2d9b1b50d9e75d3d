//! [`LifecycleStore`] for PostgreSQL: passwords replaced and users disabled, behaving as
//! SQLite's (the conformance suite holds both to it). Several nodes may write at once, so a
//! rule's inputs are read under row locks in the transaction that makes the change: two admins
//! disabling the last two org admins cannot both pass. The rules are core's `lifecycle`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tocsin_core::lifecycle::{plan_disable, DisableChange};
use tocsin_core::model::User;
use tocsin_core::{SessionId, UserId};
use tokio_postgres::GenericClient;

use super::bind::col;
use super::rows::{self, USER_COLS};
use super::sessions::end_sessions;
use super::{bounded, PgStore};
use crate::accounts::sql;
use crate::accounts::LifecycleStore;
use crate::accounts::Result;
use crate::StoreError;

async fn user_in(c: &impl GenericClient, id: UserId, lock: bool) -> Result<User> {
    let sql = format!(
        "SELECT {USER_COLS} FROM users WHERE id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    c.query_opt(&sql, &[&id])
        .await?
        .as_ref()
        .map(rows::user)
        .transpose()?
        .ok_or(StoreError::NotFound("user"))
}

#[async_trait]
impl LifecycleStore for PgStore {
    async fn password_hash(&self, user: UserId) -> Result<Option<String>> {
        bounded(async {
            self.client()
                .await?
                .query_opt(sql::PASSWORD_HASH, &[&user])
                .await?
                .map(|r| col(&r, 0))
                .transpose()
        })
        .await
    }

    async fn set_password(
        &self, user: UserId, password_hash: String, keep: Option<SessionId>,
    ) -> Result<u64> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let n = tx
                .execute(sql::SET_PASSWORD, &[&user, &password_hash])
                .await?;
            if n == 0 {
                return Err(StoreError::NotFound("user"));
            }
            let ended = end_sessions(&*tx, user, keep).await?;
            tx.commit().await?;
            Ok(ended)
        })
        .await
    }

    async fn set_disabled(&self, actor: Option<UserId>, id: UserId, disable: bool) -> Result<User> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            // To disable, every active org admin is locked first (in id order, the target
            // among them if it is one), so two disables at once see each other's result.
            let admins = if disable {
                let rows = tx
                    .query(&format!("{} FOR UPDATE", sql::ACTIVE_ORG_ADMINS), &[])
                    .await?;
                rows.iter()
                    .map(|r| col(r, 0))
                    .collect::<Result<Vec<UserId>, _>>()?
            } else {
                Vec::new()
            };
            let target = user_in(&*tx, id, true).await?;
            let at: Option<DateTime<Utc>> = match plan_disable(actor, &target, disable, &admins)
                .map_err(StoreError::Refused)?
            {
                DisableChange::Unchanged => return Ok(target),
                DisableChange::Enable => None,
                DisableChange::Disable => Some(Utc::now()),
            };
            tx.execute(sql::SET_DISABLED_AT, &[&id, &at]).await?;
            if at.is_some() {
                end_sessions(&*tx, id, None).await?;
            }
            let u = user_in(&*tx, id, false).await?;
            tx.commit().await?;
            Ok(u)
        })
        .await
    }
}
