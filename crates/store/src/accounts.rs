//! Storage for who may do what: users, team members, tokens' lifecycle, sign-in sessions,
//! passwords and disabling, webhook key rotation, and the audit log. One small trait per
//! resource, each implemented by each backend in a file of its own (`sqlite/users.rs`,
//! `postgres/users.rs`, …); [`AccountStore`] is all of them, so callers hold one handle.
//! The rules (who sees what, last owner, revocation, expiry) are core's `visibility`,
//! `lifecycle` and `credentials`; the SQL both dialects share is in [`sql`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tocsin_core::model::{ApiToken, AuditEntry, Member, Scope, Service, SessionInfo, User};
use tocsin_core::{AuditId, Role, ServiceId, SessionId, TeamId, TokenId, UserId};

use crate::StoreError;

pub(crate) mod sql;

/// The account stores' result: like `std::io::Result`, the error is the store's unless named.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A new user, its password already hashed (argon2id, PHC string).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub org_admin: bool,
}

impl NewUser {
    /// The record it makes: a fresh id, enabled, created now.
    pub fn to_user(&self) -> User {
        User {
            id: UserId::new(),
            username: self.username.clone(),
            email: self.email.clone(),
            org_admin: self.org_admin,
            created_at: Utc::now(),
            disabled: false,
            disabled_at: None,
        }
    }

    /// The conflict's detail when its name is taken.
    pub fn name_taken(&self) -> String {
        format!("a user named {:?} already exists", self.username)
    }
}

pub use tocsin_core::visibility::TokenVisibility;

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

impl Rotated {
    /// `old` now holding `new_key`.
    pub fn replacing(old: Service, new_key: String) -> Self {
        let old_key = old.api_key.clone();
        Rotated {
            service: Service {
                api_key: new_key,
                ..old
            },
            old_key,
        }
    }
}

/// Users: created, listed within a scope, found for sign-in.
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// Create the first organisation admin when there is no user yet. Returns whether it did.
    async fn ensure_first_admin(&self, u: NewUser) -> Result<bool>;
    async fn create_user(&self, u: NewUser) -> Result<User>;
    /// Users who are members of a team in `scope` (all users for [`Scope::All`]), and `me`.
    async fn list_users(&self, scope: &Scope, me: Option<UserId>) -> Result<Vec<User>>;
    async fn get_user(&self, scope: &Scope, me: Option<UserId>, id: UserId) -> Result<User>;
    async fn user_by_id(&self, id: UserId) -> Result<Option<User>>;
    /// For sign-in: the user with this name (case-insensitive) and its password hash.
    async fn credentials(&self, username: &str) -> Result<Option<(User, String)>>;
}

/// Team memberships. Changes are refused by `lifecycle::check_member_change` (last owner).
#[async_trait]
pub trait MemberStore: Send + Sync + 'static {
    /// A user's own memberships (its grants are built from them).
    async fn memberships(&self, user: UserId) -> Result<Vec<(TeamId, Role)>>;
    /// `NotFound("team")` when `team` is outside `scope`.
    async fn list_members(&self, scope: &Scope, team: TeamId) -> Result<Vec<Member>>;
    /// Add a member or change its role. Returns the member and its previous role.
    async fn set_member(
        &self, scope: &Scope, team: TeamId, user: UserId, role: Role,
    ) -> Result<(Member, Option<Role>)>;
    async fn remove_member(&self, scope: &Scope, team: TeamId, user: UserId) -> Result<()>;
}

/// API tokens' lifecycle after creation (created with [`crate::Store::create_token`]).
#[async_trait]
pub trait TokenAdminStore: Send + Sync + 'static {
    async fn list_tokens(&self, v: &TokenVisibility) -> Result<Vec<ApiToken>>;
    /// Revoke a token `v` sees (`NotFound` otherwise); revoking again keeps the first time.
    async fn revoke_token(&self, v: &TokenVisibility, id: TokenId) -> Result<ApiToken>;
}

/// Sign-in sessions.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    async fn create_session(&self, s: NewSession) -> Result<()>;
    async fn session_by_hash(&self, hash: [u8; 32]) -> Result<Option<StoredSession>>;
    async fn delete_session(&self, id: SessionId) -> Result<()>;
    /// Record that a session was used now (the caller does this at most once a minute).
    async fn touch_session(&self, id: SessionId) -> Result<()>;
    /// `user`'s sessions that have not expired, oldest first.
    async fn list_sessions(&self, user: UserId) -> Result<Vec<SessionInfo>>;
    /// End one of `user`'s sessions; `NotFound` when it is not theirs (or gone).
    async fn end_session(&self, user: UserId, id: SessionId) -> Result<()>;
    /// End every session of `user` but `keep`. Returns how many ended.
    async fn end_sessions(&self, user: UserId, keep: Option<SessionId>) -> Result<u64>;
}

/// Passwords and disabling: the account lifecycle. The rules (last org admin, self) are core's
/// `lifecycle`; the stores apply them inside the transaction that reads the counts.
#[async_trait]
pub trait LifecycleStore: Send + Sync + 'static {
    /// For checking a password: the user's hash (`None`: no such user).
    async fn password_hash(&self, user: UserId) -> Result<Option<String>>;
    /// Replace `user`'s password hash and, in the same transaction, end every session of
    /// theirs but `keep`. Returns how many sessions ended.
    async fn set_password(
        &self, user: UserId, password_hash: String, keep: Option<SessionId>,
    ) -> Result<u64>;
    /// Disable (ending every session) or enable `user`, on behalf of `actor`, as
    /// `lifecycle::plan_disable` decides.
    async fn set_disabled(
        &self, actor: Option<UserId>, user: UserId, disabled: bool,
    ) -> Result<User>;
}

/// Webhook keys: rotation with a grace period, and lookup by either key.
#[async_trait]
pub trait KeyStore: Send + Sync + 'static {
    /// Give a service in `scope` a new webhook key, as `credentials::rotate_key` decides.
    async fn rotate_service_key(
        &self, scope: &Scope, id: ServiceId, new_key: &str, grace_until: Option<DateTime<Utc>>,
    ) -> Result<Rotated>;
    /// The service whose current key, or previous key still in its grace, hashes to `hash`.
    async fn service_by_any_key_hash(&self, hash: [u8; 32]) -> Result<Option<KeyMatch>>;
}

/// The audit log.
#[async_trait]
pub trait AuditStore: Send + Sync + 'static {
    async fn record_audit(&self, e: AuditEntry) -> Result<()>;
    /// Newest first; entries of teams in `scope` (all entries, with team or not, for `All`),
    /// as `visibility::sees_audit` states.
    async fn list_audit(
        &self, scope: &Scope, limit: u32, before: Option<AuditId>,
    ) -> Result<Vec<AuditEntry>>;
}

/// Every account resource behind one handle (`AppState::accounts`).
pub trait AccountStore:
    UserStore + MemberStore + TokenAdminStore + SessionStore + LifecycleStore + KeyStore + AuditStore
{
}

impl<T> AccountStore for T where
    T: UserStore
        + MemberStore
        + TokenAdminStore
        + SessionStore
        + LifecycleStore
        + KeyStore
        + AuditStore
{
}
