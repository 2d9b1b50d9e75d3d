//! Liveness, readiness and metrics.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use tocsin_core::secret;

use crate::error::ApiError;
use crate::state::AppState;

/// Liveness: the process answers. No database work, so a slow database never gets a healthy
/// node restarted.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Readiness: the store answers.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ready"}))),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "detail": e.to_string()})),
        ),
    }
}

/// Prometheus text. With a metrics token configured, only for `Authorization: Bearer <it>`:
/// compared as SHA-256 digests in constant time, so neither the content nor the length of
/// the token leaks through timing.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(want) = &state.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .unwrap_or("");
        if given.is_empty() || !secret::eq(&secret::hash(given), want) {
            let mut res = ApiError::unauthorized(
                "/metrics needs `Authorization: Bearer <the metrics token>`",
            )
            .into_response();
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return res;
        }
    }
    let mut text = state.metrics.render(state.store.queue_depth());
    if let Some(commits) = state.store.commit_stats() {
        text.push_str(&crate::telemetry::render_commits(&commits));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
