//! Liveness, readiness and metrics.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

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

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = state.metrics.render(state.store.queue_depth());
    if let Some(commits) = state.store.commit_stats() {
        text.push_str(&crate::telemetry::render_commits(&commits));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
