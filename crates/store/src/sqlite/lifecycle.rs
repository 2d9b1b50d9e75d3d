//! [`LifecycleStore`] for SQLite: passwords replaced and users disabled. Each change runs on
//! the writer's connection, so SQLite's single writer serialises the rows a rule reads with
//! the change it allows. The rules are core's `lifecycle`.

use async_trait::async_trait;
use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension};
use tocsin_core::lifecycle::{plan_disable, DisableChange};
use tocsin_core::model::User;
use tocsin_core::{SessionId, UserId};

use super::rows::{self, USER_COLS};
use super::sessions::end_sessions;
use super::time::to_db;
use super::SqliteStore;
use crate::accounts::sql::{self, sqlite};
use crate::accounts::LifecycleStore;
use crate::accounts::Result;
use crate::StoreError;

fn user(c: &Connection, id: UserId) -> Result<User> {
    c.prepare_cached(&format!("SELECT {USER_COLS} FROM users WHERE id = ?1"))?
        .query_row(params![id], rows::user)
        .optional()?
        .ok_or(StoreError::NotFound("user"))
}

fn set_disabled(c: &Connection, actor: Option<UserId>, id: UserId, disable: bool) -> Result<User> {
    let target = user(c, id)?;
    let admins = if disable {
        c.prepare_cached(&sqlite(sql::ACTIVE_ORG_ADMINS))?
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<UserId>, _>>()?
    } else {
        Vec::new()
    };
    match plan_disable(actor, &target, disable, &admins).map_err(StoreError::Refused)? {
        DisableChange::Unchanged => return Ok(target),
        DisableChange::Enable => {
            c.execute(&sqlite(sql::SET_DISABLED_AT), params![id, None::<i64>])?;
        }
        DisableChange::Disable => {
            c.execute(
                &sqlite(sql::SET_DISABLED_AT),
                params![id, to_db(Utc::now())],
            )?;
            end_sessions(c, id, None)?;
        }
    }
    user(c, id)
}

#[async_trait]
impl LifecycleStore for SqliteStore {
    async fn password_hash(&self, user: UserId) -> Result<Option<String>> {
        self.read(move |c| {
            Ok(c.prepare_cached(&sqlite(sql::PASSWORD_HASH))?
                .query_row(params![user], |r| r.get(0))
                .optional()?)
        })
        .await
    }

    async fn set_password(
        &self, user: UserId, password_hash: String, keep: Option<SessionId>,
    ) -> Result<u64> {
        self.writer
            .write(move |c| {
                let n = c.execute(&sqlite(sql::SET_PASSWORD), params![user, password_hash])?;
                if n == 0 {
                    return Err(StoreError::NotFound("user"));
                }
                end_sessions(c, user, keep)
            })
            .await
    }

    async fn set_disabled(
        &self, actor: Option<UserId>, user: UserId, disabled: bool,
    ) -> Result<User> {
        self.writer
            .write(move |c| set_disabled(c, actor, user, disabled))
            .await
    }
}
