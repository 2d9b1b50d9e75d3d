//! Row ↔ record mapping, in one place so every query reads the same columns the same way
//! (the column lists are SQLite's, so both backends select alike). Typed ids read
//! themselves (core's `sql` feature).

use tocsin_core::model::{
    AlertSourceActivity, ApiToken, AuditEntry, EventKind, Incident, Member, Service, Team,
    TimelineEvent, User,
};
use tocsin_core::paging::records::{
    Channel, ContactMethod, EscalationPolicy, MethodKind, NotificationRule,
};
use tocsin_core::{IncidentStatus, Role, Severity, SourceKind, TokenRole};
use tokio_postgres::types::FromSql;
use tokio_postgres::Row;

use crate::StoreError;

pub use crate::cols::{AUDIT_COLS, INCIDENT_COLS, SERVICE_COLS, TEAM_COLS, TOKEN_COLS, USER_COLS};

pub(super) fn get<'a, T: FromSql<'a>>(r: &'a Row, idx: usize) -> Result<T, StoreError> {
    r.try_get(idx)
        .map_err(|e| StoreError::Other(format!("column {idx}: {e}")))
}

fn bad(what: &str, s: &str) -> StoreError {
    StoreError::Other(format!("unknown {what} {s:?}"))
}

fn source(s: &str) -> Result<SourceKind, StoreError> {
    SourceKind::from_stored_slug(s).ok_or_else(|| bad("source", s))
}

pub fn team(r: &Row) -> Result<Team, StoreError> {
    Ok(Team {
        id: get(r, 0)?,
        name: get(r, 1)?,
        created_at: get(r, 2)?,
    })
}

pub fn service(r: &Row) -> Result<Service, StoreError> {
    Ok(Service {
        id: get(r, 0)?,
        team_id: get(r, 1)?,
        name: get(r, 2)?,
        api_key: get(r, 3)?,
        created_at: get(r, 4)?,
        escalation_policy_id: get(r, 5)?,
    })
}

pub fn incident(r: &Row) -> Result<Incident, StoreError> {
    let src: String = get(r, 4)?;
    let status: String = get(r, 6)?;
    let severity: String = get(r, 7)?;
    let tags: String = get(r, 10)?;
    Ok(Incident {
        id: get(r, 0)?,
        number: get(r, 1)?,
        service_id: get(r, 2)?,
        team_id: get(r, 3)?,
        alert_source: source(&src)?,
        dedup_key: get(r, 5)?,
        status: IncidentStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
        severity: Severity::parse(&severity).ok_or_else(|| bad("severity", &severity))?,
        title: get(r, 8)?,
        description: get(r, 9)?,
        tags: serde_json::from_str(&tags).map_err(|e| StoreError::Other(e.to_string()))?,
        event_count: get(r, 11)?,
        created_at: get(r, 12)?,
        updated_at: get(r, 13)?,
        acknowledged_at: get(r, 14)?,
        acknowledged_by: get(r, 15)?,
        resolved_at: get(r, 16)?,
        resolved_by: get(r, 17)?,
    })
}

pub fn event(r: &Row) -> Result<TimelineEvent, StoreError> {
    let kind: String = get(r, 3)?;
    let src: Option<String> = get(r, 4)?;
    Ok(TimelineEvent {
        id: get(r, 0)?,
        incident_id: get(r, 1)?,
        service_id: get(r, 2)?,
        kind: EventKind::parse(&kind).ok_or_else(|| bad("event kind", &kind))?,
        source: src.as_deref().map(source).transpose()?,
        level: get(r, 5)?,
        actor: get(r, 6)?,
        text: get(r, 7)?,
        received_at: get(r, 8)?,
        occurred_at: get(r, 9)?,
        payload: get(r, 10)?,
        payload_size: get(r, 11)?,
        payload_url: None,
    })
}

pub fn activity(r: &Row) -> Result<AlertSourceActivity, StoreError> {
    let src: String = get(r, 0)?;
    Ok(AlertSourceActivity {
        source: source(&src)?,
        last_incident_at: get(r, 1)?,
        last_event_at: get(r, 2)?,
        last_test_at: get(r, 3)?,
    })
}

pub fn token(r: &Row) -> Result<(ApiToken, [u8; 32]), StoreError> {
    let role: String = get(r, 2)?;
    let hash = hash32(r, 8)?;
    Ok((
        ApiToken {
            id: get(r, 0)?,
            name: get(r, 1)?,
            role: TokenRole::parse(&role).ok_or_else(|| bad("token role", &role))?,
            user_id: get(r, 9)?,
            team_id: get(r, 3)?,
            created_at: get(r, 4)?,
            expires_at: get(r, 5)?,
            revoked_at: get(r, 6)?,
            last_used_at: get(r, 7)?,
        },
        hash,
    ))
}

/// A SHA-256 stored as `BYTEA`.
pub fn hash32(r: &Row, idx: usize) -> Result<[u8; 32], StoreError> {
    let v: Vec<u8> = get(r, idx)?;
    v.try_into()
        .map_err(|_| StoreError::Other(format!("column {idx}: hash length")))
}

pub fn role(r: &Row, idx: usize) -> Result<Role, StoreError> {
    let s: String = get(r, idx)?;
    Role::parse(&s).ok_or_else(|| bad("role", &s))
}

/// [`USER_COLS`] from column `at` on (sessions select them after their own).
pub fn user_at(r: &Row, at: usize) -> Result<User, StoreError> {
    let disabled_at: Option<chrono::DateTime<chrono::Utc>> = get(r, at + 5)?;
    Ok(User {
        id: get(r, at)?,
        username: get(r, at + 1)?,
        email: get(r, at + 2)?,
        org_admin: get(r, at + 3)?,
        created_at: get(r, at + 4)?,
        disabled: disabled_at.is_some(),
        disabled_at,
    })
}

pub fn user(r: &Row) -> Result<User, StoreError> {
    user_at(r, 0)
}

/// `team_id, user_id, username, role`.
pub fn member(r: &Row) -> Result<Member, StoreError> {
    Ok(Member {
        team_id: get(r, 0)?,
        user_id: get(r, 1)?,
        username: get(r, 2)?,
        role: role(r, 3)?,
    })
}

pub fn audit(r: &Row) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        id: get(r, 0)?,
        at: get(r, 1)?,
        actor: get(r, 2)?,
        action: get(r, 3)?,
        team_id: get(r, 4)?,
        target: get(r, 5)?,
        detail: get(r, 6)?,
    })
}

/// Map every row, stopping at the first that does not fit.
pub fn all<T>(rows: &[Row], f: fn(&Row) -> Result<T, StoreError>) -> Result<Vec<T>, StoreError> {
    rows.iter().map(f).collect()
}

fn method_kind(r: &Row, idx: usize) -> Result<MethodKind, StoreError> {
    let s: String = get(r, idx)?;
    MethodKind::parse(&s).ok_or_else(|| bad("contact method kind", &s))
}

/// The columns of [`crate::paging_sql::GET_CONTACT_METHOD`].
pub fn contact_method(r: &Row) -> Result<ContactMethod, StoreError> {
    Ok(ContactMethod {
        id: get(r, 0)?,
        user_id: get(r, 1)?,
        kind: method_kind(r, 2)?,
        name: get(r, 3)?,
        target: get(r, 4)?,
        signing_secret: get(r, 5)?,
        created_at: get(r, 6)?,
    })
}

/// [`crate::paging_sql::CHANNEL_COLS`].
pub fn channel(r: &Row) -> Result<Channel, StoreError> {
    Ok(Channel {
        id: get(r, 0)?,
        team_id: get(r, 1)?,
        kind: method_kind(r, 2)?,
        name: get(r, 3)?,
        target: get(r, 4)?,
        signing_secret: get(r, 5)?,
        created_at: get(r, 6)?,
    })
}

/// The columns of [`crate::paging_sql::LIST_RULES`].
pub fn rule(r: &Row) -> Result<NotificationRule, StoreError> {
    let delay: i32 = get(r, 3)?;
    Ok(NotificationRule {
        id: get(r, 0)?,
        user_id: get(r, 1)?,
        contact_method_id: get(r, 2)?,
        delay_minutes: u32::try_from(delay).map_err(|_| bad("rule delay", &delay.to_string()))?,
        created_at: get(r, 4)?,
    })
}

/// [`crate::paging_sql::POLICY_COLS`].
pub fn policy(r: &Row) -> Result<EscalationPolicy, StoreError> {
    let rules: String = get(r, 3)?;
    Ok(EscalationPolicy {
        id: get(r, 0)?,
        team_id: get(r, 1)?,
        name: get(r, 2)?,
        rules: crate::records::parse_rules(&rules)?,
        created_at: get(r, 4)?,
        updated_at: get(r, 5)?,
    })
}
