//! `POST /v2/enqueue`: PagerDuty's Events API v2, answered in PagerDuty's own shape so its
//! clients (Kapacitor's `pagerduty2`, PagerDuty libraries, scripts) read our answers as they
//! read PagerDuty's:
//! - 202 `{"status": "success", "message": "Event processed", "dedup_key": …}`;
//! - 400 `{"status": "invalid event", "message": "Event object is invalid", "errors": […]}`
//!   for any bad event, an unknown `routing_key` included (PagerDuty's clients treat 400 as
//!   "do not retry", which is right for a key that names no service);
//! - 429 `{"status": "throttle event", …}` over the service's rate limit, with `Retry-After`;
//! - other failures keep their status (413, 503 + `Retry-After`, …) in the same shape.
//!
//! Every refusal also carries Tocsin's own `{code, detail}`, so the answer names the problem
//! the same way every other Tocsin refusal does; PagerDuty's clients ignore fields they do
//! not know.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use tocsin_core::SourceKind;

use super::ingest;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Serialize)]
struct Success {
    status: &'static str,
    message: &'static str,
    dedup_key: String,
}

#[derive(Serialize)]
struct Refusal<'a> {
    status: &'static str,
    message: &'static str,
    errors: [&'a str; 1],
    code: &'a str,
    detail: &'a str,
}

pub async fn enqueue(
    State(state): State<AppState>, body: Result<Bytes, BytesRejection>,
) -> Response {
    let source = SourceKind::PagerDuty;
    match ingest(&state, source, None, body, |b| source.decode(b)).await {
        Ok(done) => (
            StatusCode::ACCEPTED,
            Json(Success {
                status: "success",
                message: "Event processed",
                dedup_key: done.dedup_key,
            }),
        )
            .into_response(),
        Err(e) => refusal(e),
    }
}

/// PagerDuty's shape around an [`ApiError`], keeping its status (but 400 for an unknown
/// key) and its headers (`Retry-After`).
pub(crate) fn refusal(e: ApiError) -> Response {
    let (code, detail) = (e.code, e.detail.clone());
    let status = match e.status {
        StatusCode::NOT_FOUND => StatusCode::BAD_REQUEST,
        s => s,
    };
    let (pd_status, message) = match status {
        StatusCode::TOO_MANY_REQUESTS => (
            "throttle event",
            "Requests for this service are arriving too quickly. Please retry later.",
        ),
        s if s.is_client_error() => ("invalid event", "Event object is invalid"),
        _ => ("error", "Event not processed"),
    };
    // Strings only: serialising cannot fail.
    let body = serde_json::to_vec(&Refusal {
        status: pd_status,
        message,
        errors: [&detail],
        code,
        detail: &detail,
    })
    .unwrap_or_default();
    // ApiError's response carries the headers (JSON, `Retry-After`); the body is replaced.
    let mut res = e.into_response();
    *res.status_mut() = status;
    *res.body_mut() = axum::body::Body::from(body);
    res
}
