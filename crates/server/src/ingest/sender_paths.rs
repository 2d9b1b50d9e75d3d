//! The paths Kapacitor's `alerta` and `opsgenie2` handlers add below the URL a user
//! configures (our webhook URL), so those handlers work unchanged with only `url` set.
//!
//! - alerta posts to `<url>/alert` and treats anything but 201 as a failure: 201.
//! - opsgenie2 posts a new alert to `<url>` itself (the common route, 202, which it expects)
//!   and a recovery to `<url>/<alias>/<close|notes>?identifierType=alias`: both resolve the
//!   alert keyed by that alias (see `tocsin_core::sources::opsgenie2`).
//!
//! Both go through [`ingest::ingest`], so keys, limits, commits and metrics are the webhook's.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use tocsin_core::sources::opsgenie2;
use tocsin_core::{DecodeError, SourceKind};

use crate::error::ApiError;
use crate::ingest::{self, Accepted};
use crate::state::AppState;

/// `POST /v1/incidents/alerta/{key}/alert`: Kapacitor's alerta handler.
pub async fn alerta(
    State(state): State<AppState>, Path(key): Path<String>, body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let source = SourceKind::Alerta;
    let done = ingest::ingest(&state, source, Some(&key), body, |b| source.decode(b)).await?;
    Ok((StatusCode::CREATED, Json(done.outcome.into())))
}

#[derive(Deserialize)]
pub struct RecoveryQuery {
    #[serde(default, rename = "identifierType")]
    identifier_type: Option<String>,
}

/// `POST /v1/incidents/opsgenie2/{key}/{alias}/{action}`: Kapacitor's opsgenie2 recovery.
pub async fn opsgenie2_recovery(
    State(state): State<AppState>, Path((key, alias, action)): Path<(String, String, String)>,
    query: Result<Query<RecoveryQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    if action != "close" && action != "notes" {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_action",
            format!(
                "no opsgenie2 action {action:?}; Kapacitor's recovery actions are close and notes"
            ),
        ));
    }
    // A bad query is refused like a bad body (after the key, counted under the source).
    let identifier = query.map(|q| q.0.identifier_type);
    let done = ingest::ingest(&state, SourceKind::Opsgenie2, Some(&key), body, |b| {
        match identifier {
            Err(e) => return Err(DecodeError::new("invalid_query", e.body_text())),
            Ok(Some(other)) if other != "alias" => {
                return Err(DecodeError::new(
                    "invalid_query",
                    format!("identifierType {other:?} is not supported: alerts are found by alias (identifierType=alias)"),
                ))
            }
            Ok(_) => {}
        }
        opsgenie2::decode_recovery(&alias, b)
    })
    .await?;
    Ok((StatusCode::ACCEPTED, Json(done.outcome.into())))
}
