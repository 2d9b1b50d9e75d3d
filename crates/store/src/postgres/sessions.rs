//! [`SessionStore`] for PostgreSQL. Which sessions are live is core's
//! `credentials::session_live`.

use async_trait::async_trait;
use chrono::Utc;
use tocsin_core::credentials::live_sessions;
use tocsin_core::model::SessionInfo;
use tocsin_core::{SessionId, UserId};
use tokio_postgres::GenericClient;

use super::bind::col;
use super::rows;
use super::{bounded, pg, PgStore};
use crate::accounts::sql;
use crate::accounts::Result;
use crate::accounts::{NewSession, SessionStore, StoredSession};
use crate::StoreError;

/// End every session of `user` but `keep`; also used by the lifecycle's password and disable.
pub(super) async fn end_sessions(
    c: &impl GenericClient, user: UserId, keep: Option<SessionId>,
) -> Result<u64> {
    Ok(c.execute(sql::END_SESSIONS, &[&user, &keep]).await?)
}

#[async_trait]
impl SessionStore for PgStore {
    async fn create_session(&self, s: NewSession) -> Result<()> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            tx.execute(
                sql::INSERT_SESSION,
                &[
                    &s.id,
                    &s.token_hash.as_slice(),
                    &s.csrf_hash.as_slice(),
                    &s.user_id,
                    &Utc::now(),
                    &s.expires_at,
                ],
            )
            .await?;
            // Sign-ins are rare: a good moment to forget expired sessions.
            tx.execute(sql::PURGE_SESSIONS, &[&Utc::now()]).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn session_by_hash(&self, hash: [u8; 32]) -> Result<Option<StoredSession>> {
        bounded(async {
            let c = self.client().await?;
            let stmt = c.prepare_cached(sql::SESSION_BY_HASH).await?;
            match c.query_opt(&stmt, &[&hash.as_slice()]).await? {
                Some(r) => Ok(Some(StoredSession {
                    id: col(&r, 0)?,
                    token_hash: rows::hash32(&r, 1)?,
                    csrf_hash: rows::hash32(&r, 2)?,
                    expires_at: col(&r, 3)?,
                    last_seen_at: col(&r, 4)?,
                    user: rows::user_at(&r, 5)?,
                })),
                None => Ok(None),
            }
        })
        .await
    }

    async fn delete_session(&self, id: SessionId) -> Result<()> {
        bounded(async {
            self.client()
                .await?
                .execute(sql::DELETE_SESSION, &[&id])
                .await?;
            Ok(())
        })
        .await
    }

    async fn touch_session(&self, id: SessionId) -> Result<()> {
        bounded(async {
            self.client()
                .await?
                .execute(sql::TOUCH_SESSION, &[&id, &Utc::now()])
                .await?;
            Ok(())
        })
        .await
    }

    async fn list_sessions(&self, user: UserId) -> Result<Vec<SessionInfo>> {
        bounded(async {
            let rows = self
                .client()
                .await?
                .query(sql::USER_SESSIONS, &[&user])
                .await?;
            let all = rows
                .iter()
                .map(|r| {
                    Ok(SessionInfo {
                        id: col(r, 0)?,
                        created_at: col(r, 1)?,
                        expires_at: col(r, 2)?,
                        last_seen_at: col(r, 3)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(live_sessions(all, Utc::now()))
        })
        .await
    }

    async fn end_session(&self, user: UserId, id: SessionId) -> Result<()> {
        bounded(async {
            let n = self
                .client()
                .await?
                .execute(sql::END_SESSION, &[&id, &user])
                .await?;
            if n == 0 {
                return Err(StoreError::NotFound("session"));
            }
            Ok(())
        })
        .await
    }

    async fn end_sessions(&self, user: UserId, keep: Option<SessionId>) -> Result<u64> {
        bounded(async { end_sessions(pg(&self.client().await?), user, keep).await }).await
    }
}
