//! The API's response shapes, kept apart from core's records: a record can gain a field (a
//! secret, a database detail) without it reaching the wire, and the wire keeps its shape when
//! a record changes. Each `From` destructures the whole record, so a new field does not
//! compile until someone decides whether the API shows it.
//!
//! The names and fields are the API's as published in `docs/openapi.json`: fields may be
//! added, never removed or renamed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tocsin_core::model::{self, EventKind};
use tocsin_core::{
    AuditId, EventId, IncidentId, IncidentStatus, PolicyId, Role, ServiceId, SessionId, Severity,
    SourceKind, TeamId, TokenId, TokenRole, UserId,
};
use utoipa::ToSchema;

mod noise;
mod paging;
mod schedules;

pub use noise::{MaintenanceWindow, PreviewAlert, RulesPreview, WindowEnded};
pub use paging::{
    Channel, ContactMethod, EscalationPolicy, NotificationRule, TestSend, TestStatus,
};
pub use schedules::{CalendarFeedUrl, OnCall, OnCallUser, Schedule, ScheduleOverride};

#[derive(Debug, Serialize, ToSchema)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<model::Team> for Team {
    fn from(t: model::Team) -> Self {
        let model::Team {
            id,
            name,
            created_at,
        } = t;
        Self {
            id,
            name,
            created_at,
        }
    }
}

/// A service as the API shows it: never its webhook key, which appears only inside the
/// webhook URLs of the alert-source catalogue, and only to those who may change the service.
#[derive(Debug, Serialize, ToSchema)]
pub struct Service {
    pub id: ServiceId,
    pub team_id: TeamId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// The escalation policy its incidents run (null: nobody is paged).
    pub escalation_policy_id: Option<PolicyId>,
}

impl From<model::Service> for Service {
    fn from(s: model::Service) -> Self {
        let model::Service {
            id,
            team_id,
            name,
            api_key: _,
            created_at,
            escalation_policy_id,
        } = s;
        Self {
            id,
            team_id,
            name,
            created_at,
            escalation_policy_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
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

impl From<model::Incident> for Incident {
    fn from(i: model::Incident) -> Self {
        let model::Incident {
            id,
            number,
            service_id,
            team_id,
            alert_source,
            dedup_key,
            status,
            severity,
            title,
            description,
            tags,
            event_count,
            created_at,
            updated_at,
            acknowledged_at,
            acknowledged_by,
            resolved_at,
            resolved_by,
        } = i;
        Self {
            id,
            number,
            service_id,
            team_id,
            alert_source,
            dedup_key,
            status,
            severity,
            title,
            description,
            tags,
            event_count,
            created_at,
            updated_at,
            acknowledged_at,
            acknowledged_by,
            resolved_at,
            resolved_by,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
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
    pub payload_size: Option<i64>,
    /// Where to `GET` the raw body, for alert events.
    pub payload_url: Option<String>,
}

impl From<model::TimelineEvent> for TimelineEvent {
    fn from(e: model::TimelineEvent) -> Self {
        let model::TimelineEvent {
            id,
            incident_id,
            service_id,
            kind,
            source,
            level,
            actor,
            text,
            received_at,
            occurred_at,
            payload,
            payload_size,
            payload_url,
        } = e;
        Self {
            id,
            incident_id,
            service_id,
            kind,
            source,
            level,
            actor,
            text,
            received_at,
            occurred_at,
            payload,
            payload_size,
            payload_url,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
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

impl From<model::ApiToken> for ApiToken {
    fn from(t: model::ApiToken) -> Self {
        let model::ApiToken {
            id,
            name,
            role,
            user_id,
            team_id,
            created_at,
            expires_at,
            revoked_at,
            last_used_at,
        } = t;
        Self {
            id,
            name,
            role,
            user_id,
            team_id,
            created_at,
            expires_at,
            revoked_at,
            last_used_at,
        }
    }
}

/// A person who signs in. Passwords are kept only as argon2id hashes, never in this record.
#[derive(Debug, Serialize, ToSchema)]
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

impl From<model::User> for User {
    fn from(u: model::User) -> Self {
        let model::User {
            id,
            username,
            email,
            org_admin,
            created_at,
            disabled,
            disabled_at,
        } = u;
        Self {
            id,
            username,
            email,
            org_admin,
            created_at,
            disabled,
            disabled_at,
        }
    }
}

/// A user's role in a team.
#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    pub team_id: TeamId,
    pub user_id: UserId,
    pub username: String,
    pub role: Role,
}

impl From<model::Member> for Member {
    fn from(m: model::Member) -> Self {
        let model::Member {
            team_id,
            user_id,
            username,
            role,
        } = m;
        Self {
            team_id,
            user_id,
            username,
            role,
        }
    }
}

/// One line of the audit log: who did what, when.
#[derive(Debug, Serialize, ToSchema)]
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

impl From<model::AuditEntry> for AuditEntry {
    fn from(a: model::AuditEntry) -> Self {
        let model::AuditEntry {
            id,
            at,
            actor,
            action,
            team_id,
            target,
            detail,
        } = a;
        Self {
            id,
            at,
            actor,
            action,
            team_id,
            target,
            detail,
        }
    }
}

// One of the caller's sign-in sessions (no doc comment: it would change the published schema).
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: SessionId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The last request made with it, to the minute (`null`: none since sign-in).
    pub last_seen_at: Option<DateTime<Utc>>,
    /// The session this request was made with.
    pub current: bool,
}

impl SessionView {
    pub fn new(s: model::SessionInfo, current: Option<SessionId>) -> Self {
        let model::SessionInfo {
            id,
            created_at,
            expires_at,
            last_seen_at,
        } = s;
        Self {
            current: current == Some(id),
            id,
            created_at,
            expires_at,
            last_seen_at,
        }
    }
}

/// Records in, shapes out, for lists.
pub fn all<T, D: From<T>>(records: Vec<T>) -> Vec<D> {
    records.into_iter().map(D::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_goes_out_without_its_key_and_with_its_published_fields() {
        let svc = model::Service {
            id: ServiceId::new(),
            team_id: TeamId::new(),
            name: "db".into(),
            api_key: "the-secret-key".into(),
            created_at: Utc::now(),
            escalation_policy_id: None,
        };
        let json = serde_json::to_value(Service::from(svc)).expect("json");
        let mut keys: Vec<&str> = json
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "created_at",
                "escalation_policy_id",
                "id",
                "name",
                "team_id"
            ]
        );
        assert!(!json.to_string().contains("the-secret-key"));
    }
}
