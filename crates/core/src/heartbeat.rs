//! Heartbeats: a service expects something to check in every `interval_seconds`; when it has
//! not by `grace_seconds` later, an incident opens on the service, and the next check-in
//! resolves it.
//!
//! The rules are here, pure, once: what a heartbeat is allowed to be ([`HeartbeatSpec`]),
//! when it is next due ([`due_after`]), and what a miss and a check-in write ([`missed`],
//! [`check_in`]): the heartbeat's new state and the alert that goes through
//! [`crate::plan`] like any sender's, so the incident pages and its recovery sends the same
//! notices. The timer is the row's `due_at`: nothing is held in memory, so a restart or
//! another node finds an overdue heartbeat by its row and fires it.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use crate::alert::{Action, AlertEvent, Severity};
use crate::ids::{HeartbeatId, ServiceId, TeamId};
use crate::sources::SourceKind;

/// The shortest interval: the engine looks at least once a second, and shorter check-ins
/// would be load, not liveness.
pub const MIN_INTERVAL_SECONDS: i64 = 10;
/// The longest interval or grace (a year): bounded so due times never overflow.
pub const MAX_SECONDS: i64 = 366 * 24 * 3600;
/// The longest name, in characters (it is part of the dedup key and the title).
pub const MAX_NAME_CHARS: usize = 100;

/// Whether the last deadline was met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HeartbeatState {
    /// Checked in on time (or not yet due since it was made).
    Ok,
    /// The deadline passed without a check-in: its incident was opened.
    Missed,
}

impl HeartbeatState {
    pub fn as_str(self) -> &'static str {
        match self {
            HeartbeatState::Ok => "ok",
            HeartbeatState::Missed => "missed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ok" => Some(HeartbeatState::Ok),
            "missed" => Some(HeartbeatState::Missed),
            _ => None,
        }
    }
}

/// A stored heartbeat.
#[derive(Debug, Clone, PartialEq)]
pub struct Heartbeat {
    pub id: HeartbeatId,
    pub service_id: ServiceId,
    pub team_id: TeamId,
    pub name: String,
    pub interval_seconds: i64,
    pub grace_seconds: i64,
    /// The secret in the check-in URL (stored with its SHA-256, which lookups use, as a
    /// service's webhook key is). Shown only inside `checkin_url`, to those who may see
    /// webhook keys.
    pub checkin_key: String,
    pub last_checkin_at: Option<DateTime<Utc>>,
    /// When it is missed unless it checks in first.
    pub due_at: DateTime<Utc>,
    pub state: HeartbeatState,
    pub created_at: DateTime<Utc>,
}

/// Why a heartbeat was refused; `field` is the request's field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {detail}")]
pub struct SpecError {
    pub field: &'static str,
    pub detail: String,
}

fn refuse(field: &'static str, detail: impl Into<String>) -> SpecError {
    SpecError {
        field,
        detail: detail.into(),
    }
}

/// A valid heartbeat's settings: only [`HeartbeatSpec::new`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatSpec {
    name: String,
    interval_seconds: i64,
    grace_seconds: i64,
}

impl HeartbeatSpec {
    /// The name trimmed, 1 to [`MAX_NAME_CHARS`] characters without control characters;
    /// `interval_seconds` from [`MIN_INTERVAL_SECONDS`], `grace_seconds` from 0, both at most
    /// [`MAX_SECONDS`].
    pub fn new(name: &str, interval_seconds: i64, grace_seconds: i64) -> Result<Self, SpecError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(refuse("name", "must not be empty"));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(refuse(
                "name",
                format!("must be at most {MAX_NAME_CHARS} characters"),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(refuse("name", "must not contain control characters"));
        }
        if !(MIN_INTERVAL_SECONDS..=MAX_SECONDS).contains(&interval_seconds) {
            return Err(refuse(
                "interval_seconds",
                format!("must be from {MIN_INTERVAL_SECONDS} to {MAX_SECONDS} seconds, got {interval_seconds}"),
            ));
        }
        if !(0..=MAX_SECONDS).contains(&grace_seconds) {
            return Err(refuse(
                "grace_seconds",
                format!("must be from 0 to {MAX_SECONDS} seconds, got {grace_seconds}"),
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            interval_seconds,
            grace_seconds,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A new heartbeat of `service`: its first deadline counts from its creation, as if it had
/// just checked in, so a heartbeat made before its job runs the first time is not missed at
/// once.
pub fn create(
    team: TeamId, service: ServiceId, spec: &HeartbeatSpec, checkin_key: &str, now: DateTime<Utc>,
) -> Heartbeat {
    let now = stored(now);
    Heartbeat {
        id: HeartbeatId::new(),
        service_id: service,
        team_id: team,
        name: spec.name.clone(),
        interval_seconds: spec.interval_seconds,
        grace_seconds: spec.grace_seconds,
        checkin_key: checkin_key.to_owned(),
        last_checkin_at: None,
        due_at: due_after(now, spec.interval_seconds, spec.grace_seconds),
        state: HeartbeatState::Ok,
        created_at: now,
    }
}

/// Times as both databases keep them (microseconds), so what a store answers for a write
/// equals what it reads back later.
fn stored(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// The deadline after a check-in (or creation) at `at`: one interval and the grace.
pub fn due_after(at: DateTime<Utc>, interval_seconds: i64, grace_seconds: i64) -> DateTime<Utc> {
    at + Duration::seconds(interval_seconds.saturating_add(grace_seconds))
}

/// The dedup key of a heartbeat's incident on its service: one open incident per heartbeat.
pub fn dedup_key(name: &str) -> String {
    format!("heartbeat:{name}")
}

/// Whether the heartbeat is missed at `now` and not yet fired: the firing claims exactly
/// these rows (`state = 'ok' AND due_at <= now`).
pub fn is_due(hb: &Heartbeat, now: DateTime<Utc>) -> bool {
    hb.state == HeartbeatState::Ok && hb.due_at <= now
}

/// What a miss writes: the heartbeat becomes [`HeartbeatState::Missed`] (its `due_at` stays:
/// it says when it was missed), and this alert, critical, opens (or joins) its incident.
pub fn missed(hb: &Heartbeat, now: DateTime<Utc>) -> AlertEvent {
    let last = hb
        .last_checkin_at
        .map(|t| format!("last check-in at {}", t.to_rfc3339()))
        .unwrap_or_else(|| "no check-in since it was created".to_owned());
    AlertEvent {
        source: SourceKind::Heartbeat,
        dedup_key: dedup_key(&hb.name),
        action: Action::Trigger(Severity::Critical),
        level: "MISSED".to_owned(),
        title: format!("Heartbeat {} missed", hb.name),
        description: format!(
            "Heartbeat {} expected a check-in every {} s (grace {} s) and got none by {}; {last}.",
            hb.name,
            hb.interval_seconds,
            hb.grace_seconds,
            hb.due_at.to_rfc3339()
        ),
        tags: tags(hb),
        occurred_at: Some(hb.due_at),
        raw: raw(hb, "missed", now),
    }
}

/// What a check-in at `now` writes.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckIn {
    pub last_checkin_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// Always [`HeartbeatState::Ok`] afterwards.
    pub state: HeartbeatState,
    /// When it was missed: the recovery that resolves its incident, in the same transaction.
    /// None when it was ok (a check-in on time writes no timeline event).
    pub resolve: Option<AlertEvent>,
}

impl CheckIn {
    /// `hb` as this check-in leaves it.
    pub fn applied_to(&self, hb: Heartbeat) -> Heartbeat {
        Heartbeat {
            last_checkin_at: Some(self.last_checkin_at),
            due_at: self.due_at,
            state: self.state,
            ..hb
        }
    }
}

/// A check-in at `now`: the next deadline counts from now; a missed heartbeat recovers.
pub fn check_in(hb: &Heartbeat, now: DateTime<Utc>) -> CheckIn {
    let now = stored(now);
    let resolve = (hb.state == HeartbeatState::Missed).then(|| AlertEvent {
        source: SourceKind::Heartbeat,
        dedup_key: dedup_key(&hb.name),
        action: Action::Resolve,
        level: "OK".to_owned(),
        title: format!("Heartbeat {} checked in", hb.name),
        description: format!("Heartbeat {} checked in again.", hb.name),
        tags: tags(hb),
        occurred_at: Some(now),
        raw: raw(hb, "checked_in", now),
    });
    CheckIn {
        last_checkin_at: now,
        due_at: due_after(now, hb.interval_seconds, hb.grace_seconds),
        state: HeartbeatState::Ok,
        resolve,
    }
}

fn tags(hb: &Heartbeat) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("heartbeat".to_owned(), hb.name.clone()),
        ("heartbeat_id".to_owned(), hb.id.to_string()),
    ])
}

/// The event's body: what the heartbeat looked like, as the timeline's raw payload (no key).
fn raw(hb: &Heartbeat, what: &str, now: DateTime<Utc>) -> String {
    serde_json::json!({
        "heartbeat": hb.name,
        "heartbeat_id": hb.id,
        "event": what,
        "interval_seconds": hb.interval_seconds,
        "grace_seconds": hb.grace_seconds,
        "due_at": hb.due_at,
        "last_checkin_at": hb.last_checkin_at,
        "at": now,
    })
    .to_string()
}

#[cfg(test)]
#[path = "heartbeat_tests.rs"]
mod tests;
