//! Noise control's stored records, as the store returns them.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::windows::{Window, WindowError, WindowSpec};
use crate::{MaintenanceWindowId, ServiceId};

/// A maintenance window of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaintenanceWindow {
    pub id: MaintenanceWindowId,
    pub service_id: ServiceId,
    pub spec: WindowSpec,
    /// Set when someone ended it early.
    pub ended_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl MaintenanceWindow {
    /// A new window of `service` made by `actor` at `now` (already at the stores' precision):
    /// the zone is stored named, `UTC` when none was given, so a reader never guesses.
    pub fn new(service: ServiceId, spec: &WindowSpec, actor: &str, now: DateTime<Utc>) -> Self {
        MaintenanceWindow {
            id: MaintenanceWindowId::new(),
            service_id: service,
            spec: WindowSpec {
                time_zone: Some(spec.time_zone.clone().unwrap_or_else(|| "UTC".into())),
                ..spec.clone()
            },
            ended_at: None,
            created_by: actor.to_owned(),
            created_at: now,
        }
    }

    /// The validated window (the spec was validated when it was created).
    pub fn window(&self) -> Result<Window, WindowError> {
        Window::new(&self.spec, self.ended_at)
    }

    /// Whether it covers `at`.
    pub fn active(&self, at: DateTime<Utc>) -> bool {
        self.window().is_ok_and(|w| w.covers(at))
    }

    /// What `DELETE` does to it at `at`: a window that has not begun is removed; one that has
    /// (running, repeating, open-ended or over) is ended, so its record stays.
    pub fn ends_by_removal(&self, at: DateTime<Utc>) -> bool {
        self.spec.start > at
    }
}

/// One alert of a service as stored, for the rules preview: its source re-decodes the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAlert {
    pub event_id: crate::EventId,
    pub incident_id: Option<crate::IncidentId>,
    pub source: String,
    pub received_at: DateTime<Utc>,
    pub payload: String,
}

/// What `DELETE …/maintenance-windows/{id}` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WindowEnd {
    /// It had begun: `ended_at` is set, it covers nothing from now on.
    Ended,
    /// It lay in the future: it is gone.
    Removed,
}
