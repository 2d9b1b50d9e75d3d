//! [`SessionStore`] for SQLite. Which sessions are live is core's `credentials::session_live`.

use async_trait::async_trait;
use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension};
use tocsin_core::credentials::live_sessions;
use tocsin_core::model::SessionInfo;
use tocsin_core::{SessionId, UserId};

use super::rows;
use super::time::{from_db, opt_from_db, to_db};
use super::SqliteStore;
use crate::accounts::sql::{self, sqlite};
use crate::accounts::Result;
use crate::accounts::{NewSession, SessionStore, StoredSession};
use crate::StoreError;

/// End every session of `user` but `keep`; also used by the lifecycle's password and disable.
pub(super) fn end_sessions(c: &Connection, user: UserId, keep: Option<SessionId>) -> Result<u64> {
    let n = c.execute(&sqlite(sql::END_SESSIONS), params![user, keep])?;
    Ok(n as u64)
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, s: NewSession) -> Result<()> {
        self.writer
            .write(move |c| {
                c.execute(
                    &sqlite(sql::INSERT_SESSION),
                    params![
                        s.id,
                        s.token_hash.as_slice(),
                        s.csrf_hash.as_slice(),
                        s.user_id,
                        to_db(Utc::now()),
                        to_db(s.expires_at)
                    ],
                )?;
                // Sign-ins are rare: a good moment to forget expired sessions.
                c.execute(&sqlite(sql::PURGE_SESSIONS), params![to_db(Utc::now())])?;
                Ok(())
            })
            .await
    }

    async fn session_by_hash(&self, hash: [u8; 32]) -> Result<Option<StoredSession>> {
        self.read(move |c| {
            Ok(c.prepare_cached(&sqlite(sql::SESSION_BY_HASH))?
                .query_row(params![hash.as_slice()], |r| {
                    Ok(StoredSession {
                        id: r.get(0)?,
                        token_hash: rows::hash32(1, r.get(1)?)?,
                        csrf_hash: rows::hash32(2, r.get(2)?)?,
                        expires_at: from_db(r.get(3)?),
                        last_seen_at: opt_from_db(r.get(4)?),
                        user: rows::user_at(r, 5)?,
                    })
                })
                .optional()?)
        })
        .await
    }

    async fn delete_session(&self, id: SessionId) -> Result<()> {
        self.writer
            .write(move |c| {
                c.execute(&sqlite(sql::DELETE_SESSION), params![id])?;
                Ok(())
            })
            .await
    }

    async fn touch_session(&self, id: SessionId) -> Result<()> {
        self.writer
            .write(move |c| {
                c.prepare_cached(&sqlite(sql::TOUCH_SESSION))?
                    .execute(params![id, to_db(Utc::now())])?;
                Ok(())
            })
            .await
    }

    async fn list_sessions(&self, user: UserId) -> Result<Vec<SessionInfo>> {
        self.read(move |c| {
            let all = c
                .prepare_cached(&sqlite(sql::USER_SESSIONS))?
                .query_map(params![user], |r| {
                    Ok(SessionInfo {
                        id: r.get(0)?,
                        created_at: from_db(r.get(1)?),
                        expires_at: from_db(r.get(2)?),
                        last_seen_at: opt_from_db(r.get(3)?),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(live_sessions(all, Utc::now()))
        })
        .await
    }

    async fn end_session(&self, user: UserId, id: SessionId) -> Result<()> {
        self.writer
            .write(move |c| {
                let n = c.execute(&sqlite(sql::END_SESSION), params![id, user])?;
                if n == 0 {
                    return Err(StoreError::NotFound("session"));
                }
                Ok(())
            })
            .await
    }

    async fn end_sessions(&self, user: UserId, keep: Option<SessionId>) -> Result<u64> {
        self.writer
            .write(move |c| end_sessions(c, user, keep))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::UserStore;
    use tocsin_core::secret;

    /// Upgrading from schema 2 (accounts, before the lifecycle): users stay enabled, their
    /// live sessions keep working and are listed, never seen yet. (PostgreSQL's twin is in the
    /// conformance suite's `upgrade.rs`.)
    #[tokio::test]
    async fn upgrading_keeps_users_enabled_and_sessions_alive() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("v2.db");
        let (user, session) = (UserId::new(), SessionId::new());
        {
            let c = Connection::open(&path).expect("open");
            c.execute_batch(include_str!("../../migrations/sqlite/0001_init.sql"))
                .expect("0001");
            c.execute_batch(include_str!("../../migrations/sqlite/0002_accounts.sql"))
                .expect("0002");
            c.execute(
                "INSERT INTO users (id, username, email, password_hash, org_admin, created_at)
                 VALUES (?1, 'ann', 'ann@example.com', 'x', 0, 0)",
                params![user],
            )
            .expect("user");
            c.execute(
                "INSERT INTO sessions (id, token_hash, csrf_hash, user_id, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    session,
                    secret::hash("cookie").as_slice(),
                    secret::hash("csrf").as_slice(),
                    user,
                    to_db(Utc::now()),
                    to_db(Utc::now() + chrono::Duration::hours(1))
                ],
            )
            .expect("session");
            c.pragma_update(None, "user_version", 2).expect("version");
        }
        let store = SqliteStore::open(&path).expect("migrate");
        let ann = store.user_by_id(user).await.expect("read").expect("ann");
        assert!(!ann.disabled && ann.disabled_at.is_none());
        let s = store
            .session_by_hash(secret::hash("cookie"))
            .await
            .expect("read")
            .expect("session kept");
        assert_eq!((s.id, s.last_seen_at), (session, None));
        assert_eq!(store.list_sessions(user).await.expect("list").len(), 1);
    }
}
