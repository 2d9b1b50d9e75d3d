//! The one error type handlers return. It becomes a status and a stable JSON body
//! `{"code", "detail"}`; server faults are logged with context and shown to the caller only as
//! an opaque "internal".

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tocsin_core::DecodeError;
use tocsin_store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    /// Sent as `Retry-After` (whole seconds, rounded up); 503s without one say 1 s.
    pub retry_after: Option<std::time::Duration>,
}

/// Every refusal's body, in the API description.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable, for programs: `not_found`, `forbidden`, `invalid_json`, `missing_field`,
    /// `invalid_field`, `invalid_id`, `invalid_query`, `internal`, …
    pub code: String,
    /// For people.
    pub detail: String,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    detail: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            retry_after: None,
        }
    }

    pub fn with_retry_after(mut self, wait: std::time::Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// A fault on our side: 500 `internal`. What went wrong is logged here, with `context`
    /// saying where; the caller learns nothing of it (it may name tables, paths or values).
    pub fn internal(context: &'static str, error: impl std::fmt::Display) -> Self {
        tracing::error!(
            context,
            error = error_text(&error.to_string()),
            "internal error"
        );
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }
}

impl From<DecodeError> for ApiError {
    fn from(e: DecodeError) -> Self {
        Self::bad_request(e.code, e.detail)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::not_found(what),
            StoreError::Conflict(detail) => Self::new(StatusCode::CONFLICT, "conflict", detail),
            StoreError::Refused(r) => Self::new(StatusCode::CONFLICT, r.code(), r.to_string()),
            // A value in the body names something that is not there: bad input, as a field
            // of the wrong type is.
            invalid @ StoreError::Invalid { .. } => {
                Self::bad_request("invalid_field", invalid.to_string())
            }
            StoreError::Overloaded => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "overloaded",
                "too many alerts are waiting to be stored; retry shortly",
            ),
            StoreError::Unavailable(msg) => {
                tracing::error!(error = error_text(&msg), "store unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the database is unavailable; nothing was stored",
                )
            }
            StoreError::Other(msg) => Self::internal("store", msg),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (
            self.status,
            axum::Json(Body {
                code: self.code,
                detail: &self.detail,
            }),
        )
            .into_response();
        if let Some(wait) = self.retry_after {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        } else if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        res
    }
}

/// A store error for the log: database messages can quote values a client sent.
fn error_text(msg: &str) -> String {
    crate::logsafe::escape_up_to(msg, crate::logsafe::MAX_LOGGED_ERROR_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(e: ApiError) -> (StatusCode, serde_json::Value) {
        let res = e.into_response();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .expect("body");
        (status, serde_json::from_slice(&bytes).expect("json"))
    }

    #[tokio::test]
    async fn internal_faults_are_opaque_500s() {
        let secret = "relation \"incidents\" at /var/lib/tocsin/db: key=abc123";
        for e in [
            ApiError::internal("test", secret),
            ApiError::from(StoreError::Other(secret.to_owned())),
        ] {
            let (status, b) = body(e).await;
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
            assert_eq!(
                b,
                serde_json::json!({"code": "internal", "detail": "internal error"})
            );
        }
    }

    #[tokio::test]
    async fn store_errors_map_once() {
        for (e, status, code) in [
            (StoreError::NotFound("incident"), 404, "not_found"),
            (StoreError::Conflict("taken".into()), 409, "conflict"),
            (
                StoreError::Invalid {
                    field: "steps[0].targets[1]".into(),
                    detail: "there is no user".into(),
                },
                400,
                "invalid_field",
            ),
            (StoreError::Overloaded, 503, "overloaded"),
            (
                StoreError::Unavailable("down".into()),
                503,
                "store_unavailable",
            ),
        ] {
            let (got, b) = body(e.into()).await;
            assert_eq!(
                (got.as_u16(), b["code"].as_str()),
                (status, Some(code)),
                "{b}"
            );
        }
    }
}
