//! Storage for who may do what: users, team members, tokens' lifecycle, sign-in sessions,
//! the audit log, and webhook key rotation. A trait of its own beside [`crate::Store`] so each
//! backend implements it in its own files.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tocsin_core::model::{ApiToken, AuditEntry, Member, Scope, Service, SessionInfo, User};
use tocsin_core::{AuditId, Role, ServiceId, SessionId, TeamId, TokenId, UserId};

use crate::StoreError;

/// A new user, its password already hashed (argon2id, PHC string).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub org_admin: bool,
}

/// Which tokens a caller may see and revoke: everything, its user's own, and the team
/// tokens of the teams it owns.
#[derive(Debug, Clone, Default)]
pub struct TokenVisibility {
    pub all: bool,
    pub user: Option<UserId>,
    pub teams: Vec<TeamId>,
}

/// A sign-in session, its secrets already hashed.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: SessionId,
    pub token_hash: [u8; 32],
    pub csrf_hash: [u8; 32],
    pub user_id: UserId,
    pub expires_at: DateTime<Utc>,
}

/// A session found by its hash, with the stored hashes for constant-time comparison.
#[derive(Debug, Clone)]
pub struct StoredSession {
    pub id: SessionId,
    pub user: User,
    pub token_hash: [u8; 32],
    pub csrf_hash: [u8; 32],
    pub expires_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// A service found by a webhook key hash: its current key, or its previous one in its grace
/// period (then `valid_until` is the end of the grace).
#[derive(Debug, Clone)]
pub struct KeyMatch {
    pub service: Service,
    pub stored_hash: [u8; 32],
    pub valid_until: Option<DateTime<Utc>>,
}

/// What a key rotation did.
#[derive(Debug, Clone)]
pub struct Rotated {
    pub service: Service,
    /// The key that was replaced, so caches can forget it.
    pub old_key: String,
}

#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Create the first organisation admin when there is no user yet. Returns whether it did.
    async fn ensure_first_admin(&self, u: NewUser) -> Result<bool, StoreError>;
    async fn create_user(&self, u: NewUser) -> Result<User, StoreError>;
    /// Users who are members of a team in `scope` (all users for [`Scope::All`]), and `me`.
    async fn list_users(&self, scope: &Scope, me: Option<UserId>) -> Result<Vec<User>, StoreError>;
    async fn get_user(
        &self,
        scope: &Scope,
        me: Option<UserId>,
        id: UserId,
    ) -> Result<User, StoreError>;
    async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// For sign-in: the user with this name (case-insensitive) and its password hash.
    async fn credentials(&self, username: &str) -> Result<Option<(User, String)>, StoreError>;
    async fn memberships(&self, user: UserId) -> Result<Vec<(TeamId, Role)>, StoreError>;

    async fn list_members(&self, scope: &Scope, team: TeamId) -> Result<Vec<Member>, StoreError>;
    /// Add a member or change its role. Returns the member and its previous role.
    async fn set_member(
        &self,
        scope: &Scope,
        team: TeamId,
        user: UserId,
        role: Role,
    ) -> Result<(Member, Option<Role>), StoreError>;
    async fn remove_member(
        &self,
        scope: &Scope,
        team: TeamId,
        user: UserId,
    ) -> Result<(), StoreError>;

    async fn list_tokens(&self, v: &TokenVisibility) -> Result<Vec<ApiToken>, StoreError>;
    async fn revoke_token(&self, v: &TokenVisibility, id: TokenId) -> Result<ApiToken, StoreError>;

    async fn create_session(&self, s: NewSession) -> Result<(), StoreError>;
    async fn session_by_hash(&self, hash: [u8; 32]) -> Result<Option<StoredSession>, StoreError>;
    async fn delete_session(&self, id: SessionId) -> Result<(), StoreError>;

    // The account lifecycle. The rules (last owner, last org admin, self) are core's
    // `lifecycle`; the stores apply them inside the transaction that reads the counts.

    /// Record that a session was used now (the caller does this at most once a minute).
    async fn touch_session(&self, id: SessionId) -> Result<(), StoreError>;
    /// `user`'s sessions that have not expired, oldest first.
    async fn list_sessions(&self, user: UserId) -> Result<Vec<SessionInfo>, StoreError>;
    /// End one of `user`'s sessions; `NotFound` when it is not theirs (or gone).
    async fn end_session(&self, user: UserId, id: SessionId) -> Result<(), StoreError>;
    /// End every session of `user` but `keep`. Returns how many ended.
    async fn end_sessions(&self, user: UserId, keep: Option<SessionId>) -> Result<u64, StoreError>;
    /// For checking a password: the user's hash (`None`: no such user).
    async fn password_hash(&self, user: UserId) -> Result<Option<String>, StoreError>;
    /// Replace `user`'s password hash and, in the same transaction, end every session of
    /// theirs but `keep`. Returns how many sessions ended.
    async fn set_password(
        &self,
        user: UserId,
        password_hash: String,
        keep: Option<SessionId>,
    ) -> Result<u64, StoreError>;
    /// Disable (ending every session) or enable `user`, on behalf of `actor`. Disabling an
    /// already disabled user keeps its first `disabled_at`. Refused by
    /// `lifecycle::check_disable`.
    async fn set_disabled(
        &self,
        actor: Option<UserId>,
        user: UserId,
        disabled: bool,
    ) -> Result<User, StoreError>;

    /// Give a service a new webhook key. With `grace_until` the old key keeps working until
    /// then; without, it stops at once.
    async fn rotate_service_key(
        &self,
        scope: &Scope,
        id: ServiceId,
        new_key: &str,
        grace_until: Option<DateTime<Utc>>,
    ) -> Result<Rotated, StoreError>;
    /// The service whose current key, or previous key still in its grace, hashes to `hash`.
    async fn service_by_any_key_hash(&self, hash: [u8; 32])
        -> Result<Option<KeyMatch>, StoreError>;

    async fn record_audit(&self, e: AuditEntry) -> Result<(), StoreError>;
    /// Newest first; entries of teams in `scope` (all entries, with team or not, for `All`).
    async fn list_audit(
        &self,
        scope: &Scope,
        limit: u32,
        before: Option<AuditId>,
    ) -> Result<Vec<AuditEntry>, StoreError>;
}
