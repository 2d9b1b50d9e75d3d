//! [`UserStore`] for SQLite. Writes go through the group-commit writer like every other write.

use async_trait::async_trait;

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use tocsin_core::lifecycle::needs_first_admin;
use tocsin_core::model::{Scope, User};
use tocsin_core::{visibility, UserId};

use super::rows::{self, USER_COLS};
use super::time::to_db;
use super::SqliteStore;
use crate::accounts::sql::{self, sqlite};
use crate::accounts::Result;
use crate::accounts::{NewUser, UserStore};
use crate::StoreError;

fn insert_user(c: &Connection, u: &NewUser) -> Result<User> {
    let user = u.to_user();
    c.execute(
        &sqlite(sql::INSERT_USER),
        params![
            user.id,
            user.username,
            user.email,
            u.password_hash,
            user.org_admin,
            to_db(user.created_at)
        ],
    )
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(u.name_taken()),
        other => other,
    })?;
    Ok(user)
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn ensure_first_admin(&self, u: NewUser) -> Result<bool> {
        self.writer
            .write(move |c| {
                let users: i64 = c.query_row(sql::COUNT_USERS, [], |r| r.get(0))?;
                if !needs_first_admin(u64::try_from(users).unwrap_or(0)) {
                    return Ok(false);
                }
                insert_user(c, &u)?;
                Ok(true)
            })
            .await
    }

    async fn create_user(&self, u: NewUser) -> Result<User> {
        self.writer.write(move |c| insert_user(c, &u)).await
    }

    async fn list_users(&self, scope: &Scope, me: Option<UserId>) -> Result<Vec<User>> {
        let filter = visibility::users(scope, me);
        self.read(move |c| {
            let mut args = Vec::<Value>::new();
            let sql = format!(
                "SELECT {USER_COLS} FROM users WHERE TRUE{}{}",
                sql::users_where(&filter, &mut args),
                sql::USERS_ORDER
            );
            let rows = c
                .prepare_cached(&sql)?
                .query_map(params_from_iter(args), rows::user)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn get_user(&self, scope: &Scope, me: Option<UserId>, id: UserId) -> Result<User> {
        let filter = visibility::users(scope, me);
        self.read(move |c| {
            let mut args = vec![Value::Text(id.to_string())];
            let sql = format!(
                "SELECT {USER_COLS} FROM users WHERE id = ?1{}",
                sql::users_where(&filter, &mut args)
            );
            c.prepare_cached(&sql)?
                .query_row(params_from_iter(args), rows::user)
                .optional()?
                .ok_or(StoreError::NotFound("user"))
        })
        .await
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>> {
        self.read(move |c| {
            Ok(
                c.prepare_cached(&format!("SELECT {USER_COLS} FROM users WHERE id = ?1"))?
                    .query_row(params![id], rows::user)
                    .optional()?,
            )
        })
        .await
    }

    async fn credentials(&self, username: &str) -> Result<Option<(User, String)>> {
        let username = username.to_owned();
        self.read(move |c| {
            // `username` is COLLATE NOCASE: the comparison ignores ASCII case.
            Ok(c.prepare_cached(&format!(
                "SELECT {USER_COLS}, password_hash FROM users WHERE username = ?1"
            ))?
            .query_row(params![username], |r| Ok((rows::user(r)?, r.get(6)?)))
            .optional()?)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use tocsin_core::{TokenId, TokenRole};

    use super::*;
    use crate::TokenStore;

    /// A database from before accounts: its bootstrap token (role `admin`, no team) becomes
    /// an org admin token, and no user exists until first start creates one.
    #[tokio::test]
    async fn upgrading_keeps_the_bootstrap_token_org_wide() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("old.db");
        {
            let c = Connection::open(&path).expect("open");
            c.execute_batch(include_str!("../../migrations/sqlite/0001_init.sql"))
                .expect("0001");
            c.execute(
                "INSERT INTO api_tokens (id, name, token_hash, role, created_at)
                 VALUES (?1, 'admin', ?2, 'admin', 0)",
                params![TokenId::new(), tocsin_core::secret::hash("old").as_slice()],
            )
            .expect("token");
            c.pragma_update(None, "user_version", 1).expect("version");
        }
        let store = SqliteStore::open(&path).expect("migrate");
        let tok = store
            .token_by_hash(tocsin_core::secret::hash("old"))
            .await
            .expect("read")
            .expect("token");
        assert_eq!(tok.token.role, TokenRole::OrgAdmin);
        assert_eq!(tok.token.user_id, None);
        assert!(store
            .list_users(&Scope::All, None)
            .await
            .expect("users")
            .is_empty());
        let first = NewUser {
            username: "admin".into(),
            email: "a@example.com".into(),
            password_hash: "x".into(),
            org_admin: true,
        };
        assert!(store
            .ensure_first_admin(first.clone())
            .await
            .expect("first"));
        assert!(!store.ensure_first_admin(first).await.expect("again"));
    }
}
