//! Alert sources: who can send alerts, and how their bodies become [`AlertEvent`]s.
//!
//! Adding a source is one decoder module and one arm in [`SourceKind`]; the ingest path,
//! the catalogue and the state machine are shared.

use serde::{Deserialize, Serialize};

use crate::alert::AlertEvent;

pub mod alerta;
pub mod grafana;
pub mod kapacitor;
pub mod opsgenie2;
pub mod prometheus;
mod text;

/// Why a body was refused. `code` is stable for clients; `detail` names the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct DecodeError {
    pub code: &'static str,
    pub detail: String,
}

impl DecodeError {
    pub fn new(code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
        }
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Kapacitor,
    /// Prometheus Alertmanager's webhook receiver.
    Prometheus,
    /// Grafana's unified alerting webhook contact point.
    Grafana,
    /// Kapacitor's `alerta` handler (Alerta's alert API).
    Alerta,
    /// Kapacitor's `opsgenie2` handler (OpsGenie's alert API v2).
    Opsgenie2,
}

impl SourceKind {
    /// Every source, in the order the catalogue lists them.
    pub const ALL: &'static [SourceKind] = &[
        SourceKind::Kapacitor,
        SourceKind::Prometheus,
        SourceKind::Grafana,
        SourceKind::Alerta,
        SourceKind::Opsgenie2,
    ];

    /// The slug used in URLs (`/v1/incidents/<slug>/<key>`) and in the store.
    pub fn slug(self) -> &'static str {
        match self {
            SourceKind::Kapacitor => "kapacitor",
            SourceKind::Prometheus => "prometheus",
            SourceKind::Grafana => "grafana",
            SourceKind::Alerta => "alerta",
            SourceKind::Opsgenie2 => "opsgenie2",
        }
    }

    /// The name a person searches the catalogue for.
    pub fn display_name(self) -> &'static str {
        match self {
            SourceKind::Kapacitor => "Kapacitor",
            SourceKind::Prometheus => "Prometheus Alertmanager",
            SourceKind::Grafana => "Grafana",
            // Not "Kapacitor …": these are the Alerta and OpsGenie APIs, which other senders
            // speak too; the guides say they are for Kapacitor's handlers.
            SourceKind::Alerta => "Alerta API",
            SourceKind::Opsgenie2 => "OpsGenie API v2",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.slug() == slug)
    }

    /// The ingestion path below the public URL, in Squadcast's shape so that moving off
    /// Squadcast only changes the host. Every source here uses `/v1/incidents/<slug>/<key>`;
    /// Kapacitor's alerta and opsgenie2 handlers append their own paths to it (`/alert`;
    /// `/<alias>/close`), which the server routes too.
    pub fn webhook_path(self, api_key: &str) -> String {
        format!("/v1/incidents/{}/{api_key}", self.slug())
    }

    /// Every alert of one body, in order; one bad alert refuses the whole body.
    pub fn decode(self, body: &[u8]) -> Result<Vec<AlertEvent>, DecodeError> {
        match self {
            SourceKind::Kapacitor => kapacitor::decode(body).map(|e| vec![e]),
            SourceKind::Prometheus => prometheus::decode(body),
            SourceKind::Grafana => grafana::decode(body),
            SourceKind::Alerta => alerta::decode(body),
            SourceKind::Opsgenie2 => opsgenie2::decode(body),
        }
    }

    /// A realistic alert body for the "send test alert" button, in this source's own format,
    /// so the test exercises the same decoder as real traffic.
    pub fn sample_body(
        self, dedup_key: &str, level: &str, at: chrono::DateTime<chrono::Utc>,
    ) -> String {
        match self {
            SourceKind::Kapacitor => kapacitor::sample_body(dedup_key, level, at),
            SourceKind::Prometheus => prometheus::sample_body(dedup_key, level, at),
            SourceKind::Grafana => grafana::sample_body(dedup_key, level, at),
            SourceKind::Alerta => alerta::sample_body(dedup_key, level, at),
            SourceKind::Opsgenie2 => opsgenie2::sample_body(dedup_key, level, at),
        }
    }

    /// The sample body decoded the way the sender's request would be: through the same
    /// decoder as real traffic (an opsgenie2 recovery goes to its own path, keyed by alias).
    pub fn sample_events(
        self, dedup_key: &str, level: &str, at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<AlertEvent>, DecodeError> {
        let body = self.sample_body(dedup_key, level, at);
        match self {
            SourceKind::Opsgenie2 if level == "OK" => {
                opsgenie2::decode_recovery(dedup_key, body.as_bytes())
            }
            _ => self.decode(body.as_bytes()),
        }
    }
}

/// Reads a JSON body into `T`, naming the field when a type is wrong. The one JSON decoder of
/// outside input: alert bodies and every API body (the server's `ApiJson`), so both refuse the
/// same things with the same codes: `empty_body`, `invalid_utf8`, `invalid_json` (not JSON,
/// not an object, trailing data), `missing_field`, `invalid_field` (a wrong type or value, or
/// a field the body may not have).
pub fn parse_json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, DecodeError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(DecodeError::new(
            "empty_body",
            "the request body is empty; expected a JSON object",
        ));
    }
    let text = std::str::from_utf8(body).map_err(|e| {
        DecodeError::new(
            "invalid_utf8",
            format!("the body is not valid UTF-8 (at byte {})", e.valid_up_to()),
        )
    })?;
    if !text.trim_start().starts_with('{') {
        let err = serde_json::from_str::<serde::de::IgnoredAny>(text).err();
        return Err(match err {
            Some(e) => DecodeError::new("invalid_json", format!("the body is not valid JSON: {e}")),
            None => DecodeError::new("invalid_json", "the body must be a JSON object"),
        });
    }
    // Well-formed bodies, nearly all of them, take serde's plain path; tracking the path of
    // every field cost a third of decoding, so it is only paid to explain a refusal.
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        let (code, detail) = match inner.classify() {
            serde_json::error::Category::Data if msg.starts_with("missing field") => {
                ("missing_field", msg)
            }
            serde_json::error::Category::Data if path != "." => {
                ("invalid_field", format!("field `{path}`: {msg}"))
            }
            // A body type that denies unknown fields: the error names the field.
            serde_json::error::Category::Data if msg.starts_with("unknown field") => {
                ("invalid_field", msg)
            }
            serde_json::error::Category::Data => (
                "invalid_json",
                format!("the body must be a JSON object: {msg}"),
            ),
            _ => ("invalid_json", format!("the body is not valid JSON: {msg}")),
        };
        DecodeError::new(code, detail)
    })?;
    de.end().map_err(|e| {
        DecodeError::new(
            "invalid_json",
            format!("trailing data after the JSON value: {e}"),
        )
    })?;
    Ok(value)
}
