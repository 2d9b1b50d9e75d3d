//! `POST /v1/incidents/{source}/{key}`: where alerts come in.
//!
//! Thin on purpose: find the service by key, decode with the source's decoder, hand the
//! event to the store and wait for the commit. 202 means the alert is on disk.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use tocsin_core::model::{IngestOutcome, Service};
use tocsin_core::{AlertEvent, Decision, EventId, IncidentId, SourceKind};

use crate::error::ApiError;
use crate::json::body_rejection;
use crate::state::AppState;
use crate::telemetry::Metrics;

/// Kapacitor bodies are a few KB; 256 KiB leaves room for big `details` and stops abuse.
pub const MAX_BODY: usize = 256 * 1024;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Accepted {
    pub status: &'static str,
    pub action: &'static str,
    pub incident_id: Option<IncidentId>,
    pub incident_number: Option<i64>,
    pub event_id: EventId,
}

impl From<IngestOutcome> for Accepted {
    fn from(o: IngestOutcome) -> Self {
        Accepted {
            status: "accepted",
            action: o.decision.outcome(),
            incident_id: o.incident_id,
            incident_number: o.incident_number,
            event_id: o.event_id,
        }
    }
}

/// The refusal of a body whose declared length is over [`MAX_BODY`], decided before reading any
/// of it, on every route (the edge middleware asks), so a sender announcing 10 MB costs us
/// nothing; refusals on a webhook path are counted as alerts of its source. Bodies without a
/// length are cut at the limit while being read (ingest) or at the extractors' own limit.
pub fn declared_oversize(metrics: &Metrics, req: &axum::extract::Request) -> Option<ApiError> {
    let n = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|n| *n > MAX_BODY as u64)?;
    let source = req
        .uri()
        .path()
        .strip_prefix("/v1/incidents/")
        .and_then(|rest| rest.split('/').next())
        .and_then(SourceKind::from_slug);
    if let Some(source) = source {
        metrics.count_alert(source.slug(), "payload_too_large");
    }
    Some(ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the body is {n} bytes, over the limit of {MAX_BODY} bytes"),
    ))
}

pub async fn receive(
    State(state): State<AppState>, Path((source, key)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let started = Instant::now();
    let source = SourceKind::from_slug(&source).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_source",
            format!("no alert source named {source:?}"),
        )
    })?;
    let slug = source.slug();
    let result = async {
        let service = state
            .keys
            .lookup(state.accounts.as_ref(), &key)
            .await?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "unknown_key",
                    "no service has this webhook key",
                )
            })?;
        if let Some(limiter) = &state.limits.per_key {
            if let Err(wait) = limiter.check(&service.id) {
                if state.limits.should_warn() {
                    tracing::warn!(
                        service = %service.id,
                        retry_after_ms = wait.as_millis() as u64,
                        "alerts refused: over the per-key rate limit (counted in tocsin_alerts_total{{outcome=\"rate_limited\"}})"
                    );
                }
                return Err(ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!(
                        "this service key sent more than {} alerts per second (burst {}); nothing was stored, retry after the Retry-After seconds",
                        state.limits.config.per_key_per_second, state.limits.config.per_key_burst
                    ),
                )
                .with_retry_after(wait));
            }
        }
        let body = body.map_err(body_rejection)?;
        let events = source.decode(&body)?;
        let mut last = None;
        for event in events {
            last = Some(accept(&state, &service, event).await?);
        }
        last.ok_or_else(|| ApiError::bad_request("empty_body", "the body held no alert"))
    }
    .await;
    match result {
        Ok(outcome) => {
            state.metrics.count_alert(slug, outcome.decision.outcome());
            state.metrics.count_incident(outcome.decision.outcome());
            state.metrics.observe_ingest(started.elapsed());
            Ok((StatusCode::ACCEPTED, Json(outcome.into())))
        }
        Err(e) => {
            state.metrics.count_alert(slug, e.code);
            Err(e)
        }
    }
}

/// Store one decoded alert. Shared by the webhook and the "send test alert" button, so a test
/// goes through exactly what real alerts go through.
pub async fn accept(
    state: &AppState, service: &Service, event: AlertEvent,
) -> Result<IngestOutcome, ApiError> {
    let outcome = state.store.ingest(service, event).await?;
    if matches!(outcome.decision, Decision::Open(_) | Decision::Resolve) {
        // Committed: a first step with no delay goes out now, not at the next poll.
        state.wake.wake();
    }
    Ok(outcome)
}
