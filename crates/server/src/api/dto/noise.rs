//! Noise control's response shapes (issue 18).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tocsin_core::noise::records;
use tocsin_core::{EventId, IncidentId, MaintenanceWindowId, ServiceId, Severity};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct MaintenanceWindow {
    pub id: MaintenanceWindowId,
    pub service_id: ServiceId,
    pub start: DateTime<Utc>,
    /// `null`: until someone ends it.
    pub end: Option<DateTime<Utc>>,
    pub time_zone: String,
    /// Repeats every week at the same wall-clock times in `time_zone`.
    pub weekly: bool,
    /// When someone ended it early.
    pub ended_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// Whether it covers the time of the answer.
    pub active: bool,
}

impl MaintenanceWindow {
    pub fn at(w: records::MaintenanceWindow, now: DateTime<Utc>) -> Self {
        let active = w.active(now);
        let records::MaintenanceWindow {
            id,
            service_id,
            spec,
            ended_at,
            created_by,
            created_at,
        } = w;
        Self {
            id,
            service_id,
            start: spec.start,
            end: spec.end,
            time_zone: spec.time_zone.unwrap_or_else(|| "UTC".into()),
            weekly: spec.weekly,
            ended_at,
            created_by,
            created_at,
            active,
        }
    }
}

/// What `DELETE` did.
#[derive(Debug, Serialize, ToSchema)]
pub struct WindowEnded {
    pub id: MaintenanceWindowId,
    /// `ended` (it had begun) or `removed` (it lay in the future).
    pub result: records::WindowEnd,
}

/// What the given rules would do to one stored alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewAlert {
    pub event_id: EventId,
    pub incident_id: Option<IncidentId>,
    pub received_at: DateTime<Utc>,
    pub source: String,
    pub dedup_key: String,
    pub title: String,
    /// The rules that matched, by position.
    pub matched: Vec<usize>,
    pub suppress: bool,
    pub route: Option<ServiceId>,
    /// Tags the rules add or overwrite.
    pub tags: BTreeMap<String, String>,
    pub severity: Option<Severity>,
    pub dedup_window_minutes: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RulesPreview {
    /// Newest first; at most 50.
    pub alerts: Vec<PreviewAlert>,
    /// Stored alerts whose body their source no longer decodes (left out).
    pub skipped: usize,
}
