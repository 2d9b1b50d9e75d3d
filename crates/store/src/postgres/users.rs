//! [`UserStore`] for PostgreSQL, behaving as SQLite's does (the conformance suite holds both
//! to it).

use async_trait::async_trait;

use tocsin_core::lifecycle::needs_first_admin;
use tocsin_core::model::{Scope, User};
use tocsin_core::{visibility, UserId};
use tokio_postgres::GenericClient;

use super::bind::col;
use super::rows::{self, USER_COLS};
use super::{bounded, conflict_as, pg, refs, Params, PgStore};
use crate::accounts::sql;
use crate::accounts::Result;
use crate::accounts::{NewUser, UserStore};
use crate::StoreError;

async fn insert_user(c: &impl GenericClient, u: &NewUser) -> Result<User> {
    let user = u.to_user();
    c.execute(
        sql::INSERT_USER,
        &[
            &user.id,
            &user.username,
            &user.email,
            &u.password_hash,
            &user.org_admin,
            &user.created_at,
        ],
    )
    .await
    .map_err(|e| conflict_as(e, || u.name_taken()))?;
    Ok(user)
}

#[async_trait]
impl UserStore for PgStore {
    async fn ensure_first_admin(&self, u: NewUser) -> Result<bool> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            // Nodes starting together on an empty database: the first to lock creates the
            // admin, the others then find it.
            tx.execute("LOCK TABLE users IN EXCLUSIVE MODE", &[])
                .await?;
            let users: i64 = col(&tx.query_one(sql::COUNT_USERS, &[]).await?, 0)?;
            if !needs_first_admin(u64::try_from(users).unwrap_or(0)) {
                return Ok(false);
            }
            insert_user(&*tx, &u).await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    async fn create_user(&self, u: NewUser) -> Result<User> {
        bounded(async { insert_user(pg(&self.client().await?), &u).await }).await
    }

    async fn list_users(&self, scope: &Scope, me: Option<UserId>) -> Result<Vec<User>> {
        bounded(async {
            let mut args = Params::new();
            let sql = format!(
                "SELECT {USER_COLS} FROM users WHERE TRUE{}{}",
                sql::users_where(&visibility::users(scope, me), &mut args),
                sql::USERS_ORDER
            );
            let rows = self.client().await?.query(&sql, &refs(&args)).await?;
            rows::all(&rows, rows::user)
        })
        .await
    }

    async fn get_user(&self, scope: &Scope, me: Option<UserId>, id: UserId) -> Result<User> {
        bounded(async {
            let mut args: Params = vec![Box::new(id)];
            let sql = format!(
                "SELECT {USER_COLS} FROM users WHERE id = $1{}",
                sql::users_where(&visibility::users(scope, me), &mut args)
            );
            self.client()
                .await?
                .query_opt(&sql, &refs(&args))
                .await?
                .as_ref()
                .map(rows::user)
                .transpose()?
                .ok_or(StoreError::NotFound("user"))
        })
        .await
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>> {
        bounded(async {
            self.client()
                .await?
                .query_opt(
                    &format!("SELECT {USER_COLS} FROM users WHERE id = $1"),
                    &[&id],
                )
                .await?
                .as_ref()
                .map(rows::user)
                .transpose()
        })
        .await
    }

    async fn credentials(&self, username: &str) -> Result<Option<(User, String)>> {
        // PostgreSQL text cannot hold NUL, and no stored name does: nobody by that name.
        if username.contains('\0') {
            return Ok(None);
        }
        bounded(async {
            let row = self
                .client()
                .await?
                .query_opt(
                    &format!(
                        "SELECT {USER_COLS}, password_hash FROM users
                         WHERE lower(username) = lower($1 COLLATE \"C\")"
                    ),
                    &[&username],
                )
                .await?;
            match row {
                Some(r) => Ok(Some((rows::user(&r)?, col(&r, 6)?))),
                None => Ok(None),
            }
        })
        .await
    }
}
