//! Noise control's storage (issue 18): a service's ordered rules and its maintenance windows.
//! What they mean is core's (`tocsin_core::noise`): a store keeps the rule list as the API
//! took it (validated JSON, compiled by whoever loads it) and checks only what needs the
//! database (a route to a service of another team).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tocsin_core::model::Scope;
use tocsin_core::noise::records::{MaintenanceWindow, StoredAlert, WindowEnd};
use tocsin_core::noise::rules::{RuleAction, RuleSpec};
use tocsin_core::noise::windows::WindowSpec;
use tocsin_core::{MaintenanceWindowId, ServiceId};

use crate::StoreError;

/// A service's rules; the service must be within `scope` (not found otherwise).
#[async_trait]
pub trait RuleStore: Send + Sync + 'static {
    /// The ordered list; empty when none was ever saved.
    async fn service_rules(
        &self, scope: &Scope, service: ServiceId,
    ) -> Result<Vec<RuleSpec>, StoreError>;
    /// Replace the list (already compiled by core). Invalid, naming `rules[i].service_id`,
    /// when a route names a service that is not of the same team.
    async fn set_service_rules(
        &self, scope: &Scope, service: ServiceId, rules: &[RuleSpec], actor: &str,
    ) -> Result<(), StoreError>;
    /// The service's last `limit` alerts with a body, newest first, read through its newest
    /// incidents (`incident_events` has no index by service since 0007, and adding one would
    /// cost every alert): an alert that opened or joined nothing is not among them.
    async fn recent_alerts(
        &self, scope: &Scope, service: ServiceId, limit: u32,
    ) -> Result<Vec<StoredAlert>, StoreError>;
}

/// A service's maintenance windows; the service must be within `scope`.
#[async_trait]
pub trait MaintenanceWindowStore: Send + Sync + 'static {
    /// `spec` was validated by core (`Window::new`).
    async fn create_maintenance_window(
        &self, scope: &Scope, service: ServiceId, spec: &WindowSpec, actor: &str,
    ) -> Result<MaintenanceWindow, StoreError>;
    /// Newest first, at most 200.
    async fn list_maintenance_windows(
        &self, scope: &Scope, service: ServiceId,
    ) -> Result<Vec<MaintenanceWindow>, StoreError>;
    /// End a window that has begun (`ended_at = at`) or remove one that has not.
    async fn end_maintenance_window(
        &self, scope: &Scope, service: ServiceId, id: MaintenanceWindowId, at: DateTime<Utc>,
    ) -> Result<WindowEnd, StoreError>;
    /// For the ingest path, whose service was found by its key (no scope): the rules and the
    /// windows that may still cover `at` or later.
    async fn noise_config(
        &self, service: ServiceId, at: DateTime<Utc>,
    ) -> Result<(Vec<RuleSpec>, Vec<MaintenanceWindow>), StoreError>;
}

pub(crate) mod sql {
    pub const SERVICE_TEAM: &str = "SELECT team_id FROM services WHERE id = $1";
    pub const SERVICE_IN_TEAM: &str = "SELECT 1 FROM services WHERE id = $1 AND team_id = $2";
    pub const RULES: &str = "SELECT rules FROM service_noise_rules WHERE service_id = $1";
    pub const UPSERT_RULES: &str = "INSERT INTO service_noise_rules
           (service_id, rules, updated_at, updated_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (service_id) DO UPDATE SET rules = excluded.rules,
           updated_at = excluded.updated_at, updated_by = excluded.updated_by";
    pub const INSERT_WINDOW: &str = "INSERT INTO maintenance_windows
           (id, service_id, start_at, end_at, time_zone, weekly, ended_at, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8)";
    pub const LIST_WINDOWS: &str = "SELECT id, service_id, start_at, end_at, time_zone, weekly,
           ended_at, created_by, created_at
         FROM maintenance_windows WHERE service_id = $1 ORDER BY id DESC LIMIT 200";
    /// Not ended before `$2`, and either weekly, open-ended or ending after `$2`.
    pub const LIVE_WINDOWS: &str = "SELECT id, service_id, start_at, end_at, time_zone, weekly,
           ended_at, created_by, created_at
         FROM maintenance_windows
         WHERE service_id = $1 AND (ended_at IS NULL OR ended_at > $2)
           AND (weekly OR end_at IS NULL OR end_at > $2)
         ORDER BY id";
    pub const GET_WINDOW: &str = "SELECT id, service_id, start_at, end_at, time_zone, weekly,
           ended_at, created_by, created_at
         FROM maintenance_windows WHERE id = $1 AND service_id = $2";
    pub const END_WINDOW: &str =
        "UPDATE maintenance_windows SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL";
    pub const DELETE_WINDOW: &str = "DELETE FROM maintenance_windows WHERE id = $1";
    /// `$1` service, `$2` limit.
    pub const RECENT_ALERTS: &str = "SELECT e.id, e.incident_id, e.source, e.received_at, e.payload
         FROM incident_events e
         WHERE e.incident_id IN
             (SELECT id FROM incidents WHERE service_id = $1 ORDER BY id DESC LIMIT $2)
           AND e.payload IS NOT NULL AND e.source IS NOT NULL AND e.kind <> 'test'
         ORDER BY e.id DESC LIMIT $2";
}

/// The stored rule list, read back (it was validated when saved).
pub(crate) fn rules_from_json(text: &str) -> Result<Vec<RuleSpec>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Other(format!("stored rules: {e}")))
}

pub(crate) fn rules_to_json(rules: &[RuleSpec]) -> Result<String, StoreError> {
    serde_json::to_string(rules).map_err(|e| StoreError::Other(format!("rules: {e}")))
}

/// Each route rule's position and target.
pub(crate) fn routes(rules: &[RuleSpec]) -> Vec<(usize, ServiceId)> {
    rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.action == RuleAction::Route)
        .filter_map(|(i, r)| r.service_id.map(|s| (i, s)))
        .collect()
}

pub(crate) fn not_in_team(i: usize, target: ServiceId) -> StoreError {
    StoreError::Invalid {
        field: format!("rules[{i}].service_id"),
        detail: format!("{target} is not a service of this service's team"),
    }
}
