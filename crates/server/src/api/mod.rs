//! The JSON API under `/api/v1`. One module per resource, each with its own router.

use axum::Router;

use crate::error::ApiError;
use crate::state::AppState;

mod alert_sources;
mod incidents;
mod services;
mod teams;

pub use alert_sources::{catalogue, AlertSourceView};
pub use incidents::{page, ListParams};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(teams::router())
        .merge(services::router())
        .merge(alert_sources::router())
        .merge(incidents::router())
}

/// Parse a typed id from a path segment, refusing other kinds with a clear 400.
pub fn parse_id<T: std::str::FromStr<Err = tocsin_core::ids::InvalidId>>(
    s: &str,
) -> Result<T, ApiError> {
    s.parse::<T>()
        .map_err(|e| ApiError::bad_request("invalid_id", e.to_string()))
}

/// A name for a team or service: trimmed, 1–100 characters, no control characters.
pub(crate) fn parse_name(field: &str, s: &str) -> Result<String, ApiError> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > 100 || s.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "invalid_field",
            format!("field `{field}`: must be 1–100 characters without control characters"),
        ));
    }
    Ok(s.to_owned())
}
