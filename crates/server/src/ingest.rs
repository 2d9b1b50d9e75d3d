//! Where alerts come in: `POST /v1/incidents/{source}/{key}` (Kapacitor, Alertmanager,
//! Grafana, alerta, opsgenie2), `POST /v2/incidents/{source}/{key}` (Squadcast's Incident
//! Webhook), `POST /v2/enqueue` (PagerDuty's Events API v2, in [`pagerduty`]) and the paths
//! Kapacitor's alerta and opsgenie2 handlers add below their URL (in [`sender_paths`]), each
//! source at its own URL ([`SourceKind::endpoint`]).
//!
//! Thin on purpose: find the service by key, decode with the source's decoder, hand the
//! event to the store and wait for the commit. 202 means the alert is on disk. Every source
//! goes through [`ingest`]; only the answer's shape is the source's own.

pub mod pagerduty;
pub mod sender_paths;

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use tocsin_core::model::{IngestOutcome, Service};
use tocsin_core::sources::Endpoint;
use tocsin_core::{AlertEvent, Decision, DecodeError, EventId, IncidentId, SourceKind};

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
pub fn declared_oversize(
    metrics: &Metrics, req: &axum::extract::Request,
) -> Option<axum::response::Response> {
    let n = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|n| *n > MAX_BODY as u64)?;
    let source = SourceKind::from_path(req.uri().path());
    if let Some(source) = source {
        metrics.count_alert(source.slug(), "payload_too_large");
    }
    Some(match source {
        // PagerDuty's clients read PagerDuty's shape, this refusal included.
        Some(SourceKind::PagerDuty) => pagerduty::refusal(too_large(n, MAX_BODY)),
        _ => axum::response::IntoResponse::into_response(too_large(n, MAX_BODY)),
    })
}

/// `POST /v1/incidents/{source}/{key}`: Kapacitor's URL (Squadcast's v1 shape).
pub async fn receive(
    State(state): State<AppState>, Path((source, key)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    incidents(state, Endpoint::V1Incidents, &source, &key, body).await
}

/// `POST /v2/incidents/{source}/{key}`: Squadcast's v2 shape (its Incident Webhook is
/// `/v2/incidents/api/<key>`).
pub async fn receive_v2(
    State(state): State<AppState>, Path((source, key)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    incidents(state, Endpoint::V2Incidents, &source, &key, body).await
}

/// A source answers only at its own URL ([`SourceKind::endpoint`]), so each source has one
/// URL to document, log and limit.
async fn incidents(
    state: AppState, endpoint: Endpoint, source: &str, key: &str,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let source = SourceKind::from_slug(source)
        .filter(|s| s.endpoint() == endpoint)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_source",
                format!("no alert source named {source:?} takes alerts at this path"),
            )
        })?;
    let done = ingest(&state, source, Some(key), body, |b| source.decode(b)).await?;
    Ok((StatusCode::ACCEPTED, Json(done.outcome.into())))
}

/// One alert request, stored: what the store answered for its last alert and the dedup key
/// that alert went under (a PagerDuty sender is told the key, made up when it sent none).
pub struct Ingested {
    pub outcome: IngestOutcome,
    pub dedup_key: String,
}

/// The one ingest path of every source and route: the source's body limit, the service found
/// by key (`key` from the URL, or the one the body names for sources that carry it there),
/// a rate-limit token, then the whole body decoded with `decode` (the source's decoder, or a
/// sender path's own, such as opsgenie2's recovery; a refusal stores nothing), then its
/// alerts stored in order, each committed before the next. The answer comes after the last
/// commit. Every alert is counted in the metrics by its source and outcome, a refusal once.
/// A store failure part-way leaves the alerts before it committed and answers 5xx: the sender
/// sends the whole body again, and the repeats join their incidents.
pub async fn ingest(
    state: &AppState, source: SourceKind, key: Option<&str>, body: Result<Bytes, BytesRejection>,
    decode: impl FnOnce(&[u8]) -> Result<Vec<AlertEvent>, DecodeError>,
) -> Result<Ingested, ApiError> {
    let started = Instant::now();
    let slug = source.slug();
    let result = async {
        let mut body = body.map_err(body_rejection);
        if let Ok(b) = &body {
            if b.len() > source.max_body() {
                return Err(too_large(b.len() as u64, source.max_body()));
            }
        }
        let key = match key {
            Some(k) => k.to_owned(),
            // The key travels in the body (PagerDuty's `routing_key`): read it first.
            None => {
                let b = body?;
                let k = source.key_in_body(&b)?;
                body = Ok(b);
                k
            }
        };
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
        let body = body?;
        let events = decode(&body)?;
        let mut last = None;
        for event in events {
            let dedup_key = event.dedup_key.clone();
            let outcome = accept(state, &service, event).await?;
            let action = outcome.decision.outcome();
            state.metrics.count_alert(slug, action);
            state.metrics.count_incident(action);
            last = Some(Ingested { outcome, dedup_key });
        }
        last.ok_or_else(|| ApiError::bad_request("empty_body", "the body held no alert"))
    }
    .await;
    match result {
        Ok(done) => {
            state.metrics.observe_ingest(started.elapsed());
            Ok(done)
        }
        Err(e) => {
            state.metrics.count_alert(slug, e.code);
            Err(e)
        }
    }
}

fn too_large(n: u64, limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the body is {n} bytes, over the limit of {limit} bytes"),
    )
}

/// Store one decoded alert. Shared by the webhook and the "send test alert" button, so a test
/// goes through exactly what real alerts go through.
pub async fn accept(
    state: &AppState, service: &Service, event: AlertEvent,
) -> Result<IngestOutcome, ApiError> {
    // The noise step (issue 18): rules in order, then maintenance windows, before dedup.
    let (handler, event, noise) = state
        .noise
        .screen(state.store.as_ref(), service, event)
        .await?;
    let outcome = state.store.ingest_screened(&handler, event, noise).await?;
    // Only a service with a policy writes escalation rows (`plan`), so only then is there
    // something for the engine to do at once; waking it for every incident of a service that
    // pages nobody cost each such alert an engine round. (A resolve on a service whose policy
    // was removed after its incident opened still has a row: the engine's idle look, at least
    // every second, sends its notices.)
    if handler.escalation_policy_id.is_some()
        && matches!(
            outcome.decision,
            Decision::Open(_) | Decision::Resolve | Decision::Acknowledge
        )
    {
        // Committed: a first step with no delay goes out now, not at the next poll.
        state.wake.wake();
    }
    Ok(outcome)
}
