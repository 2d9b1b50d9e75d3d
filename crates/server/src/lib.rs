//! Tocsin's HTTP server: alert ingestion, the JSON API, health and metrics.
//!
//! The server starts from an already-bound listener and a shutdown future, so tests can bind
//! port 0 and stop it when they like; `main` only parses flags and builds the store.

use std::future::Future;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;

pub mod api;
pub mod auth;
pub mod bootstrap;
pub mod edge;
pub mod engine;
pub mod error;
pub mod health;
pub mod heartbeats;
pub mod ingest;
pub mod json;
pub mod keys;
pub mod limits;
pub mod logsafe;
pub mod noise_cache;
pub mod notify;
pub mod passwords;
pub mod secrets;
pub mod security_headers;
mod serve;
pub mod state;
pub mod telemetry;
pub mod web;

pub use state::AppState;

use crate::error::ApiError;

pub fn router(state: AppState) -> Router {
    let request_timeout = state.limits.config.request_timeout;
    let ingest = Router::new()
        .route("/v1/incidents/{source}/{key}", post(ingest::receive))
        .route("/v2/incidents/{source}/{key}", post(ingest::receive_v2))
        .route("/v2/enqueue", post(ingest::pagerduty::enqueue))
        .route(
            "/v1/heartbeats/{key}",
            post(heartbeats::check_in).get(heartbeats::check_in),
        )
        .route(
            "/v1/incidents/alerta/{key}/alert",
            post(ingest::sender_paths::alerta),
        )
        .route(
            "/v1/incidents/opsgenie2/{key}/{alias}/{action}",
            post(ingest::sender_paths::opsgenie2_recovery),
        )
        .layer(DefaultBodyLimit::max(ingest::MAX_BODY));
    let (api, _) = api::router();
    let spec = api::openapi_json();
    let openapi = get(move || {
        let spec = spec.clone();
        async move {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                spec,
            )
        }
    });
    Router::new()
        .merge(ingest)
        .merge(api)
        .route("/api/v1/openapi.json", openapi)
        .route("/calendar/{file}", get(api::calendar_secret_feed))
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
        .layer(axum::middleware::from_fn_with_state(
            edge::Edge {
                metrics: state.metrics.clone(),
                request_timeout,
            },
            edge::edge,
        ))
        .with_state(state)
}

/// Serve until `shutdown` completes, then finish in-flight requests. The connection limits
/// (header read timeout, maximum connections) come from the state's [`limits::LimitsConfig`].
pub async fn serve(
    listener: TcpListener, state: AppState, shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.limits.config.clone();
    let metrics = state.metrics.clone();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let paging = state.notifier.clone().map(|sender| {
        let engine = engine::Engine {
            store: state.store.clone(),
            sender,
            wake: state.wake.clone(),
            owner: state.node_id.to_string(),
            public_url: state.public_url.clone(),
            noise: state.noise.clone(),
        };
        tokio::spawn(engine.run(stop_rx))
    });
    let shutdown = async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    };
    let served = serve::run(listener, router(state), &limits, metrics, shutdown).await;
    if let Some(task) = paging {
        // The engine stops between rounds; what it had in flight is in the database.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), task).await;
    }
    served
}
