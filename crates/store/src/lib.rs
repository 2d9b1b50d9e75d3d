//! Tocsin's storage.
//!
//! One [`Store`] trait that the server talks to, and one implementation per database. Every
//! write that backs a 2xx is committed before the call returns: a caller that got `Ok` may
//! tell the sender "accepted".

use async_trait::async_trait;
use tocsin_core::model::{
    AlertSourceActivity, ApiToken, Incident, IncidentQuery, IncidentSummary, IngestOutcome, Scope,
    Service, Team, TimelineEvent,
};
use tocsin_core::{
    AlertEvent, EventId, EventPage, EventPageQuery, IncidentId, ServiceId, TeamId, TokenRole,
    UserId,
};

pub mod accounts;
mod cols;
mod error;
pub mod postgres;
pub mod readonly;
pub mod sqlite;
pub mod stats;

pub use accounts::{
    AccountStore, KeyMatch, NewSession, NewUser, Rotated, StoredSession, TokenVisibility,
};
pub use error::StoreError;
pub use stats::{CommitSnapshot, CommitStats};

/// What the first start of an empty database creates.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    pub team_name: String,
    pub service_name: String,
    pub service_api_key: String,
    pub admin_token_name: String,
    pub admin_token_hash: [u8; 32],
}

/// A new API token, already hashed.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub name: String,
    pub role: TokenRole,
    /// The user it acts for; none for team tokens and the bootstrap admin token.
    pub user_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    pub hash: [u8; 32],
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A token found by its hash, with the stored hash so the caller can compare in constant time.
#[derive(Debug, Clone)]
pub struct StoredToken {
    pub token: ApiToken,
    pub hash: [u8; 32],
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Writes waiting to be committed, where the backend queues them.
    fn queue_depth(&self) -> Option<usize> {
        None
    }

    /// Commit latency so far, where the backend measures it.
    fn commit_stats(&self) -> Option<CommitSnapshot> {
        None
    }

    /// Cheap round trip to the database, for readiness.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Create the default team, service and admin token when the database has no team yet.
    /// Returns whether it did.
    async fn bootstrap(&self, b: Bootstrap) -> Result<bool, StoreError>;

    async fn create_team(&self, name: &str) -> Result<Team, StoreError>;
    async fn list_teams(&self, scope: &Scope) -> Result<Vec<Team>, StoreError>;
    async fn get_team(&self, scope: &Scope, id: TeamId) -> Result<Team, StoreError>;

    async fn create_service(
        &self,
        team: TeamId,
        name: &str,
        api_key: &str,
    ) -> Result<Service, StoreError>;
    async fn list_services(
        &self,
        scope: &Scope,
        team: Option<TeamId>,
    ) -> Result<Vec<Service>, StoreError>;
    async fn get_service(&self, scope: &Scope, id: ServiceId) -> Result<Service, StoreError>;
    /// The service whose webhook key hashes to `hash` ([`tocsin_core::secret::hash`]). The
    /// caller compares the keys in constant time.
    async fn service_by_key_hash(&self, hash: [u8; 32]) -> Result<Option<Service>, StoreError>;
    async fn alert_source_activity(
        &self,
        service: ServiceId,
    ) -> Result<Vec<AlertSourceActivity>, StoreError>;

    /// Apply one alert to its service's incidents, durably, and say what it did.
    async fn ingest(
        &self,
        service: &Service,
        event: AlertEvent,
    ) -> Result<IngestOutcome, StoreError>;

    async fn list_incidents(
        &self,
        scope: &Scope,
        q: &IncidentQuery,
    ) -> Result<Vec<Incident>, StoreError>;
    async fn get_incident(&self, scope: &Scope, id: IncidentId) -> Result<Incident, StoreError>;
    /// Counts for the overview: incidents opened per day since `since`, open ones per service.
    async fn incident_summary(
        &self,
        scope: &Scope,
        team: Option<TeamId>,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<IncidentSummary, StoreError>;
    /// One page of an incident's timeline, newest first, each event with its body's size but
    /// not the body (see [`tocsin_core::timeline`]): there is no read of a whole timeline, so
    /// no caller can build a response as large as everything the alerts carried.
    async fn timeline_page(
        &self,
        scope: &Scope,
        id: IncidentId,
        q: &EventPageQuery,
    ) -> Result<EventPage, StoreError>;
    /// One event's body exactly as received. Not found when the incident is outside the
    /// scope, the event belongs to another incident, or the event has no body (a note).
    async fn event_payload(
        &self,
        scope: &Scope,
        incident: IncidentId,
        event: EventId,
    ) -> Result<String, StoreError>;
    async fn acknowledge(
        &self,
        scope: &Scope,
        id: IncidentId,
        actor: &str,
    ) -> Result<Incident, StoreError>;
    async fn resolve(
        &self,
        scope: &Scope,
        id: IncidentId,
        actor: &str,
    ) -> Result<Incident, StoreError>;
    async fn add_note(
        &self,
        scope: &Scope,
        id: IncidentId,
        actor: &str,
        text: &str,
    ) -> Result<TimelineEvent, StoreError>;
    /// Deliveries recorded on a service that belong to no incident (tests, unmatched resolves).
    async fn service_events(
        &self,
        scope: &Scope,
        service: ServiceId,
        limit: u32,
    ) -> Result<Vec<TimelineEvent>, StoreError>;

    async fn create_token(&self, t: NewToken) -> Result<ApiToken, StoreError>;
    async fn token_by_hash(&self, hash: [u8; 32]) -> Result<Option<StoredToken>, StoreError>;
    async fn touch_token(&self, id: tocsin_core::TokenId) -> Result<(), StoreError>;
}
