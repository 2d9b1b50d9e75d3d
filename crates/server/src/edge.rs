//! What every request goes through, in one middleware: the declared-size check, the request
//! timeout, the security headers and the log line.
//!
//! One layer instead of four: each `from_fn` layer boxed the rest of the request's future and
//! cloned the service under it per request, and this path runs for every alert. Its state is
//! two fields, not the whole [`AppState`](crate::AppState), so a request clones one `Arc` here.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::telemetry::Metrics;
use crate::{ingest, security_headers, telemetry};

#[derive(Clone)]
pub struct Edge {
    pub metrics: Arc<Metrics>,
    /// A request, body reading included, gets this long to finish.
    pub request_timeout: Duration,
}

/// The middleware, outermost on the router.
pub async fn edge(State(edge): State<Edge>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let uri = req.uri().clone();
    // Every route, not only ingest: no request body we take is near the limit, and a declared
    // huge one is refused before a byte of it is read.
    let mut res = match ingest::declared_oversize(&edge.metrics, &req) {
        Some(refusal) => refusal,
        None => within(edge.request_timeout, req, next).await,
    };
    close_if_unread(&mut res);
    security_headers::apply(&mut res);
    telemetry::log_served(&method, uri.path(), res.status(), started);
    res
}

/// A refusal for size (413) or time (408) leaves the rest of the body unread, so the connection
/// cannot carry another request and the server drops it after answering. Saying so lets the
/// client open a fresh one for its next request instead of reusing this one and losing that
/// request to a closed socket (a pooled client's next alert would fail).
fn close_if_unread(res: &mut Response) {
    if matches!(
        res.status(),
        StatusCode::PAYLOAD_TOO_LARGE | StatusCode::REQUEST_TIMEOUT
    ) {
        res.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
}

/// A request, body reading included, gets `limit` to finish; then the client hears 408 and the
/// connection's resources are freed. An alert already queued for commit may still be stored.
async fn within(limit: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!(
                "the request did not finish within {} s (a body sent too slowly?)",
                limit.as_secs_f64()
            ),
        )
        .into_response(),
    }
}
