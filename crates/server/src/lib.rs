//! Tocsin's HTTP server: alert ingestion, the JSON API, health and metrics.
//!
//! The server starts from an already-bound listener and a shutdown future, so tests can bind
//! port 0 and stop it when they like; `main` only parses flags and builds the store.

use std::future::Future;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use tracing::Span;

pub mod api;
pub mod auth;
pub mod bootstrap;
pub mod error;
pub mod health;
pub mod ingest;
pub mod json;
pub mod keys;
pub mod secrets;
pub mod state;
pub mod telemetry;
pub mod web;

pub use state::AppState;

use crate::error::ApiError;

pub fn router(state: AppState) -> Router {
    let ingest = Router::new()
        .route("/v1/incidents/{source}/{key}", post(ingest::receive))
        .layer(DefaultBodyLimit::max(ingest::MAX_BODY));
    Router::new()
        .merge(ingest)
        .nest("/api/v1", api::router())
        .merge(web::router())
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method",
            )
        })
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    tracing::info_span!(
                        "request",
                        method = %req.method(),
                        path = %telemetry::redact_path(req.uri().path()),
                    )
                })
                .on_request(())
                .on_response(
                    |res: &axum::response::Response, latency: Duration, _span: &Span| {
                        tracing::info!(
                            status = res.status().as_u16(),
                            latency_us = latency.as_micros() as u64,
                            "served"
                        );
                    },
                ),
        )
        .with_state(state)
}

/// Serve until `shutdown` completes, then finish in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
