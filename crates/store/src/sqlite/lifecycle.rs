//! The account lifecycle on SQLite: sessions listed and ended, passwords replaced, users
//! disabled, and the last-owner rule on membership changes. Each function runs on one
//! connection (the writer's for writes), so SQLite's single writer serialises the counts a
//! rule reads with the change it allows. The rules themselves are core's `lifecycle`.

use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension};
use tocsin_core::lifecycle::{check_disable, check_member_change};
use tocsin_core::model::{SessionInfo, User};
use tocsin_core::{Role, SessionId, TeamId, UserId};

use super::rows::{self, USER_COLS};
use super::time::{from_db, opt_from_db, to_db};
use crate::StoreError;

/// Refuse a membership change that would leave `team` without an active owner.
pub fn guard_member_change(
    c: &Connection,
    team: TeamId,
    user: UserId,
    before: Option<Role>,
    new_role: Option<Role>,
) -> Result<(), StoreError> {
    let others: i64 = c
        .prepare_cached(
            "SELECT COUNT(*) FROM team_members m JOIN users u ON u.id = m.user_id
             WHERE m.team_id = ?1 AND m.role = 'owner' AND m.user_id <> ?2
               AND u.disabled_at IS NULL",
        )?
        .query_row(params![team.to_string(), user.to_string()], |r| r.get(0))?;
    check_member_change(before, new_role, usize::try_from(others).unwrap_or(0))
        .map_err(StoreError::Refused)
}

pub fn touch_session(c: &Connection, id: SessionId) -> Result<(), StoreError> {
    c.prepare_cached("UPDATE sessions SET last_seen_at = ?2 WHERE id = ?1")?
        .execute(params![id.to_string(), to_db(Utc::now())])?;
    Ok(())
}

pub fn list_sessions(c: &Connection, user: UserId) -> Result<Vec<SessionInfo>, StoreError> {
    let rows = c
        .prepare_cached(
            "SELECT id, created_at, expires_at, last_seen_at FROM sessions
             WHERE user_id = ?1 AND expires_at > ?2 ORDER BY created_at, id",
        )?
        .query_map(params![user.to_string(), to_db(Utc::now())], |r| {
            Ok(SessionInfo {
                id: rows::parse_id(0, r.get(0)?)?,
                created_at: from_db(r.get(1)?),
                expires_at: from_db(r.get(2)?),
                last_seen_at: opt_from_db(r.get(3)?),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn end_session(c: &Connection, user: UserId, id: SessionId) -> Result<(), StoreError> {
    let n = c.execute(
        "DELETE FROM sessions WHERE id = ?1 AND user_id = ?2",
        params![id.to_string(), user.to_string()],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("session"));
    }
    Ok(())
}

pub fn end_sessions(
    c: &Connection,
    user: UserId,
    keep: Option<SessionId>,
) -> Result<u64, StoreError> {
    let n = c.execute(
        "DELETE FROM sessions WHERE user_id = ?1 AND id IS NOT ?2",
        params![user.to_string(), keep.map(|k| k.to_string())],
    )?;
    Ok(n as u64)
}

pub fn password_hash(c: &Connection, user: UserId) -> Result<Option<String>, StoreError> {
    Ok(
        c.prepare_cached("SELECT password_hash FROM users WHERE id = ?1")?
            .query_row(params![user.to_string()], |r| r.get(0))
            .optional()?,
    )
}

pub fn set_password(
    c: &Connection,
    user: UserId,
    hash: &str,
    keep: Option<SessionId>,
) -> Result<u64, StoreError> {
    let n = c.execute(
        "UPDATE users SET password_hash = ?2 WHERE id = ?1",
        params![user.to_string(), hash],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("user"));
    }
    end_sessions(c, user, keep)
}

fn user(c: &Connection, id: UserId) -> Result<User, StoreError> {
    c.prepare_cached(&format!("SELECT {USER_COLS} FROM users WHERE id = ?1"))?
        .query_row(params![id.to_string()], rows::user)
        .optional()?
        .ok_or(StoreError::NotFound("user"))
}

pub fn set_disabled(
    c: &Connection,
    actor: Option<UserId>,
    id: UserId,
    disabled: bool,
) -> Result<User, StoreError> {
    let target = user(c, id)?;
    if !disabled {
        c.execute(
            "UPDATE users SET disabled_at = NULL WHERE id = ?1",
            params![id.to_string()],
        )?;
        return user(c, id);
    }
    if target.disabled {
        return Ok(target);
    }
    let others: i64 = c.query_row(
        "SELECT COUNT(*) FROM users WHERE org_admin AND disabled_at IS NULL AND id <> ?1",
        params![id.to_string()],
        |r| r.get(0),
    )?;
    check_disable(actor, &target, usize::try_from(others).unwrap_or(0))
        .map_err(StoreError::Refused)?;
    c.execute(
        "UPDATE users SET disabled_at = ?2 WHERE id = ?1",
        params![id.to_string(), to_db(Utc::now())],
    )?;
    end_sessions(c, id, None)?;
    user(c, id)
}

#[cfg(test)]
mod tests {
    use tocsin_core::secret;

    use super::*;
    use crate::sqlite::SqliteStore;
    use crate::AccountStore;

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
                params![user.to_string()],
            )
            .expect("user");
            c.execute(
                "INSERT INTO sessions (id, token_hash, csrf_hash, user_id, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    session.to_string(),
                    secret::hash("cookie").as_slice(),
                    secret::hash("csrf").as_slice(),
                    user.to_string(),
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
