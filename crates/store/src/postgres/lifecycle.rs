//! The account lifecycle on PostgreSQL, behaving as SQLite's (the conformance suite holds both
//! to it). Several nodes may write at once, so a rule's counts are read under row locks in the
//! transaction that makes the change: two owners demoting each other at once, or two admins
//! disabling the last two org admins, cannot both pass. The rules are core's `lifecycle`.

use chrono::Utc;
use tocsin_core::lifecycle::{check_disable, check_member_change};
use tocsin_core::model::{SessionInfo, User};
use tocsin_core::{Role, SessionId, TeamId, UserId};
use tokio_postgres::GenericClient;

use super::rows::{self, USER_COLS};
use super::{bounded, pg, PgStore};
use crate::StoreError;

fn col<'a, T: tokio_postgres::types::FromSql<'a>>(
    r: &'a tokio_postgres::Row,
    idx: usize,
) -> Result<T, StoreError> {
    r.try_get(idx)
        .map_err(|e| StoreError::Other(format!("column {idx}: {e}")))
}

/// Lock what a membership change of `user` in `team` depends on, read the member's role now,
/// and refuse a change to `new_role` (`None`: removal) that would leave the team without an
/// active owner. Returns the role before. The team's owner rows are locked first, in id order,
/// then the member's own row: every membership change takes its locks in that order, so two at
/// once wait for each other instead of deadlocking, and the second sees the first's result
/// (READ COMMITTED re-checks a locked row's `role` after the other transaction commits).
pub async fn lock_member_change(
    c: &impl GenericClient,
    team: TeamId,
    user: UserId,
    new_role: Option<Role>,
) -> Result<Option<Role>, StoreError> {
    let owners = c
        .query(
            "SELECT m.user_id, u.disabled_at IS NULL FROM team_members m
             JOIN users u ON u.id = m.user_id
             WHERE m.team_id = $1 AND m.role = 'owner' ORDER BY m.user_id FOR UPDATE OF m",
            &[&team.to_string()],
        )
        .await?;
    let before = c
        .query_opt(
            "SELECT role FROM team_members WHERE team_id = $1 AND user_id = $2 FOR UPDATE",
            &[&team.to_string(), &user.to_string()],
        )
        .await?
        .as_ref()
        .map(|r| rows::role(r, 0))
        .transpose()?;
    let uid = user.to_string();
    let mut others = 0;
    for r in &owners {
        let (id, active): (String, bool) = (col(r, 0)?, col(r, 1)?);
        if id != uid && active {
            others += 1;
        }
    }
    check_member_change(before, new_role, others).map_err(StoreError::Refused)?;
    Ok(before)
}

async fn end_sessions_in(
    c: &impl GenericClient,
    user: UserId,
    keep: Option<SessionId>,
) -> Result<u64, StoreError> {
    Ok(c.execute(
        "DELETE FROM sessions WHERE user_id = $1 AND id IS DISTINCT FROM $2",
        &[&user.to_string(), &keep.map(|k| k.to_string())],
    )
    .await?)
}

async fn user_in(c: &impl GenericClient, id: UserId, lock: bool) -> Result<User, StoreError> {
    let sql = format!(
        "SELECT {USER_COLS} FROM users WHERE id = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    c.query_opt(&sql, &[&id.to_string()])
        .await?
        .as_ref()
        .map(rows::user)
        .transpose()?
        .ok_or(StoreError::NotFound("user"))
}

impl PgStore {
    pub(super) async fn lc_touch_session(&self, id: SessionId) -> Result<(), StoreError> {
        bounded(async {
            self.client()
                .await?
                .execute(
                    "UPDATE sessions SET last_seen_at = $2 WHERE id = $1",
                    &[&id.to_string(), &Utc::now()],
                )
                .await?;
            Ok(())
        })
        .await
    }

    pub(super) async fn lc_list_sessions(
        &self,
        user: UserId,
    ) -> Result<Vec<SessionInfo>, StoreError> {
        bounded(async {
            let rows = self
                .client()
                .await?
                .query(
                    "SELECT id, created_at, expires_at, last_seen_at FROM sessions
                     WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at, id",
                    &[&user.to_string(), &Utc::now()],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(SessionInfo {
                        id: rows::parse(r, 0)?,
                        created_at: col(r, 1)?,
                        expires_at: col(r, 2)?,
                        last_seen_at: col(r, 3)?,
                    })
                })
                .collect()
        })
        .await
    }

    pub(super) async fn lc_end_session(
        &self,
        user: UserId,
        id: SessionId,
    ) -> Result<(), StoreError> {
        bounded(async {
            let n = self
                .client()
                .await?
                .execute(
                    "DELETE FROM sessions WHERE id = $1 AND user_id = $2",
                    &[&id.to_string(), &user.to_string()],
                )
                .await?;
            if n == 0 {
                return Err(StoreError::NotFound("session"));
            }
            Ok(())
        })
        .await
    }

    pub(super) async fn lc_end_sessions(
        &self,
        user: UserId,
        keep: Option<SessionId>,
    ) -> Result<u64, StoreError> {
        bounded(async { end_sessions_in(pg(&self.client().await?), user, keep).await }).await
    }

    pub(super) async fn lc_password_hash(
        &self,
        user: UserId,
    ) -> Result<Option<String>, StoreError> {
        bounded(async {
            self.client()
                .await?
                .query_opt(
                    "SELECT password_hash FROM users WHERE id = $1",
                    &[&user.to_string()],
                )
                .await?
                .map(|r| col(&r, 0))
                .transpose()
        })
        .await
    }

    pub(super) async fn lc_set_password(
        &self,
        user: UserId,
        hash: &str,
        keep: Option<SessionId>,
    ) -> Result<u64, StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let n = tx
                .execute(
                    "UPDATE users SET password_hash = $2 WHERE id = $1",
                    &[&user.to_string(), &hash],
                )
                .await?;
            if n == 0 {
                return Err(StoreError::NotFound("user"));
            }
            let ended = end_sessions_in(&*tx, user, keep).await?;
            tx.commit().await?;
            Ok(ended)
        })
        .await
    }

    pub(super) async fn lc_set_disabled(
        &self,
        actor: Option<UserId>,
        id: UserId,
        disabled: bool,
    ) -> Result<User, StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            if !disabled {
                user_in(&*tx, id, true).await?;
                tx.execute(
                    "UPDATE users SET disabled_at = NULL WHERE id = $1",
                    &[&id.to_string()],
                )
                .await?;
                let u = user_in(&*tx, id, false).await?;
                tx.commit().await?;
                return Ok(u);
            }
            // Every active org admin locked, the target among them if it is one, so two
            // disables at once see each other's result.
            let admins = tx
                .query(
                    "SELECT id FROM users WHERE org_admin AND disabled_at IS NULL
                     ORDER BY id FOR UPDATE",
                    &[],
                )
                .await?;
            let target = user_in(&*tx, id, true).await?;
            if target.disabled {
                return Ok(target);
            }
            let uid = id.to_string();
            let mut others = 0;
            for r in &admins {
                if col::<String>(r, 0)? != uid {
                    others += 1;
                }
            }
            check_disable(actor, &target, others).map_err(StoreError::Refused)?;
            tx.execute(
                "UPDATE users SET disabled_at = $2 WHERE id = $1",
                &[&uid, &Utc::now()],
            )
            .await?;
            end_sessions_in(&*tx, id, None).await?;
            let u = user_in(&*tx, id, false).await?;
            tx.commit().await?;
            Ok(u)
        })
        .await
    }
}
