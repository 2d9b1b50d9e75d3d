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
use tocsin_core::{AlertEvent, Decision, DecodeError, EventId, IncidentId, SourceKind};

use crate::error::ApiError;
use crate::json::body_rejection;
use crate::state::AppState;

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

/// Refuse a body whose declared length is over [`MAX_BODY`] before reading any of it, on
/// every route, so a sender announcing 10 MB costs us nothing; refusals on a webhook path are
/// counted as alerts of its source. Bodies without a length are cut at the limit while being
/// read (ingest) or at the extractors' own limit.
pub async fn refuse_declared_oversize(
    State(state): State<AppState>, req: axum::extract::Request, next: axum::middleware::Next,
) -> axum::response::Response {
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > MAX_BODY as u64 => {
            let path = req.uri().path();
            let source = path
                .strip_prefix("/v1/incidents/")
                .and_then(|rest| rest.split('/').next())
                .and_then(SourceKind::from_slug);
            if let Some(source) = source {
                state
                    .metrics
                    .count_alert(source.slug(), "payload_too_large");
            }
            axum::response::IntoResponse::into_response(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body is {n} bytes, over the limit of {MAX_BODY} bytes"),
            ))
        }
        _ => next.run(req).await,
    }
}

pub async fn receive(
    State(state): State<AppState>, Path((source, key)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let source = SourceKind::from_slug(&source).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_source",
            format!("no alert source named {source:?}"),
        )
    })?;
    let outcome = ingest(&state, source, &key, body, |b| source.decode(b)).await?;
    Ok((StatusCode::ACCEPTED, Json(outcome.into())))
}

/// The one path of every webhook request: find the service by key, take a rate-limit token,
/// decode the whole body with `decode` (a refusal stores nothing), then store its alerts in
/// order, each committed before the next; the answer comes after the last commit and is its
/// outcome. Every alert is counted in the metrics by its source and outcome, a refusal once.
/// A store failure part-way leaves the alerts before it committed and answers 5xx: the sender
/// sends the whole body again, and the repeats join their incidents.
pub async fn ingest(
    state: &AppState, source: SourceKind, key: &str, body: Result<Bytes, BytesRejection>,
    decode: impl FnOnce(&[u8]) -> Result<Vec<AlertEvent>, DecodeError>,
) -> Result<IngestOutcome, ApiError> {
    let started = Instant::now();
    let slug = source.slug();
    let result = async {
        let service = state
            .keys
            .lookup(state.accounts.as_ref(), key)
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
        let events = decode(&body)?;
        let mut last = None;
        for event in events {
            let outcome = accept(state, &service, event).await?;
            let action = outcome.decision.outcome();
            state.metrics.count_alert(slug, action);
            state.metrics.count_incident(action);
            last = Some(outcome);
        }
        last.ok_or_else(|| ApiError::bad_request("empty_body", "the body held no alert"))
    }
    .await;
    match result {
        Ok(outcome) => {
            state.metrics.observe_ingest(started.elapsed());
            Ok(outcome)
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
