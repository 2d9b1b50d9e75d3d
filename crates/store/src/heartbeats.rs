//! Heartbeats' storage (issue 18). What a heartbeat is and what a miss or a check-in writes
//! are core's (`tocsin_core::heartbeat`); a store reads the rows those rules need, writes what
//! they say, and sends the resulting alert through the same ingest plan as any sender's alert
//! (`tocsin_core::plan`), **in the same transaction** as the heartbeat's own change: so the
//! state `missed` and its incident commit together or not at all, and a heartbeat fires once.
//!
//! Once across nodes: firing claims the due rows (`state = 'ok' AND due_at <= now`) —
//! SQLite through its single writer, PostgreSQL with `FOR UPDATE SKIP LOCKED` — and flips them
//! to `missed` before COMMIT; a second node skips the locked rows and, after the COMMIT, no
//! longer matches them. The SQL both dialects accept is here, once.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tocsin_core::alert::AlertEvent;
use tocsin_core::heartbeat::Heartbeat;
use tocsin_core::model::{IngestOutcome, Scope};
use tocsin_core::noise::screen::{screen_own, Noise, NoiseConfig};
use tocsin_core::{HeartbeatId, ServiceId};

use crate::StoreError;

/// A heartbeat that was missed, and what its alert did (opened or joined its incident).
#[derive(Debug, Clone)]
pub struct Fired {
    /// As it is afterwards: `missed`.
    pub heartbeat: Heartbeat,
    pub outcome: IngestOutcome,
}

/// A check-in, done.
#[derive(Debug, Clone)]
pub struct CheckedIn {
    /// As it is afterwards: `ok`, due one interval and its grace from now.
    pub heartbeat: Heartbeat,
    /// When it had been missed: what its recovery did (resolved its incident, or nothing when
    /// someone had resolved it already).
    pub recovered: Option<IngestOutcome>,
}

/// The noise configs (rules and maintenance windows) of the services whose heartbeats may fire,
/// loaded by the caller (the server's noise cache, which an async store call cannot reach from
/// SQLite's writer thread). A missed heartbeat's alert goes through [`screen_own`] with its
/// service's config, so a window suppresses it as it would any alert.
#[derive(Clone, Default)]
pub struct HeartbeatNoise {
    /// `None`: no service has rules or windows (tests of firing alone).
    configs: Option<Arc<HashMap<ServiceId, Arc<NoiseConfig>>>>,
}

impl HeartbeatNoise {
    /// As if no service had rules or windows.
    pub fn none() -> Self {
        Self::default()
    }

    /// These services' configs; a due heartbeat of any other service is left for a later call
    /// (it became due after the caller looked), never fired unscreened.
    pub fn of(configs: HashMap<ServiceId, Arc<NoiseConfig>>) -> Self {
        Self {
            configs: Some(Arc::new(configs)),
        }
    }

    /// The miss of a heartbeat of `service` (`name`) screened, or `None` to leave it for later.
    pub(crate) fn screen(
        &self, service: ServiceId, name: &str, event: AlertEvent, now: DateTime<Utc>,
    ) -> Option<(AlertEvent, Noise)> {
        match &self.configs {
            None => Some((event, Noise::default())),
            Some(m) => m.get(&service).map(|c| screen_own(c, name, event, now)),
        }
    }
}

/// A service's heartbeats. Team-owned writes take the caller's [`Scope`]; the check-in takes
/// none (its secret key is the credential, as a webhook key is), and firing is the engine's.
#[async_trait]
pub trait HeartbeatStore: Send + Sync + 'static {
    /// Store `hb` (made by core's `heartbeat::create`) with the SHA-256 of its key. Not found
    /// when its service is outside `scope` or not of `hb.team_id`; conflict when the service
    /// has a heartbeat of that name.
    async fn create_heartbeat(
        &self, scope: &Scope, hb: &Heartbeat, key_hash: [u8; 32],
    ) -> Result<Heartbeat, StoreError>;
    /// The service's heartbeats by name; nothing for a service outside `scope`.
    async fn list_heartbeats(
        &self, scope: &Scope, service: ServiceId,
    ) -> Result<Vec<Heartbeat>, StoreError>;
    async fn get_heartbeat(
        &self, scope: &Scope, service: ServiceId, id: HeartbeatId,
    ) -> Result<Heartbeat, StoreError>;
    /// Removes it (it fires no more); its incident, if open, stays as it is. Answers what was
    /// removed.
    async fn delete_heartbeat(
        &self, scope: &Scope, service: ServiceId, id: HeartbeatId,
    ) -> Result<Heartbeat, StoreError>;
    /// The heartbeat whose check-in key has this SHA-256, with the stored hash (for a
    /// constant-time comparison): a read, for the rate limit before the write.
    async fn heartbeat_by_key_hash(
        &self, hash: [u8; 32],
    ) -> Result<Option<(Heartbeat, [u8; 32])>, StoreError>;
    /// Check in the heartbeat with this key hash at `now` (none: no such key). A missed one
    /// recovers: its resolve goes through the ingest plan in the same transaction.
    async fn check_in_heartbeat(
        &self, hash: [u8; 32], now: DateTime<Utc>,
    ) -> Result<Option<CheckedIn>, StoreError>;
    /// The services with a heartbeat due at `now` (at most `limit`): a read, so the caller can
    /// load their noise configs before [`fire_heartbeats`](Self::fire_heartbeats).
    async fn heartbeat_services_due(
        &self, now: DateTime<Utc>, limit: usize,
    ) -> Result<Vec<ServiceId>, StoreError>;
    /// Fire up to `limit` heartbeats due at `now`, soonest first, each `missed` and its
    /// incident opened through the ingest plan, screened by its service's rules and windows
    /// (`noise`), in one transaction. A heartbeat another node is firing is skipped, never
    /// fired twice; one whose service `noise` does not know waits for a later call.
    async fn fire_heartbeats(
        &self, now: DateTime<Utc>, limit: usize, noise: &HeartbeatNoise,
    ) -> Result<Vec<Fired>, StoreError>;
    /// The soonest `due_at` of a heartbeat not yet fired, for the engine's sleep.
    async fn next_heartbeat_due(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
}

/// The heartbeat's columns (0–10); the firing and check-in reads add its service's
/// ([`crate::cols::SERVICE_COLS`] of `s`, 11–16) and the key hash (17).
pub(crate) const HB_COLS: &str = "h.id, h.service_id, h.team_id, h.name, h.interval_seconds, h.grace_seconds, h.checkin_key, h.last_checkin_at, h.due_at, h.state, h.created_at";
pub(crate) const HB_SERVICE_COLS: &str =
    "s.id, s.team_id, s.name, s.api_key, s.created_at, s.escalation_policy_id, h.checkin_key_hash";
/// Where the service's columns start in a row of [`HB_COLS`] then [`HB_SERVICE_COLS`].
pub(crate) const SERVICE_AT: usize = 11;

pub(crate) const INSERT: &str = "INSERT INTO heartbeats (id, service_id, team_id, name,
       interval_seconds, grace_seconds, checkin_key, checkin_key_hash, last_checkin_at, due_at,
       state, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

pub(crate) const SERVICE_OF_TEAM: &str = "SELECT 1 FROM services WHERE id = $1 AND team_id = $2";

pub(crate) const CHECK_IN: &str =
    "UPDATE heartbeats SET last_checkin_at = $1, due_at = $2, state = $3 WHERE id = $4";

pub(crate) const MARK_MISSED: &str =
    "UPDATE heartbeats SET state = 'missed' WHERE id = $1 AND state = 'ok'";

pub(crate) const ANY_DUE: &str =
    "SELECT 1 FROM heartbeats WHERE state = 'ok' AND due_at <= $1 LIMIT 1";

/// Up to `n` heartbeats due at `$1`, soonest first, with their services, and PostgreSQL's
/// `lock`.
pub(crate) fn due_with_services(n: usize, lock: &str) -> String {
    format!(
        "SELECT {HB_COLS}, {HB_SERVICE_COLS} FROM heartbeats h
         JOIN services s ON s.id = h.service_id
         WHERE h.state = 'ok' AND h.due_at <= $1 ORDER BY h.due_at{}{lock}",
        crate::sql::limit(n)
    )
}

/// Up to `n` services with a heartbeat due at `$1`.
pub(crate) fn services_due(n: usize) -> String {
    format!(
        "SELECT DISTINCT service_id FROM heartbeats WHERE state = 'ok' AND due_at <= $1{}",
        crate::sql::limit(n)
    )
}

pub(crate) const NEXT_DUE: &str = "SELECT MIN(due_at) FROM heartbeats WHERE state = 'ok'";

pub(crate) fn conflict(name: &str) -> impl FnOnce() -> String + '_ {
    move || format!("the service already has a heartbeat named {name:?}")
}
