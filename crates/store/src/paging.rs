//! Paging's storage: who can be reached and how (contact methods, notification rules, team
//! channels), escalation policies, and the engine's durable state (escalation rows and
//! notifications). One trait per resource, as for the rest of the store; each backend
//! implements each in a file of its own (`sqlite/contact_methods.rs`, `postgres/policies.rs`,
//! …), with the SQL both dialects share in `paging_sql`.
//!
//! What a person types is checked in core (`tocsin_core::paging::records::check_target`,
//! `check_name`, `PolicyRules::validate`) before it reaches a store; a store checks only what
//! needs the database (a name already taken, a target that does not exist, a policy in use).

use async_trait::async_trait;
use tocsin_core::model::{Scope, Service};
use tocsin_core::paging::policy::PolicyRules;
use tocsin_core::paging::records::{
    Channel, ContactMethod, EscalationPolicy, MethodKind, Notification, NotificationRule,
};
use tocsin_core::{
    ChannelId, ContactMethodId, IncidentId, NotificationRuleId, PolicyId, ServiceId, TeamId, UserId,
};

use crate::StoreError;

/// A contact method or channel to create, already checked by core.
#[derive(Debug, Clone)]
pub struct NewDestination {
    pub kind: MethodKind,
    pub name: String,
    /// The URL or the address.
    pub target: String,
    /// For webhooks: the signing secret, made by the caller.
    pub signing_secret: Option<String>,
}

/// A user's contact methods. The caller decides who may manage whose (a user their own, an
/// org admin anyone's); the store keeps each user's apart: an id of another user's method is
/// not found.
#[async_trait]
pub trait ContactMethodStore: Send + Sync + 'static {
    /// Conflict when the user already has a method of that name; refused past
    /// `records::MAX_PER_OWNER`; not found when the user does not exist.
    async fn create_contact_method(
        &self, user: UserId, m: NewDestination,
    ) -> Result<ContactMethod, StoreError>;
    async fn list_contact_methods(&self, user: UserId) -> Result<Vec<ContactMethod>, StoreError>;
    async fn get_contact_method(
        &self, user: UserId, id: ContactMethodId,
    ) -> Result<ContactMethod, StoreError>;
    /// Also deletes the rules that name it.
    async fn delete_contact_method(
        &self, user: UserId, id: ContactMethodId,
    ) -> Result<(), StoreError>;
}

#[async_trait]
pub trait NotificationRuleStore: Send + Sync + 'static {
    /// Invalid (naming `contact_method_id`) when the contact method is not the user's: it is
    /// a value in the body, not the resource addressed; conflict when the same rule (method,
    /// delay) exists.
    async fn create_notification_rule(
        &self, user: UserId, contact_method: ContactMethodId, delay_minutes: u32,
    ) -> Result<NotificationRule, StoreError>;
    async fn list_notification_rules(
        &self, user: UserId,
    ) -> Result<Vec<NotificationRule>, StoreError>;
    async fn delete_notification_rule(
        &self, user: UserId, id: NotificationRuleId,
    ) -> Result<(), StoreError>;
}

/// A team's channels; team-owned, so every method takes the caller's scope.
#[async_trait]
pub trait ChannelStore: Send + Sync + 'static {
    async fn create_channel(
        &self, scope: &Scope, team: TeamId, c: NewDestination,
    ) -> Result<Channel, StoreError>;
    async fn list_channels(
        &self, scope: &Scope, team: Option<TeamId>,
    ) -> Result<Vec<Channel>, StoreError>;
    async fn get_channel(&self, scope: &Scope, id: ChannelId) -> Result<Channel, StoreError>;
    /// Refused (409) while an escalation policy names it.
    async fn delete_channel(&self, scope: &Scope, id: ChannelId) -> Result<(), StoreError>;
}

/// Escalation policies, and which one a service runs.
#[async_trait]
pub trait PolicyStore: Send + Sync + 'static {
    /// `rules` were validated by core; the store checks that every user target exists and
    /// every channel target belongs to `team` (invalid otherwise, naming the target).
    async fn create_policy(
        &self, scope: &Scope, team: TeamId, name: &str, rules: &PolicyRules,
    ) -> Result<EscalationPolicy, StoreError>;
    async fn list_policies(
        &self, scope: &Scope, team: Option<TeamId>,
    ) -> Result<Vec<EscalationPolicy>, StoreError>;
    async fn get_policy(&self, scope: &Scope, id: PolicyId)
        -> Result<EscalationPolicy, StoreError>;
    /// Replaces name and rules; running incidents follow the new rules from their next step.
    async fn update_policy(
        &self, scope: &Scope, id: PolicyId, name: &str, rules: &PolicyRules,
    ) -> Result<EscalationPolicy, StoreError>;
    /// Refused (409) while a service uses it.
    async fn delete_policy(&self, scope: &Scope, id: PolicyId) -> Result<(), StoreError>;
    /// Set or clear the service's policy, answering the service as it is afterwards; the
    /// policy must belong to the service's team (invalid, naming `escalation_policy_id`,
    /// otherwise).
    async fn set_service_policy(
        &self, scope: &Scope, service: ServiceId, policy: Option<PolicyId>,
    ) -> Result<Service, StoreError>;
    /// The service's policy, if any.
    async fn service_policy(
        &self, scope: &Scope, service: ServiceId,
    ) -> Result<Option<PolicyId>, StoreError>;
}

/// An incident's notifications, for its page and the API.
#[async_trait]
pub trait NotificationStore: Send + Sync + 'static {
    /// Oldest first. Not found when the incident is outside `scope`.
    async fn incident_notifications(
        &self, scope: &Scope, incident: IncidentId,
    ) -> Result<Vec<Notification>, StoreError>;
}

/// A delivery a sender has claimed, with everything needed to send it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: tocsin_core::NotificationId,
    /// The claim's number: recording the attempt needs it, so a sender whose lease ran out
    /// (and whose delivery another took) cannot overwrite the newer outcome.
    pub claim: u32,
    /// Attempts recorded before this one.
    pub attempts: u32,
    /// A sender claimed it before and vanished without recording: it may have arrived.
    pub resent: bool,
    pub kind: tocsin_core::paging::escalation::NotificationKind,
    pub round: u32,
    pub step: u32,
    pub loop_: u32,
    /// When the notification was planned: its `occurred_at`, the same on every attempt.
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub incident: tocsin_core::model::Incident,
    pub service_name: String,
    /// `None` when the contact method or channel was removed since.
    pub destination: Option<ClaimedDestination>,
    /// Who it goes to, for the timeline.
    pub label: String,
}

/// What one engine round did ([`EngineStore::advance_and_claim`]).
pub struct EngineRound {
    /// Due escalation rows carried out.
    pub fired: usize,
    pub claimed: Vec<Claimed>,
    /// When something is next due after the round, as [`EngineStore::next_due`].
    pub next_due: Option<chrono::DateTime<chrono::Utc>>,
}

/// Where a claimed delivery goes.
#[derive(Clone)]
pub struct ClaimedDestination {
    pub kind: MethodKind,
    pub target: String,
    pub signing_secret: Option<String>,
}

impl std::fmt::Debug for ClaimedDestination {
    /// Never shows the signing secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimedDestination")
            .field("kind", &self.kind)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// The paging engine's durable state. Every node runs the engine; these calls are what
/// keeps them from stepping on each other.
#[async_trait]
pub trait EngineStore: Send + Sync + 'static {
    /// Carry out up to `limit` due escalation rows at `now` (`tocsin_core::paging::engine`
    /// decides what each does). Returns the rows carried out; fewer than `limit` means none
    /// is left due.
    async fn advance_escalations(
        &self, now: chrono::DateTime<chrono::Utc>, limit: usize,
    ) -> Result<usize, StoreError>;
    /// Claim up to `limit` due deliveries for `owner`, leased for
    /// `tocsin_core::paging::delivery::LEASE`.
    async fn claim_deliveries(
        &self, now: chrono::DateTime<chrono::Utc>, owner: &str, limit: usize,
    ) -> Result<Vec<Claimed>, StoreError>;
    /// One engine round: [`advance_escalations`](Self::advance_escalations), then
    /// [`claim_deliveries`](Self::claim_deliveries), so the deliveries a step just planned go
    /// out in the same round, then [`next_due`](Self::next_due) for the engine's sleep. A
    /// backend that can do all three in one trip does (SQLite: one transaction on the writer,
    /// one commit and WAL sync instead of two and no reads beside it; that was most of a
    /// page's cost when incidents come one at a time).
    async fn advance_and_claim(
        &self, now: chrono::DateTime<chrono::Utc>, owner: &str, limit: usize,
    ) -> Result<EngineRound, StoreError> {
        let fired = self.advance_escalations(now, limit).await?;
        let claimed = self.claim_deliveries(now, owner, limit).await?;
        let next_due = self.next_due().await?;
        Ok(EngineRound {
            fired,
            claimed,
            next_due,
        })
    }
    /// Record an attempt's outcome and its timeline note; `false` when the claim was lost
    /// (the lease ran out and another sender took the delivery).
    async fn record_attempt(
        &self, claimed: &Claimed, after: &tocsin_core::paging::delivery::AfterAttempt,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;
    /// When something is next due (`None`: nothing pending). A read: cheap to ask often.
    async fn next_due(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError>;
    /// At start: free the claims `owner` held before it stopped, so they are resent now
    /// rather than when their lease runs out. Returns how many.
    async fn release_claims(&self, owner: &str) -> Result<u64, StoreError>;
}
