//! Row ↔ record mapping, in one place so every query reads the same columns the same way.

use rusqlite::Row;
use tocsin_core::model::{
    AlertSourceActivity, ApiToken, AuditEntry, EventKind, Incident, Member, Service, Team,
    TimelineEvent, User,
};
use tocsin_core::paging::records::{
    Channel, ContactMethod, EscalationPolicy, MethodKind, NotificationRule,
};
use tocsin_core::{IncidentStatus, Role, Severity, SourceKind, TokenRole};

use super::time::{from_db, opt_from_db};

pub use crate::cols::{AUDIT_COLS, INCIDENT_COLS, SERVICE_COLS, TEAM_COLS, TOKEN_COLS, USER_COLS};

fn bad(idx: usize, what: &str, s: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        idx,
        rusqlite::types::Type::Text,
        format!("unknown {what} {s:?}").into(),
    )
}

fn source(idx: usize, s: String) -> rusqlite::Result<SourceKind> {
    SourceKind::from_stored_slug(&s).ok_or_else(|| bad(idx, "source", &s))
}

pub fn team(r: &Row) -> rusqlite::Result<Team> {
    Ok(Team {
        id: r.get(0)?,
        name: r.get(1)?,
        created_at: from_db(r.get(2)?),
    })
}

pub fn service(r: &Row) -> rusqlite::Result<Service> {
    Ok(Service {
        id: r.get(0)?,
        team_id: r.get(1)?,
        name: r.get(2)?,
        api_key: r.get(3)?,
        created_at: from_db(r.get(4)?),
        escalation_policy_id: r.get(5)?,
    })
}

pub fn incident(r: &Row) -> rusqlite::Result<Incident> {
    let status: String = r.get(6)?;
    let severity: String = r.get(7)?;
    let tags: String = r.get(10)?;
    Ok(Incident {
        id: r.get(0)?,
        number: r.get(1)?,
        service_id: r.get(2)?,
        team_id: r.get(3)?,
        alert_source: source(4, r.get(4)?)?,
        dedup_key: r.get(5)?,
        status: IncidentStatus::parse(&status).ok_or_else(|| bad(6, "status", &status))?,
        severity: Severity::parse(&severity).ok_or_else(|| bad(7, "severity", &severity))?,
        title: r.get(8)?,
        description: r.get(9)?,
        tags: serde_json::from_str(&tags).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(10, rusqlite::types::Type::Text, Box::new(e))
        })?,
        event_count: r.get(11)?,
        created_at: from_db(r.get(12)?),
        updated_at: from_db(r.get(13)?),
        acknowledged_at: opt_from_db(r.get(14)?),
        acknowledged_by: r.get(15)?,
        resolved_at: opt_from_db(r.get(16)?),
        resolved_by: r.get(17)?,
    })
}

pub fn event(r: &Row) -> rusqlite::Result<TimelineEvent> {
    let kind: String = r.get(3)?;
    let src: Option<String> = r.get(4)?;
    Ok(TimelineEvent {
        id: r.get(0)?,
        incident_id: r.get(1)?,
        service_id: r.get(2)?,
        kind: EventKind::parse(&kind).ok_or_else(|| bad(3, "event kind", &kind))?,
        source: src.map(|s| source(4, s)).transpose()?,
        level: r.get(5)?,
        actor: r.get(6)?,
        text: r.get(7)?,
        received_at: from_db(r.get(8)?),
        occurred_at: opt_from_db(r.get(9)?),
        payload: r.get(10)?,
        payload_size: r.get(11)?,
        payload_url: None,
    })
}

pub fn activity(r: &Row) -> rusqlite::Result<AlertSourceActivity> {
    Ok(AlertSourceActivity {
        source: source(0, r.get(0)?)?,
        last_incident_at: opt_from_db(r.get(1)?),
        last_event_at: opt_from_db(r.get(2)?),
        last_test_at: opt_from_db(r.get(3)?),
    })
}

pub fn token(r: &Row) -> rusqlite::Result<(ApiToken, [u8; 32])> {
    let role: String = r.get(2)?;
    let hash: Vec<u8> = r.get(8)?;
    let hash: [u8; 32] = hash
        .try_into()
        .map_err(|_| bad(8, "token hash length", "?"))?;
    Ok((
        ApiToken {
            id: r.get(0)?,
            name: r.get(1)?,
            role: TokenRole::parse(&role).ok_or_else(|| bad(2, "token role", &role))?,
            user_id: r.get(9)?,
            team_id: r.get(3)?,
            created_at: from_db(r.get(4)?),
            expires_at: opt_from_db(r.get(5)?),
            revoked_at: opt_from_db(r.get(6)?),
            last_used_at: opt_from_db(r.get(7)?),
        },
        hash,
    ))
}

pub fn user(r: &Row) -> rusqlite::Result<User> {
    user_at(r, 0)
}

/// [`USER_COLS`] from column `at` on (sessions select them after their own).
pub fn user_at(r: &Row, at: usize) -> rusqlite::Result<User> {
    let disabled_at = opt_from_db(r.get(at + 5)?);
    Ok(User {
        id: r.get(at)?,
        username: r.get(at + 1)?,
        email: r.get(at + 2)?,
        org_admin: r.get(at + 3)?,
        created_at: from_db(r.get(at + 4)?),
        disabled: disabled_at.is_some(),
        disabled_at,
    })
}

pub fn role(idx: usize, s: &str) -> rusqlite::Result<Role> {
    Role::parse(s).ok_or_else(|| bad(idx, "role", s))
}

/// `team_id, user_id, username, role`.
pub fn member(r: &Row) -> rusqlite::Result<Member> {
    let role_text: String = r.get(3)?;
    Ok(Member {
        team_id: r.get(0)?,
        user_id: r.get(1)?,
        username: r.get(2)?,
        role: role(3, &role_text)?,
    })
}

pub fn audit(r: &Row) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.get(0)?,
        at: from_db(r.get(1)?),
        actor: r.get(2)?,
        action: r.get(3)?,
        team_id: r.get(4)?,
        target: r.get(5)?,
        detail: r.get(6)?,
    })
}

pub fn hash32(idx: usize, v: Vec<u8>) -> rusqlite::Result<[u8; 32]> {
    v.try_into().map_err(|_| bad(idx, "hash length", "?"))
}

fn method_kind(idx: usize, s: &str) -> rusqlite::Result<MethodKind> {
    MethodKind::parse(s).ok_or_else(|| bad(idx, "contact method kind", s))
}

/// The columns of [`crate::paging_sql::GET_CONTACT_METHOD`].
pub fn contact_method(r: &Row) -> rusqlite::Result<ContactMethod> {
    let kind: String = r.get(2)?;
    Ok(ContactMethod {
        id: r.get(0)?,
        user_id: r.get(1)?,
        kind: method_kind(2, &kind)?,
        name: r.get(3)?,
        target: r.get(4)?,
        signing_secret: r.get(5)?,
        created_at: from_db(r.get(6)?),
    })
}

/// [`crate::paging_sql::CHANNEL_COLS`].
pub fn channel(r: &Row) -> rusqlite::Result<Channel> {
    let kind: String = r.get(2)?;
    Ok(Channel {
        id: r.get(0)?,
        team_id: r.get(1)?,
        kind: method_kind(2, &kind)?,
        name: r.get(3)?,
        target: r.get(4)?,
        signing_secret: r.get(5)?,
        created_at: from_db(r.get(6)?),
    })
}

/// The columns of [`crate::paging_sql::LIST_RULES`].
pub fn rule(r: &Row) -> rusqlite::Result<NotificationRule> {
    Ok(NotificationRule {
        id: r.get(0)?,
        user_id: r.get(1)?,
        contact_method_id: r.get(2)?,
        delay_minutes: r.get(3)?,
        created_at: from_db(r.get(4)?),
    })
}

/// [`crate::paging_sql::POLICY_COLS`].
pub fn policy(r: &Row) -> rusqlite::Result<EscalationPolicy> {
    let rules: String = r.get(3)?;
    Ok(EscalationPolicy {
        id: r.get(0)?,
        team_id: r.get(1)?,
        name: r.get(2)?,
        rules: serde_json::from_str(&rules).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
        })?,
        created_at: from_db(r.get(4)?),
        updated_at: from_db(r.get(5)?),
    })
}
