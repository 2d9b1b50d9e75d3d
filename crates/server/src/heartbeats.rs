//! Heartbeats on the server: the check-in route (`POST|GET /v1/heartbeats/{key}`) and the
//! firing the paging engine runs every cycle.
//!
//! The timer is the heartbeat's row (`due_at`, `state`), never memory: the engine asks the
//! store to fire what is due at least once a second and at the next due time, so a heartbeat
//! overdue while no node ran fires as soon as one starts, and several nodes fire it once (the
//! store claims due rows; see `tocsin_store::heartbeats`). A miss opens its incident through
//! the same ingest plan as an alert, in the same transaction, so the service's escalation
//! policy pages; the next check-in resolves it the same way.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tocsin_core::heartbeat::HeartbeatState;
use tocsin_core::{secret, HeartbeatId, IncidentId};
use tocsin_store::heartbeats::HeartbeatNoise;
use tocsin_store::{Store, StoreError};

use crate::error::ApiError;
use crate::noise_cache::NoiseCache;
use crate::state::AppState;

/// Heartbeats fired per store call (one transaction).
pub const BATCH: usize = 64;

/// Fire the heartbeats due at `now`: how many fired (up to [`BATCH`]; `BATCH` means there may
/// be more).
///
/// A miss is screened like any alert (its service's rules and maintenance windows, through
/// `noise`): the configs of the services with a heartbeat due are loaded first, then the store
/// fires those heartbeats with them in one transaction each batch.
pub async fn fire_due(
    store: &dyn Store, noise: &NoiseCache, now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let services = store.heartbeat_services_due(now, BATCH).await?;
    if services.is_empty() {
        return Ok(0);
    }
    let mut configs = HashMap::with_capacity(services.len());
    for id in services {
        configs.insert(id, noise.config(store, id).await?);
    }
    let fired = store
        .fire_heartbeats(now, BATCH, &HeartbeatNoise::of(configs))
        .await?;
    for f in &fired {
        tracing::info!(
            heartbeat = %f.heartbeat.id,
            service = %f.heartbeat.service_id,
            incident = ?f.outcome.incident_id,
            due_at = %f.heartbeat.due_at,
            "heartbeat missed: incident opened"
        );
    }
    Ok(fired.len())
}

/// When the next heartbeat is due, for the engine's sleep (none: none is waiting, or the
/// store could not say; the engine looks again within a second anyway).
pub async fn next_due(store: &dyn Store) -> Option<DateTime<Utc>> {
    store.next_heartbeat_due().await.ok().flatten()
}

/// The answer to a check-in.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckedIn {
    pub status: &'static str,
    pub heartbeat_id: HeartbeatId,
    pub state: HeartbeatState,
    /// The next deadline: one interval and the grace from now.
    pub due_at: DateTime<Utc>,
    /// The incident this check-in resolved, when the heartbeat had been missed.
    pub resolved_incident_id: Option<IncidentId>,
}

fn unknown_key() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_key",
        "no heartbeat has this check-in key",
    )
}

/// `POST|GET /v1/heartbeats/{key}`: the key is the only credential (as a webhook key is); any
/// body is ignored. Rate limited with the service's alerts (the same per-key bucket).
pub async fn check_in(
    State(state): State<AppState>, Path(key): Path<String>,
) -> Result<Json<CheckedIn>, ApiError> {
    let hash = secret::hash(&key);
    let (hb, stored) = state
        .store
        .heartbeat_by_key_hash(hash)
        .await?
        .ok_or_else(unknown_key)?;
    if !secret::eq(&stored, &hash) {
        return Err(unknown_key());
    }
    if let Some(limiter) = &state.limits.per_key {
        if let Err(wait) = limiter.check(&hb.service_id) {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "this service's heartbeats and alerts sent more than {} requests per second (burst {}); retry after the Retry-After seconds",
                    state.limits.config.per_key_per_second, state.limits.config.per_key_burst
                ),
            )
            .with_retry_after(wait));
        }
    }
    let done = state
        .store
        .check_in_heartbeat(hash, Utc::now())
        .await?
        // Deleted between the two calls.
        .ok_or_else(unknown_key)?;
    let resolved = done.recovered.as_ref().and_then(|o| {
        matches!(o.decision, tocsin_core::Decision::Resolve)
            .then_some(o.incident_id)
            .flatten()
    });
    if resolved.is_some() {
        // The resolve notices to everyone paged are due now.
        state.wake.wake();
        tracing::info!(heartbeat = %done.heartbeat.id, incident = ?resolved, "heartbeat checked in: incident resolved");
    }
    Ok(Json(CheckedIn {
        status: "ok",
        heartbeat_id: done.heartbeat.id,
        state: done.heartbeat.state,
        due_at: done.heartbeat.due_at,
        resolved_incident_id: resolved,
    }))
}
