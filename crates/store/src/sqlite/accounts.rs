//! [`AccountStore`] for SQLite: users, members, token lifecycle, sessions, audit, key rotation.
//! Writes go through the group-commit writer like every other write.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use tocsin_core::model::{ApiToken, AuditEntry, Member, Scope, Service, SessionInfo, User};
use tocsin_core::{AuditId, Role, ServiceId, SessionId, TeamId, TokenId, UserId};

use super::rows::{self, AUDIT_COLS, SERVICE_COLS, TOKEN_COLS, USER_COLS};
use super::time::{from_db, opt_from_db, to_db};
use super::{lifecycle, scope_sql, SqliteStore};
use crate::accounts::{
    AccountStore, KeyMatch, NewSession, NewUser, Rotated, StoredSession, TokenVisibility,
};
use crate::StoreError;

fn insert_user(c: &Connection, u: &NewUser) -> Result<User, StoreError> {
    let user = User {
        id: UserId::new(),
        username: u.username.clone(),
        email: u.email.clone(),
        org_admin: u.org_admin,
        created_at: Utc::now(),
        disabled: false,
        disabled_at: None,
    };
    c.execute(
        "INSERT INTO users (id, username, email, password_hash, org_admin, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            user.id.to_string(),
            user.username,
            user.email,
            u.password_hash,
            user.org_admin,
            to_db(user.created_at)
        ],
    )
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict(_) => {
            StoreError::Conflict(format!("a user named {:?} already exists", u.username))
        }
        other => other,
    })?;
    Ok(user)
}

/// `AND (<scope> OR id = me)` over users, by membership.
fn users_visible_sql(scope: &Scope, me: Option<UserId>, args: &mut Vec<Value>) -> String {
    let teams = match scope {
        Scope::All => return String::new(),
        Scope::Teams(t) => t,
    };
    let mut alts = Vec::new();
    if !teams.is_empty() {
        let marks = vec!["?"; teams.len()].join(",");
        args.extend(teams.iter().map(|t| Value::Text(t.to_string())));
        alts.push(format!(
            "id IN (SELECT user_id FROM team_members WHERE team_id IN ({marks}))"
        ));
    }
    if let Some(me) = me {
        args.push(Value::Text(me.to_string()));
        alts.push("id = ?".to_owned());
    }
    if alts.is_empty() {
        " AND 0".to_owned()
    } else {
        format!(" AND ({})", alts.join(" OR "))
    }
}

/// `AND (…)` selecting the tokens a caller may see.
fn tokens_visible_sql(v: &TokenVisibility, args: &mut Vec<Value>) -> String {
    if v.all {
        return String::new();
    }
    let mut alts = Vec::new();
    if let Some(u) = v.user {
        args.push(Value::Text(u.to_string()));
        alts.push("user_id = ?".to_owned());
    }
    if !v.teams.is_empty() {
        let marks = vec!["?"; v.teams.len()].join(",");
        args.extend(v.teams.iter().map(|t| Value::Text(t.to_string())));
        alts.push(format!("(user_id IS NULL AND team_id IN ({marks}))"));
    }
    if alts.is_empty() {
        " AND 0".to_owned()
    } else {
        format!(" AND ({})", alts.join(" OR "))
    }
}

fn team_visible(c: &Connection, scope: &Scope, team: TeamId) -> Result<(), StoreError> {
    let mut args = vec![Value::Text(team.to_string())];
    let sql = format!(
        "SELECT 1 FROM teams WHERE id = ?{}",
        scope_sql(scope, "id", &mut args)
    );
    c.prepare_cached(&sql)?
        .query_row(params_from_iter(args), |_| Ok(()))
        .optional()?
        .ok_or(StoreError::NotFound("team"))
}

fn member_of(c: &Connection, team: TeamId, user: UserId) -> Result<Option<Member>, StoreError> {
    Ok(c.prepare_cached(
        "SELECT m.team_id, m.user_id, u.username, m.role FROM team_members m
         JOIN users u ON u.id = m.user_id WHERE m.team_id = ?1 AND m.user_id = ?2",
    )?
    .query_row(params![team.to_string(), user.to_string()], rows::member)
    .optional()?)
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn ensure_first_admin(&self, u: NewUser) -> Result<bool, StoreError> {
        self.writer
            .write(move |c| {
                let users: i64 = c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
                if users > 0 {
                    return Ok(false);
                }
                insert_user(c, &u)?;
                Ok(true)
            })
            .await
    }

    async fn create_user(&self, u: NewUser) -> Result<User, StoreError> {
        self.writer.write(move |c| insert_user(c, &u)).await
    }

    async fn list_users(&self, scope: &Scope, me: Option<UserId>) -> Result<Vec<User>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = Vec::new();
            let sql = format!(
                "SELECT {USER_COLS} FROM users WHERE 1{} ORDER BY username",
                users_visible_sql(&scope, me, &mut args)
            );
            let rows = c
                .prepare_cached(&sql)?
                .query_map(params_from_iter(args), rows::user)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn get_user(
        &self,
        scope: &Scope,
        me: Option<UserId>,
        id: UserId,
    ) -> Result<User, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = vec![Value::Text(id.to_string())];
            let sql = format!(
                "SELECT {USER_COLS} FROM users WHERE id = ?{}",
                users_visible_sql(&scope, me, &mut args)
            );
            c.prepare_cached(&sql)?
                .query_row(params_from_iter(args), rows::user)
                .optional()?
                .ok_or(StoreError::NotFound("user"))
        })
        .await
    }

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.read(move |c| {
            Ok(
                c.prepare_cached(&format!("SELECT {USER_COLS} FROM users WHERE id = ?1"))?
                    .query_row(params![id.to_string()], rows::user)
                    .optional()?,
            )
        })
        .await
    }

    async fn credentials(&self, username: &str) -> Result<Option<(User, String)>, StoreError> {
        let username = username.to_owned();
        self.read(move |c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {USER_COLS}, password_hash FROM users WHERE username = ?1"
            ))?
            .query_row(params![username], |r| Ok((rows::user(r)?, r.get(6)?)))
            .optional()?)
        })
        .await
    }

    async fn memberships(&self, user: UserId) -> Result<Vec<(TeamId, Role)>, StoreError> {
        self.read(move |c| {
            let rows = c
                .prepare_cached("SELECT team_id, role FROM team_members WHERE user_id = ?1")?
                .query_map(params![user.to_string()], |r| {
                    let role: String = r.get(1)?;
                    Ok((rows::parse_id(0, r.get(0)?)?, rows::role(1, &role)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn list_members(&self, scope: &Scope, team: TeamId) -> Result<Vec<Member>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            team_visible(c, &scope, team)?;
            let rows = c
                .prepare_cached(
                    "SELECT m.team_id, m.user_id, u.username, m.role FROM team_members m
                     JOIN users u ON u.id = m.user_id WHERE m.team_id = ?1 ORDER BY u.username",
                )?
                .query_map(params![team.to_string()], rows::member)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn set_member(
        &self,
        scope: &Scope,
        team: TeamId,
        user: UserId,
        role: Role,
    ) -> Result<(Member, Option<Role>), StoreError> {
        let scope = scope.clone();
        self.writer
            .write(move |c| {
                team_visible(c, &scope, team)?;
                let before = member_of(c, team, user)?.map(|m| m.role);
                let exists = c
                    .query_row(
                        "SELECT 1 FROM users WHERE id = ?1",
                        params![user.to_string()],
                        |_| Ok(()),
                    )
                    .optional()?;
                if exists.is_none() {
                    return Err(StoreError::NotFound("user"));
                }
                lifecycle::guard_member_change(c, team, user, before, Some(role))?;
                c.execute(
                    "INSERT INTO team_members (team_id, user_id, role) VALUES (?1, ?2, ?3)
                     ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role",
                    params![team.to_string(), user.to_string(), role.as_str()],
                )?;
                let m = member_of(c, team, user)?.ok_or(StoreError::NotFound("member"))?;
                Ok((m, before))
            })
            .await
    }

    async fn remove_member(
        &self,
        scope: &Scope,
        team: TeamId,
        user: UserId,
    ) -> Result<(), StoreError> {
        let scope = scope.clone();
        self.writer
            .write(move |c| {
                team_visible(c, &scope, team)?;
                let before = member_of(c, team, user)?.map(|m| m.role);
                lifecycle::guard_member_change(c, team, user, before, None)?;
                let n = c.execute(
                    "DELETE FROM team_members WHERE team_id = ?1 AND user_id = ?2",
                    params![team.to_string(), user.to_string()],
                )?;
                if n == 0 {
                    return Err(StoreError::NotFound("member"));
                }
                Ok(())
            })
            .await
    }

    async fn list_tokens(&self, v: &TokenVisibility) -> Result<Vec<ApiToken>, StoreError> {
        let v = v.clone();
        self.read(move |c| {
            let mut args = Vec::new();
            let sql = format!(
                "SELECT {TOKEN_COLS} FROM api_tokens WHERE 1{} ORDER BY id",
                tokens_visible_sql(&v, &mut args)
            );
            let rows = c
                .prepare_cached(&sql)?
                .query_map(params_from_iter(args), rows::token)?
                .map(|r| r.map(|(t, _)| t))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn revoke_token(&self, v: &TokenVisibility, id: TokenId) -> Result<ApiToken, StoreError> {
        let v = v.clone();
        self.writer
            .write(move |c| {
                let mut args = vec![Value::Text(id.to_string())];
                let sql = format!(
                    "SELECT {TOKEN_COLS} FROM api_tokens WHERE id = ?{}",
                    tokens_visible_sql(&v, &mut args)
                );
                let (tok, _) = c
                    .prepare_cached(&sql)?
                    .query_row(params_from_iter(args), rows::token)
                    .optional()?
                    .ok_or(StoreError::NotFound("token"))?;
                if tok.revoked_at.is_some() {
                    return Ok(tok);
                }
                let now = Utc::now();
                c.execute(
                    "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1",
                    params![id.to_string(), to_db(now)],
                )?;
                Ok(ApiToken {
                    revoked_at: Some(now),
                    ..tok
                })
            })
            .await
    }

    async fn create_session(&self, s: NewSession) -> Result<(), StoreError> {
        self.writer
            .write(move |c| {
                c.execute(
                    "INSERT INTO sessions (id, token_hash, csrf_hash, user_id, created_at, expires_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        s.id.to_string(),
                        s.token_hash.as_slice(),
                        s.csrf_hash.as_slice(),
                        s.user_id.to_string(),
                        to_db(Utc::now()),
                        to_db(s.expires_at)
                    ],
                )?;
                // Sign-ins are rare: a good moment to forget expired sessions.
                c.execute(
                    "DELETE FROM sessions WHERE expires_at <= ?1",
                    params![to_db(Utc::now())],
                )?;
                Ok(())
            })
            .await
    }

    async fn session_by_hash(&self, hash: [u8; 32]) -> Result<Option<StoredSession>, StoreError> {
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT s.id, s.token_hash, s.csrf_hash, s.expires_at, s.last_seen_at,
                        u.id, u.username, u.email, u.org_admin, u.created_at, u.disabled_at
                 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?1",
            )?
            .query_row(params![hash.as_slice()], |r| {
                Ok(StoredSession {
                    id: rows::parse_id(0, r.get(0)?)?,
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

    async fn delete_session(&self, id: SessionId) -> Result<(), StoreError> {
        self.writer
            .write(move |c| {
                c.execute(
                    "DELETE FROM sessions WHERE id = ?1",
                    params![id.to_string()],
                )?;
                Ok(())
            })
            .await
    }

    async fn touch_session(&self, id: SessionId) -> Result<(), StoreError> {
        self.writer
            .write(move |c| lifecycle::touch_session(c, id))
            .await
    }

    async fn list_sessions(&self, user: UserId) -> Result<Vec<SessionInfo>, StoreError> {
        self.read(move |c| lifecycle::list_sessions(c, user)).await
    }

    async fn end_session(&self, user: UserId, id: SessionId) -> Result<(), StoreError> {
        self.writer
            .write(move |c| lifecycle::end_session(c, user, id))
            .await
    }

    async fn end_sessions(&self, user: UserId, keep: Option<SessionId>) -> Result<u64, StoreError> {
        self.writer
            .write(move |c| lifecycle::end_sessions(c, user, keep))
            .await
    }

    async fn password_hash(&self, user: UserId) -> Result<Option<String>, StoreError> {
        self.read(move |c| lifecycle::password_hash(c, user)).await
    }

    async fn set_password(
        &self,
        user: UserId,
        password_hash: String,
        keep: Option<SessionId>,
    ) -> Result<u64, StoreError> {
        self.writer
            .write(move |c| lifecycle::set_password(c, user, &password_hash, keep))
            .await
    }

    async fn set_disabled(
        &self,
        actor: Option<UserId>,
        user: UserId,
        disabled: bool,
    ) -> Result<User, StoreError> {
        self.writer
            .write(move |c| lifecycle::set_disabled(c, actor, user, disabled))
            .await
    }

    async fn rotate_service_key(
        &self,
        scope: &Scope,
        id: ServiceId,
        new_key: &str,
        grace_until: Option<DateTime<Utc>>,
    ) -> Result<Rotated, StoreError> {
        let (scope, new_key) = (scope.clone(), new_key.to_owned());
        self.writer
            .write(move |c| {
                let mut args = vec![Value::Text(id.to_string())];
                let sql = format!(
                    "SELECT {SERVICE_COLS} FROM services WHERE id = ?{}",
                    scope_sql(&scope, "team_id", &mut args)
                );
                let old = c
                    .prepare_cached(&sql)?
                    .query_row(params_from_iter(args), rows::service)
                    .optional()?
                    .ok_or(StoreError::NotFound("service"))?;
                c.execute(
                    "UPDATE services SET api_key = ?2, api_key_hash = ?3,
                       previous_api_key_hash = CASE WHEN ?4 IS NULL THEN NULL ELSE api_key_hash END,
                       previous_key_expires_at = ?4
                     WHERE id = ?1",
                    params![
                        id.to_string(),
                        new_key,
                        tocsin_core::secret::hash(&new_key).as_slice(),
                        grace_until.map(to_db)
                    ],
                )?;
                Ok(Rotated {
                    service: Service {
                        api_key: new_key.clone(),
                        ..old.clone()
                    },
                    old_key: old.api_key,
                })
            })
            .await
    }

    async fn service_by_any_key_hash(
        &self,
        hash: [u8; 32],
    ) -> Result<Option<KeyMatch>, StoreError> {
        self.read(move |c| {
            let now = to_db(Utc::now());
            let sql = format!(
                "SELECT {SERVICE_COLS}, api_key_hash, NULL FROM services WHERE api_key_hash = ?1
                 UNION ALL
                 SELECT {SERVICE_COLS}, previous_api_key_hash, previous_key_expires_at FROM services
                 WHERE previous_api_key_hash = ?1 AND previous_key_expires_at > ?2
                 LIMIT 1"
            );
            Ok(c.prepare_cached(&sql)?
                .query_row(params![hash.as_slice(), now], |r| {
                    let until: Option<i64> = r.get(6)?;
                    Ok(KeyMatch {
                        service: rows::service(r)?,
                        stored_hash: rows::hash32(5, r.get(5)?)?,
                        valid_until: until.map(from_db),
                    })
                })
                .optional()?)
        })
        .await
    }

    async fn record_audit(&self, e: AuditEntry) -> Result<(), StoreError> {
        self.writer
            .write(move |c| {
                c.execute(
                    "INSERT INTO audit_log (id, at, actor, action, team_id, target, detail)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        e.id.to_string(),
                        to_db(e.at),
                        e.actor,
                        e.action,
                        e.team_id.map(|t| t.to_string()),
                        e.target,
                        e.detail
                    ],
                )?;
                Ok(())
            })
            .await
    }

    async fn list_audit(
        &self,
        scope: &Scope,
        limit: u32,
        before: Option<AuditId>,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = Vec::new();
            let mut sql = format!(
                "SELECT {AUDIT_COLS} FROM audit_log WHERE 1{}",
                scope_sql(&scope, "team_id", &mut args)
            );
            if let Some(b) = before {
                sql.push_str(" AND id < ?");
                args.push(Value::Text(b.to_string()));
            }
            sql.push_str(" ORDER BY id DESC LIMIT ?");
            args.push(Value::Integer(i64::from(limit.max(1))));
            let rows = c
                .prepare_cached(&sql)?
                .query_map(params_from_iter(args), rows::audit)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TokenStore;
    use tocsin_core::TokenRole;

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
                params![
                    TokenId::new().to_string(),
                    tocsin_core::secret::hash("old").as_slice()
                ],
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
