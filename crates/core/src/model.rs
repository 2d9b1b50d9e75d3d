//! The records Tocsin keeps. Stores fill them; the server serialises them as the API's shapes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::access::{Role, TokenRole};
use crate::alert::Severity;
use crate::ids::{
    AuditId, EventId, IncidentId, PolicyId, ServiceId, SessionId, TeamId, TokenId, UserId,
};
use crate::incident::{Decision, IncidentStatus};
use crate::sources::SourceKind;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Service {
    pub id: ServiceId,
    pub team_id: TeamId,
    pub name: String,
    /// The secret in the webhook URL. Not serialised with the service: it is only shown
    /// inside the webhook URL of the alert-source catalogue.
    #[serde(skip_serializing, default)]
    pub api_key: String,
    pub created_at: DateTime<Utc>,
    /// The escalation policy its incidents run, if any (a policy of the same team).
    #[serde(default)]
    pub escalation_policy_id: Option<PolicyId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Incident {
    pub id: IncidentId,
    /// Per team, from 1: what people say out loud ("incident 42").
    pub number: i64,
    pub service_id: ServiceId,
    pub team_id: TeamId,
    pub alert_source: SourceKind,
    pub dedup_key: String,
    pub status: IncidentStatus,
    pub severity: Severity,
    pub title: String,
    pub description: String,
    pub tags: BTreeMap<String, String>,
    /// The triggering alerts that opened or joined this incident.
    pub event_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The source's slug when the source auto-resolved it, else the person who did.
    pub resolved_by: Option<String>,
}

/// What happened, in an incident's timeline or on an alert source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// An alert that opened the incident.
    Opened,
    /// A repeat alert that joined the open incident.
    Joined,
    /// The source said the condition is over.
    AutoResolved,
    /// A resolve with no open incident: kept for the record, changes nothing.
    Unmatched,
    /// A connectivity test from the sender.
    Test,
    Acknowledged,
    Resolved,
    Note,
    /// The paging engine: a step fired, a notification was sent, retried or failed.
    Paging,
    /// An alert kept out by a maintenance window or a `suppress` rule (issue 18).
    Suppressed,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Opened => "opened",
            EventKind::Joined => "joined",
            EventKind::AutoResolved => "auto_resolved",
            EventKind::Unmatched => "unmatched",
            EventKind::Test => "test",
            EventKind::Acknowledged => "acknowledged",
            EventKind::Resolved => "resolved",
            EventKind::Note => "note",
            EventKind::Paging => "paging",
            EventKind::Suppressed => "suppressed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            EventKind::Opened,
            EventKind::Joined,
            EventKind::AutoResolved,
            EventKind::Unmatched,
            EventKind::Test,
            EventKind::Acknowledged,
            EventKind::Resolved,
            EventKind::Note,
            EventKind::Paging,
            EventKind::Suppressed,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// The timeline kind for an ingested alert's decision.
    pub fn for_decision(d: Decision) -> Self {
        match d {
            Decision::Open(_) => EventKind::Opened,
            Decision::Join(_) => EventKind::Joined,
            Decision::Resolve => EventKind::AutoResolved,
            Decision::Acknowledge => EventKind::Acknowledged,
            Decision::Ignore => EventKind::Unmatched,
            Decision::Test => EventKind::Test,
            Decision::Suppress(_) => EventKind::Suppressed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TimelineEvent {
    pub id: EventId,
    pub incident_id: Option<IncidentId>,
    pub service_id: ServiceId,
    pub kind: EventKind,
    pub source: Option<SourceKind>,
    /// The level as the source sent it (`CRITICAL`, `OK`, …), for alert events.
    pub level: Option<String>,
    /// Who acted, for human events.
    pub actor: Option<String>,
    /// Note text.
    pub text: Option<String>,
    pub received_at: DateTime<Utc>,
    pub occurred_at: Option<DateTime<Utc>>,
    /// The body exactly as received, for alert events. Null in every timeline read (the
    /// incident's embedded timeline and its events pages), which carry `payload_size` and
    /// `payload_url` instead, so a response's size does not depend on what alerts carried.
    pub payload: Option<String>,
    /// The size of the raw body in bytes, for alert events.
    #[serde(default)]
    pub payload_size: Option<i64>,
    /// Where to `GET` the raw body, for alert events.
    #[serde(default)]
    pub payload_url: Option<String>,
}

/// An alert source's activity on one service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlertSourceActivity {
    pub source: SourceKind,
    pub last_incident_at: Option<DateTime<Utc>>,
    pub last_event_at: Option<DateTime<Utc>>,
    pub last_test_at: Option<DateTime<Utc>>,
}

/// How long an alert source stays "Receiving alerts" after its last incident.
pub const ACTIVE_WINDOW_DAYS: i64 = 30;

impl AlertSourceActivity {
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.last_incident_at
            .is_some_and(|t| now - t <= chrono::Duration::days(ACTIVE_WINDOW_DAYS))
    }
}

/// What one ingested alert did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestOutcome {
    pub decision: Decision,
    pub event_id: EventId,
    pub incident_id: Option<IncidentId>,
    pub incident_number: Option<i64>,
}

/// Org-wide admin, or the teams a caller may see. Every store read takes one, so a handler
/// cannot forget the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Teams(Vec<TeamId>),
}

impl Scope {
    pub fn allows(&self, team: TeamId) -> bool {
        match self {
            Scope::All => true,
            Scope::Teams(t) => t.contains(&team),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: TokenId,
    pub name: String,
    pub role: TokenRole,
    /// The user it acts for; none for team tokens and the bootstrap admin token.
    pub user_id: Option<UserId>,
    /// The team it is limited to, if any.
    pub team_id: Option<TeamId>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Filters for the incident list; newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentQuery {
    pub service_id: Option<ServiceId>,
    pub team_id: Option<TeamId>,
    /// `Some(vec![Triggered, Acknowledged])` for "open".
    pub statuses: Vec<IncidentStatus>,
    pub dedup_key: Option<String>,
    /// Case-insensitive substring of title or dedup key.
    pub text: Option<String>,
    pub limit: u32,
    /// Incidents strictly older than this one.
    pub before: Option<IncidentId>,
}

/// A person who signs in. Passwords are kept only as argon2id hashes, never in this record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub email: String,
    /// Manages users and teams across the organisation, and owns every team.
    pub org_admin: bool,
    pub created_at: DateTime<Utc>,
    /// A disabled user cannot sign in, and its sessions and tokens are refused.
    pub disabled: bool,
    /// When it was disabled (`disabled` is `disabled_at.is_some()`).
    pub disabled_at: Option<DateTime<Utc>>,
}

/// A sign-in session as its user sees it in a list: never its secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub id: SessionId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The last request made with it, to the minute (`None`: none since sign-in).
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// A user's role in a team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Member {
    pub team_id: TeamId,
    pub user_id: UserId,
    pub username: String,
    pub role: Role,
}

/// One line of the audit log: who did what, when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: AuditId,
    pub at: DateTime<Utc>,
    /// The user name, or the token name for tokens without a user.
    pub actor: String,
    /// `login`, `token.create`, `member.set_role`, `service.rotate_key`, …
    pub action: String,
    /// The team it concerns, so team owners see their team's entries.
    pub team_id: Option<TeamId>,
    /// The id of what it was done to.
    pub target: Option<String>,
    pub detail: Option<String>,
}

/// What the overview page draws.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IncidentSummary {
    /// (UTC day as `YYYY-MM-DD`, incidents opened that day), days without incidents omitted.
    pub opened_per_day: Vec<(String, i64)>,
    /// Open (triggered or acknowledged) incidents per service, services without any omitted.
    pub open_by_service: Vec<(ServiceId, i64)>,
}
