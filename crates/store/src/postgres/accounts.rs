//! [`AccountStore`] for PostgreSQL, behaving as SQLite's does (the conformance suite holds both
//! to it). Where SQLite relies on its single writer, this takes row or table locks, since
//! several nodes may write at once.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tocsin_core::model::{ApiToken, AuditEntry, Member, Scope, Service, SessionInfo, User};
use tocsin_core::{AuditId, Role, ServiceId, SessionId, TeamId, TokenId, UserId};
use tokio_postgres::GenericClient;

use super::rows::{self, AUDIT_COLS, SERVICE_COLS, TOKEN_COLS, USER_COLS};
use super::{bounded, conflict_as, lifecycle, pg, refs, scope_sql, Params, PgStore};
use crate::accounts::{
    AccountStore, KeyMatch, NewSession, NewUser, Rotated, StoredSession, TokenVisibility,
};
use crate::StoreError;

async fn insert_user(c: &impl GenericClient, u: &NewUser) -> Result<User, StoreError> {
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
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &user.id.to_string(),
            &user.username,
            &user.email,
            &u.password_hash,
            &user.org_admin,
            &user.created_at,
        ],
    )
    .await
    .map_err(|e| {
        conflict_as(e, || {
            format!("a user named {:?} already exists", u.username)
        })
    })?;
    Ok(user)
}

/// `AND (<scope> OR id = me)` over users, by membership.
fn users_visible_sql(scope: &Scope, me: Option<UserId>, args: &mut Params) -> String {
    let teams = match scope {
        Scope::All => return String::new(),
        Scope::Teams(t) => t,
    };
    let mut alts = Vec::new();
    if !teams.is_empty() {
        args.push(Box::new(
            teams.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
        ));
        alts.push(format!(
            "id IN (SELECT user_id FROM team_members WHERE team_id = ANY(${}))",
            args.len()
        ));
    }
    if let Some(me) = me {
        args.push(Box::new(me.to_string()));
        alts.push(format!("id = ${}", args.len()));
    }
    if alts.is_empty() {
        " AND false".to_owned()
    } else {
        format!(" AND ({})", alts.join(" OR "))
    }
}

/// `AND (…)` selecting the tokens a caller may see.
fn tokens_visible_sql(v: &TokenVisibility, args: &mut Params) -> String {
    if v.all {
        return String::new();
    }
    let mut alts = Vec::new();
    if let Some(u) = v.user {
        args.push(Box::new(u.to_string()));
        alts.push(format!("user_id = ${}", args.len()));
    }
    if !v.teams.is_empty() {
        args.push(Box::new(
            v.teams.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
        ));
        alts.push(format!(
            "(user_id IS NULL AND team_id = ANY(${}))",
            args.len()
        ));
    }
    if alts.is_empty() {
        " AND false".to_owned()
    } else {
        format!(" AND ({})", alts.join(" OR "))
    }
}

async fn team_visible(
    c: &impl GenericClient,
    scope: &Scope,
    team: TeamId,
) -> Result<(), StoreError> {
    let mut args: Params = vec![Box::new(team.to_string())];
    let sql = format!(
        "SELECT 1 FROM teams WHERE id = $1{}",
        scope_sql(scope, "id", &mut args)
    );
    c.query_opt(sql.as_str(), &refs(&args))
        .await?
        .map(|_| ())
        .ok_or(StoreError::NotFound("team"))
}

const MEMBER_SELECT: &str = "SELECT m.team_id, m.user_id, u.username, m.role FROM team_members m
     JOIN users u ON u.id = m.user_id";

async fn member_of(
    c: &impl GenericClient,
    team: TeamId,
    user: UserId,
) -> Result<Option<Member>, StoreError> {
    c.query_opt(
        format!("{MEMBER_SELECT} WHERE m.team_id = $1 AND m.user_id = $2").as_str(),
        &[&team.to_string(), &user.to_string()],
    )
    .await?
    .as_ref()
    .map(rows::member)
    .transpose()
}

#[async_trait]
impl AccountStore for PgStore {
    async fn ensure_first_admin(&self, u: NewUser) -> Result<bool, StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            // Nodes starting together on an empty database: the first to lock creates the
            // admin, the others then find it.
            tx.execute("LOCK TABLE users IN EXCLUSIVE MODE", &[])
                .await?;
            let users: i64 = tx
                .query_one("SELECT COUNT(*) FROM users", &[])
                .await?
                .try_get(0)?;
            if users > 0 {
                return Ok(false);
            }
            insert_user(&*tx, &u).await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    async fn create_user(&self, u: NewUser) -> Result<User, StoreError> {
        bounded(async { insert_user(pg(&self.client().await?), &u).await }).await
    }

    async fn list_users(&self, scope: &Scope, me: Option<UserId>) -> Result<Vec<User>, StoreError> {
        bounded(async {
            let mut args = Params::new();
            let sql = format!(
                "SELECT {USER_COLS} FROM users WHERE true{} ORDER BY lower(username)",
                users_visible_sql(scope, me, &mut args)
            );
            let rows = self.client().await?.query(&sql, &refs(&args)).await?;
            rows::all(&rows, rows::user)
        })
        .await
    }

    async fn get_user(
        &self,
        scope: &Scope,
        me: Option<UserId>,
        id: UserId,
    ) -> Result<User, StoreError> {
        bounded(async {
            let mut args: Params = vec![Box::new(id.to_string())];
            let sql = format!(
                "SELECT {USER_COLS} FROM users WHERE id = $1{}",
                users_visible_sql(scope, me, &mut args)
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

    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        bounded(async {
            self.client()
                .await?
                .query_opt(
                    &format!("SELECT {USER_COLS} FROM users WHERE id = $1"),
                    &[&id.to_string()],
                )
                .await?
                .as_ref()
                .map(rows::user)
                .transpose()
        })
        .await
    }

    async fn credentials(&self, username: &str) -> Result<Option<(User, String)>, StoreError> {
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
                Some(r) => Ok(Some((
                    rows::user(&r)?,
                    r.try_get(6)
                        .map_err(|e| StoreError::Other(format!("column 6: {e}")))?,
                ))),
                None => Ok(None),
            }
        })
        .await
    }

    async fn memberships(&self, user: UserId) -> Result<Vec<(TeamId, Role)>, StoreError> {
        bounded(async {
            let rows = self
                .client()
                .await?
                .query(
                    "SELECT team_id, role FROM team_members WHERE user_id = $1",
                    &[&user.to_string()],
                )
                .await?;
            rows.iter()
                .map(|r| Ok((rows::parse(r, 0)?, rows::role(r, 1)?)))
                .collect()
        })
        .await
    }

    async fn list_members(&self, scope: &Scope, team: TeamId) -> Result<Vec<Member>, StoreError> {
        bounded(async {
            let c = self.client().await?;
            team_visible(pg(&c), scope, team).await?;
            let rows = c
                .query(
                    &format!("{MEMBER_SELECT} WHERE m.team_id = $1 ORDER BY lower(u.username)"),
                    &[&team.to_string()],
                )
                .await?;
            rows::all(&rows, rows::member)
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
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            team_visible(&*tx, scope, team).await?;
            if tx
                .query_opt("SELECT 1 FROM users WHERE id = $1", &[&user.to_string()])
                .await?
                .is_none()
            {
                return Err(StoreError::NotFound("user"));
            }
            // Locked, so two nodes changing one member each report the role they replaced,
            // and the last-owner rule holds across nodes.
            let before = lifecycle::lock_member_change(&*tx, team, user, Some(role)).await?;
            tx.execute(
                "INSERT INTO team_members (team_id, user_id, role) VALUES ($1, $2, $3)
                 ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role",
                &[&team.to_string(), &user.to_string(), &role.as_str()],
            )
            .await?;
            let m = member_of(&*tx, team, user)
                .await?
                .ok_or(StoreError::NotFound("member"))?;
            tx.commit().await?;
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
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            team_visible(&*tx, scope, team).await?;
            if lifecycle::lock_member_change(&*tx, team, user, None)
                .await?
                .is_none()
            {
                return Err(StoreError::NotFound("member"));
            }
            tx.execute(
                "DELETE FROM team_members WHERE team_id = $1 AND user_id = $2",
                &[&team.to_string(), &user.to_string()],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn list_tokens(&self, v: &TokenVisibility) -> Result<Vec<ApiToken>, StoreError> {
        bounded(async {
            let mut args = Params::new();
            let sql = format!(
                "SELECT {TOKEN_COLS} FROM api_tokens WHERE true{} ORDER BY id",
                tokens_visible_sql(v, &mut args)
            );
            let rows = self.client().await?.query(&sql, &refs(&args)).await?;
            rows.iter()
                .map(|r| rows::token(r).map(|(t, _)| t))
                .collect()
        })
        .await
    }

    async fn revoke_token(&self, v: &TokenVisibility, id: TokenId) -> Result<ApiToken, StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let mut args: Params = vec![Box::new(id.to_string())];
            let sql = format!(
                "SELECT {TOKEN_COLS} FROM api_tokens WHERE id = $1{} FOR UPDATE",
                tokens_visible_sql(v, &mut args)
            );
            let (tok, _) = tx
                .query_opt(&sql, &refs(&args))
                .await?
                .as_ref()
                .map(rows::token)
                .transpose()?
                .ok_or(StoreError::NotFound("token"))?;
            if tok.revoked_at.is_some() {
                return Ok(tok);
            }
            let now = Utc::now();
            tx.execute(
                "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1",
                &[&id.to_string(), &now],
            )
            .await?;
            tx.commit().await?;
            Ok(ApiToken {
                revoked_at: Some(now),
                ..tok
            })
        })
        .await
    }

    async fn create_session(&self, s: NewSession) -> Result<(), StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            tx.execute(
                "INSERT INTO sessions (id, token_hash, csrf_hash, user_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &s.id.to_string(),
                    &s.token_hash.as_slice(),
                    &s.csrf_hash.as_slice(),
                    &s.user_id.to_string(),
                    &Utc::now(),
                    &s.expires_at,
                ],
            )
            .await?;
            // Sign-ins are rare: a good moment to forget expired sessions.
            tx.execute(
                "DELETE FROM sessions WHERE expires_at <= $1",
                &[&Utc::now()],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn session_by_hash(&self, hash: [u8; 32]) -> Result<Option<StoredSession>, StoreError> {
        bounded(async {
            let c = self.client().await?;
            let stmt = c
                .prepare_cached(
                    "SELECT s.id, s.token_hash, s.csrf_hash, s.expires_at, s.last_seen_at,
                            u.id, u.username, u.email, u.org_admin, u.created_at, u.disabled_at
                     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
                )
                .await?;
            match c.query_opt(&stmt, &[&hash.as_slice()]).await? {
                Some(r) => Ok(Some(StoredSession {
                    id: rows::parse(&r, 0)?,
                    token_hash: rows::hash32(&r, 1)?,
                    csrf_hash: rows::hash32(&r, 2)?,
                    expires_at: r
                        .try_get(3)
                        .map_err(|e| StoreError::Other(format!("column 3: {e}")))?,
                    last_seen_at: r
                        .try_get(4)
                        .map_err(|e| StoreError::Other(format!("column 4: {e}")))?,
                    user: rows::user_at(&r, 5)?,
                })),
                None => Ok(None),
            }
        })
        .await
    }

    async fn delete_session(&self, id: SessionId) -> Result<(), StoreError> {
        bounded(async {
            self.client()
                .await?
                .execute("DELETE FROM sessions WHERE id = $1", &[&id.to_string()])
                .await?;
            Ok(())
        })
        .await
    }

    async fn touch_session(&self, id: SessionId) -> Result<(), StoreError> {
        self.lc_touch_session(id).await
    }

    async fn list_sessions(&self, user: UserId) -> Result<Vec<SessionInfo>, StoreError> {
        self.lc_list_sessions(user).await
    }

    async fn end_session(&self, user: UserId, id: SessionId) -> Result<(), StoreError> {
        self.lc_end_session(user, id).await
    }

    async fn end_sessions(&self, user: UserId, keep: Option<SessionId>) -> Result<u64, StoreError> {
        self.lc_end_sessions(user, keep).await
    }

    async fn password_hash(&self, user: UserId) -> Result<Option<String>, StoreError> {
        self.lc_password_hash(user).await
    }

    async fn set_password(
        &self,
        user: UserId,
        password_hash: String,
        keep: Option<SessionId>,
    ) -> Result<u64, StoreError> {
        self.lc_set_password(user, &password_hash, keep).await
    }

    async fn set_disabled(
        &self,
        actor: Option<UserId>,
        user: UserId,
        disabled: bool,
    ) -> Result<User, StoreError> {
        self.lc_set_disabled(actor, user, disabled).await
    }

    async fn rotate_service_key(
        &self,
        scope: &Scope,
        id: ServiceId,
        new_key: &str,
        grace_until: Option<DateTime<Utc>>,
    ) -> Result<Rotated, StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let mut args: Params = vec![Box::new(id.to_string())];
            // Locked, so two rotations at once each replace the key the other left.
            let sql = format!(
                "SELECT {SERVICE_COLS} FROM services WHERE id = $1{} FOR UPDATE",
                scope_sql(scope, "team_id", &mut args)
            );
            let old = tx
                .query_opt(&sql, &refs(&args))
                .await?
                .as_ref()
                .map(rows::service)
                .transpose()?
                .ok_or(StoreError::NotFound("service"))?;
            tx.execute(
                "UPDATE services SET api_key = $2, api_key_hash = $3,
                   previous_api_key_hash =
                     CASE WHEN $4::timestamptz IS NULL THEN NULL ELSE api_key_hash END,
                   previous_key_expires_at = $4::timestamptz
                 WHERE id = $1",
                &[
                    &id.to_string(),
                    &new_key,
                    &tocsin_core::secret::hash(new_key).as_slice(),
                    &grace_until,
                ],
            )
            .await?;
            tx.commit().await?;
            Ok(Rotated {
                service: Service {
                    api_key: new_key.to_owned(),
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
        bounded(async {
            let c = self.client().await?;
            let stmt = c
                .prepare_cached(&format!(
                    "SELECT {SERVICE_COLS}, api_key_hash, NULL::timestamptz FROM services
                     WHERE api_key_hash = $1
                     UNION ALL
                     SELECT {SERVICE_COLS}, previous_api_key_hash, previous_key_expires_at
                     FROM services
                     WHERE previous_api_key_hash = $1 AND previous_key_expires_at > $2
                     LIMIT 1"
                ))
                .await?;
            match c.query_opt(&stmt, &[&hash.as_slice(), &Utc::now()]).await? {
                Some(r) => Ok(Some(KeyMatch {
                    service: rows::service(&r)?,
                    stored_hash: rows::hash32(&r, 5)?,
                    valid_until: r
                        .try_get(6)
                        .map_err(|e| StoreError::Other(format!("column 6: {e}")))?,
                })),
                None => Ok(None),
            }
        })
        .await
    }

    async fn record_audit(&self, e: AuditEntry) -> Result<(), StoreError> {
        bounded(async {
            self.client()
                .await?
                .execute(
                    "INSERT INTO audit_log (id, at, actor, action, team_id, target, detail)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        &e.id.to_string(),
                        &e.at,
                        &e.actor,
                        &e.action,
                        &e.team_id.map(|t| t.to_string()),
                        &e.target,
                        &e.detail,
                    ],
                )
                .await?;
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
        bounded(async {
            let mut args = Params::new();
            let mut sql = format!(
                "SELECT {AUDIT_COLS} FROM audit_log WHERE true{}",
                scope_sql(scope, "team_id", &mut args)
            );
            if let Some(b) = before {
                args.push(Box::new(b.to_string()));
                sql.push_str(&format!(" AND id < ${}", args.len()));
            }
            args.push(Box::new(i64::from(limit.max(1))));
            sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", args.len()));
            let rows = self.client().await?.query(&sql, &refs(&args)).await?;
            rows::all(&rows, rows::audit)
        })
        .await
    }
}
