//! The normalised alert event every source decodes into.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::sources::SourceKind;

/// How bad a triggering alert is. Ordered so that `Critical > Warning > Info`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// What an alert asks of its incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action", content = "severity")]
pub enum Action {
    /// Open an incident, or join the open one.
    Trigger(Severity),
    /// The condition is over: auto-resolve the open incident.
    Resolve,
    /// Someone is on it (PagerDuty's `acknowledge` event): acknowledge the open incident,
    /// which stops paging exactly as a person's acknowledge does.
    Acknowledge,
    /// A connectivity test from the sender (Kapacitor's "Test" button): recorded, never an incident.
    Test,
}

/// One alert, whatever source it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertEvent {
    pub source: SourceKind,
    /// Alerts with the same key on the same service belong to the same open incident.
    pub dedup_key: String,
    pub action: Action,
    /// The level exactly as the source named it (`CRITICAL`, `OK`, …), for the timeline.
    pub level: String,
    pub title: String,
    pub description: String,
    pub tags: BTreeMap<String, String>,
    /// When the source says the condition was observed; `None` when it sent a zero time.
    pub occurred_at: Option<DateTime<Utc>>,
    /// The body as received, kept with the event so nothing the sender said is lost.
    pub raw: String,
}
