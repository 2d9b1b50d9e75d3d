//! Tocsin's storage.
//!
//! The server talks to [`Store`], made of one small trait per resource ([`TeamStore`],
//! [`ServiceStore`], [`AlertSourceStore`], [`IngestStore`], [`IncidentStore`], [`TokenStore`],
//! paging's configuration in [`paging`]; accounts are [`AccountStore`]), each implemented per database in a file of its own
//! (`sqlite/incidents.rs`, `postgres/incidents.rs`, …). The stores decide nothing: what an
//! alert or a person does to an incident is planned in [`tocsin_core::plan`], and a store
//! reads that plan's inputs and writes its rows. SQL that both dialects accept is written once
//! in `sql`. Every write that backs a 2xx is committed before the call returns: a caller that
//! got `Ok` may tell the sender "accepted".

use async_trait::async_trait;
use tocsin_core::model::{
    AlertSourceActivity, ApiToken, Incident, IncidentQuery, IncidentSummary, IngestOutcome, Scope,
    Service, Team, TimelineEvent,
};
use tocsin_core::noise::screen::Noise;
use tocsin_core::{
    AlertEvent, EventId, EventPage, EventPageQuery, HumanAction, IncidentId, ServiceId, TeamId,
    TokenRole, UserId,
};

pub mod accounts;
mod cols;
mod engine;
mod error;
pub mod heartbeats;
mod migrations;
pub mod noise;
pub mod paging;
mod paging_sql;
pub mod postgres;
pub mod readonly;
mod records;
mod schedule_records;
pub(crate) mod schedule_sql;
pub mod schedules;
mod sql;
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

/// The whole storage the server talks to: one trait per resource, and what concerns the
/// database as a whole. Each backend implements each resource in its own file.
///
/// Scoping is by construction: every method on something a team owns takes the caller's
/// [`Scope`], and answers "not found" for what lies outside it, so no call can forget the
/// tenant. Only [`Store::bootstrap`] and the token lookups that authenticate a caller (who has
/// no scope yet) go without one.
#[async_trait]
pub trait Store:
    TeamStore
    + ServiceStore
    + AlertSourceStore
    + IngestStore
    + IncidentStore
    + TokenStore
    + paging::EngineStore
    + paging::NotificationStore
    + paging::ContactMethodStore
    + paging::NotificationRuleStore
    + paging::ChannelStore
    + paging::PolicyStore
    + schedules::ScheduleStore
    + schedules::OverrideStore
    + schedules::CalendarFeedStore
    + heartbeats::HeartbeatStore
    + noise::RuleStore
    + noise::MaintenanceWindowStore
{
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
}

#[async_trait]
pub trait TeamStore: Send + Sync + 'static {
    /// Creating a team is an organisation admin's act; no team scope covers it.
    async fn create_team(&self, name: &str) -> Result<Team, StoreError>;
    async fn list_teams(&self, scope: &Scope) -> Result<Vec<Team>, StoreError>;
    async fn get_team(&self, scope: &Scope, id: TeamId) -> Result<Team, StoreError>;
    /// The Kapacitor whose live tasks the team's page lists (the Kapacitor doctor), if set;
    /// not found outside `scope`.
    async fn team_kapacitor_url(
        &self, scope: &Scope, team: TeamId,
    ) -> Result<Option<String>, StoreError>;
    /// Set or clear it; not found outside `scope`.
    async fn set_team_kapacitor_url(
        &self, scope: &Scope, team: TeamId, url: Option<&str>,
    ) -> Result<(), StoreError>;
}

#[async_trait]
pub trait ServiceStore: Send + Sync + 'static {
    /// Not found when `team` is outside `scope` (or does not exist).
    async fn create_service(
        &self, scope: &Scope, team: TeamId, name: &str, api_key: &str,
    ) -> Result<Service, StoreError>;
    async fn list_services(
        &self, scope: &Scope, team: Option<TeamId>,
    ) -> Result<Vec<Service>, StoreError>;
    async fn get_service(&self, scope: &Scope, id: ServiceId) -> Result<Service, StoreError>;
}

#[async_trait]
pub trait AlertSourceStore: Send + Sync + 'static {
    /// The activity stamps of each source that ever sent to `service`; nothing for a service
    /// outside `scope`.
    async fn alert_source_activity(
        &self, scope: &Scope, service: ServiceId,
    ) -> Result<Vec<AlertSourceActivity>, StoreError>;
}

#[async_trait]
pub trait IngestStore: Send + Sync + 'static {
    /// Apply one alert to its service's incidents, as [`tocsin_core::plan`] decides, durably,
    /// and say what it did. The service was found by its webhook key, which is the scope (or
    /// is the one a noise rule of that service routed the alert to); `noise` is what the noise
    /// step decided ([`tocsin_core::noise::screen`]).
    async fn ingest_screened(
        &self, service: &Service, event: AlertEvent, noise: Noise,
    ) -> Result<IngestOutcome, StoreError>;

    /// An alert no noise rule or window touched.
    async fn ingest(
        &self, service: &Service, event: AlertEvent,
    ) -> Result<IngestOutcome, StoreError> {
        self.ingest_screened(service, event, Noise::default()).await
    }
}

#[async_trait]
pub trait IncidentStore: Send + Sync + 'static {
    async fn list_incidents(
        &self, scope: &Scope, q: &IncidentQuery,
    ) -> Result<Vec<Incident>, StoreError>;
    async fn get_incident(&self, scope: &Scope, id: IncidentId) -> Result<Incident, StoreError>;
    /// Counts for the overview: incidents opened per day since `since`, open ones per service.
    async fn incident_summary(
        &self, scope: &Scope, team: Option<TeamId>, since: chrono::DateTime<chrono::Utc>,
    ) -> Result<IncidentSummary, StoreError>;
    /// One page of an incident's timeline, newest first, each event with its body's size but
    /// not the body (see [`tocsin_core::timeline`]): there is no read of a whole timeline, so
    /// no caller can build a response as large as everything the alerts carried.
    async fn timeline_page(
        &self, scope: &Scope, id: IncidentId, q: &EventPageQuery,
    ) -> Result<EventPage, StoreError>;
    /// One event's body exactly as received. Not found when the incident is outside the
    /// scope, the event belongs to another incident, or the event has no body (a note).
    async fn event_payload(
        &self, scope: &Scope, incident: IncidentId, event: EventId,
    ) -> Result<String, StoreError>;
    /// A person acknowledges or resolves, by the rules of [`tocsin_core::plan::plan_human`];
    /// answers the incident as it is afterwards.
    async fn act(
        &self, scope: &Scope, id: IncidentId, actor: &str, action: HumanAction,
    ) -> Result<Incident, StoreError>;
    async fn acknowledge(
        &self, scope: &Scope, id: IncidentId, actor: &str,
    ) -> Result<Incident, StoreError> {
        self.act(scope, id, actor, HumanAction::Acknowledge).await
    }
    async fn resolve(
        &self, scope: &Scope, id: IncidentId, actor: &str,
    ) -> Result<Incident, StoreError> {
        self.act(scope, id, actor, HumanAction::Resolve).await
    }
    async fn add_note(
        &self, scope: &Scope, id: IncidentId, actor: &str, text: &str,
    ) -> Result<TimelineEvent, StoreError>;
}

#[async_trait]
pub trait TokenStore: Send + Sync + 'static {
    /// Not found when the token's team is outside `scope`. A token of no team (a user's, or
    /// the bootstrap admin's) belongs to no team scope.
    async fn create_token(&self, scope: &Scope, t: NewToken) -> Result<ApiToken, StoreError>;
    /// For authentication: the caller has no scope until its token is found.
    async fn token_by_hash(&self, hash: [u8; 32]) -> Result<Option<StoredToken>, StoreError>;
    async fn touch_token(&self, id: tocsin_core::TokenId) -> Result<(), StoreError>;
}

/// Not found, as the store says it for `what` outside the caller's scope, unless `scope`
/// allows `team`.
pub(crate) fn require_team(
    scope: &Scope, team: TeamId, what: &'static str,
) -> Result<(), StoreError> {
    if scope.allows(team) {
        Ok(())
    } else {
        Err(StoreError::NotFound(what))
    }
}
