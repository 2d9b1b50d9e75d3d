//! Request extractors whose refusals are [`ApiError`]s: JSON bodies, query strings and typed
//! path ids.
//!
//! Every JSON body, the API's and the alert sources', goes through one decoder,
//! [`tocsin_core::sources::parse_json`], so they refuse the same things with the same codes:
//! `empty_body`, `invalid_utf8`, `invalid_json` (not JSON, not an object, trailing data after
//! the value), `missing_field` and `invalid_field` (naming the field: a wrong type or value,
//! or an unknown one). Bodies are read whatever their content type says (senders are not
//! always careful with it). A body that cannot be read at all is `payload_too_large` (413) or
//! `unreadable_body`.

use axum::body::Bytes;
use axum::extract::path::ErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Decode one JSON body: the one helper every body extractor uses.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    Ok(tocsin_core::sources::parse_json(body)?)
}

/// A JSON object body, decoded by [`decode`].
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(body_rejection)?;
        decode(&bytes).map(Self)
    }
}

/// A JSON body that may be left out entirely (then `T::default()`); otherwise as [`ApiJson`].
pub struct OptionalJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(body_rejection)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        decode(&bytes).map(Self)
    }
}

/// The body could not be read: too large, or the connection failed.
pub fn body_rejection(e: axum::extract::rejection::BytesRejection) -> ApiError {
    let status = e.status();
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            status,
            "payload_too_large",
            format!("the body is larger than the limit: {e}"),
        )
    } else {
        ApiError::new(
            status,
            "unreadable_body",
            format!("the body could not be read: {e}"),
        )
    }
}

/// Query-string extractor whose refusals are JSON [`ApiError`]s.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))
    }
}

/// Typed ids from the path (`ApiPath<IncidentId>`, `ApiPath<(TeamId, UserId)>`): parsed once
/// here, so a handler only ever sees an id of the right kind. A malformed one, or an id of
/// another kind, is 400 `invalid_id` naming the expected prefix. Plain `String` segments (an
/// alert source's slug) pass through.
///
/// The OpenAPI description of the parameters stays in each handler's `#[utoipa::path]`.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| Self(v))
            .map_err(path_rejection)
    }
}

fn path_rejection(e: PathRejection) -> ApiError {
    match e {
        PathRejection::FailedToDeserializePathParams(e) => match e.into_kind() {
            // Our ids' own message: "invalid incident id \"…\": expected inc_<ulid>".
            ErrorKind::Message(detail)
            | ErrorKind::DeserializeError {
                message: detail, ..
            } => ApiError::bad_request("invalid_id", detail),
            kind @ (ErrorKind::WrongNumberOfParameters { .. }
            | ErrorKind::UnsupportedType { .. }) => {
                ApiError::internal("path parameters do not fit the handler", kind)
            }
            kind => ApiError::bad_request("invalid_id", kind.to_string()),
        },
        other => ApiError::internal("path parameters", other),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use serde::Deserialize;
    use tocsin_core::{IncidentId, TeamId, UserId};

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Body {
        name: String,
        #[serde(default)]
        n: u32,
    }

    fn refused(body: &str) -> (StatusCode, &'static str, String) {
        match decode::<Body>(body.as_bytes()) {
            Ok(b) => panic!("{body:?} was taken as {b:?}"),
            Err(e) => (e.status, e.code, e.detail),
        }
    }

    #[test]
    fn bodies_are_refused_with_the_decoders_codes() {
        let ok: Body = decode(br#" {"name": "a", "n": 2} "#).expect("good body");
        assert_eq!(
            ok,
            Body {
                name: "a".into(),
                n: 2
            }
        );
        for (body, code, mentions) in [
            // Trailing data: the old ApiJson took the first value and ignored the rest.
            (r#"{"name": "a"} {"name": "b"}"#, "invalid_json", "trailing"),
            (r#"{"name": "a"}x"#, "invalid_json", "trailing"),
            ("", "empty_body", "empty"),
            (" \n", "empty_body", "empty"),
            ("[1]", "invalid_json", "object"),
            ("null", "invalid_json", "JSON"),
            (r#"{"name": "a""#, "invalid_json", "JSON"),
            (r#"{}"#, "missing_field", "name"),
            (r#"{"name": 5}"#, "invalid_field", "name"),
            (r#"{"name": "a", "n": -1}"#, "invalid_field", "n"),
            (r#"{"name": "a", "extra": 1}"#, "invalid_field", "extra"),
        ] {
            let (status, got, detail) = refused(body);
            assert_eq!(
                (status, got),
                (StatusCode::BAD_REQUEST, code),
                "{body:?}: {detail}"
            );
            assert!(
                detail.contains(mentions),
                "{body:?}: {detail:?} should name {mentions:?}"
            );
        }
        let (_, code, _) = match decode::<Body>(b"{\"name\": \"\xff\"}") {
            Ok(_) => panic!("invalid UTF-8 taken"),
            Err(e) => (e.status, e.code, e.detail),
        };
        assert_eq!(code, "invalid_utf8");
    }

    async fn path<T: DeserializeOwned + Send + 'static>(
        template: &str, uri: &str,
    ) -> Result<T, (StatusCode, &'static str, String)> {
        use tower::ServiceExt;
        let (tx, rx) = std::sync::mpsc::channel();
        let app = axum::Router::new().route(
            template,
            axum::routing::get(move |p: Result<ApiPath<T>, ApiError>| {
                let _ = tx.send(
                    p.map(|ApiPath(v)| v)
                        .map_err(|e| (e.status, e.code, e.detail)),
                );
                async {}
            }),
        );
        let req = Request::builder()
            .uri(uri)
            .body(axum::body::Body::empty())
            .expect("req");
        app.oneshot(req).await.expect("routed");
        rx.recv().expect("handler ran")
    }

    #[tokio::test]
    async fn path_ids_are_typed_or_refused_as_invalid_id() {
        let inc = IncidentId::new();
        assert_eq!(
            path::<IncidentId>("/i/{id}", &format!("/i/{inc}")).await,
            Ok(inc)
        );
        let (team, user) = (TeamId::new(), UserId::new());
        assert_eq!(
            path::<(TeamId, UserId)>("/t/{id}/m/{user}", &format!("/t/{team}/m/{user}")).await,
            Ok((team, user))
        );
        // Another kind's id, and no id at all.
        for uri in [format!("/i/{team}"), "/i/inc_nope".to_owned()] {
            let (status, code, detail) = path::<IncidentId>("/i/{id}", &uri)
                .await
                .expect_err("refused");
            assert_eq!(
                (status, code),
                (StatusCode::BAD_REQUEST, "invalid_id"),
                "{uri}"
            );
            assert!(detail.contains("inc_"), "{detail}");
        }
        let (_, code, detail) =
            path::<(TeamId, UserId)>("/t/{id}/m/{user}", &format!("/t/{team}/m/{team}"))
                .await
                .expect_err("refused");
        assert_eq!(code, "invalid_id");
        assert!(detail.contains("usr_"), "{detail}");
    }
}
