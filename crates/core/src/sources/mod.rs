//! Alert sources: who can send alerts, and how their bodies become [`AlertEvent`]s.
//!
//! Adding a source is one decoder module and one arm in [`SourceKind`]; the ingest path,
//! the catalogue and the state machine are shared.

use serde::{Deserialize, Serialize};

use crate::alert::AlertEvent;

pub mod alerta;
pub mod grafana;
pub mod incident_webhook;
pub mod kapacitor;
pub mod opsgenie2;
pub mod pagerduty;
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
    /// Squadcast's generic "Incident Webhook" (its `api` source; the slug is Squadcast's).
    #[serde(rename = "api")]
    IncidentWebhook,
    /// PagerDuty's Events API v2.
    PagerDuty,
    /// Prometheus Alertmanager's webhook receiver.
    Prometheus,
    /// Grafana's unified alerting webhook contact point.
    Grafana,
    /// Kapacitor's `alerta` handler (Alerta's alert API).
    Alerta,
    /// Kapacitor's `opsgenie2` handler (OpsGenie's alert API v2).
    Opsgenie2,
    /// A heartbeat that stopped checking in (`crate::heartbeat`). Tocsin makes these alerts
    /// itself, so it is no sender's source: it is not in [`SourceKind::ALL`] (not in the
    /// catalogue, the picker or the guides), [`SourceKind::from_slug`] does not know it (no
    /// webhook route takes it) and its decoder refuses every body. It is a source all the
    /// same so that its incidents go through the one ingest plan and say where they came from.
    Heartbeat,
}

/// Where a source's alerts arrive. Most sources take the key in the URL; PagerDuty's clients
/// post to one fixed URL with the key in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/v1/incidents/<slug>/<key>` (Squadcast's v1 shape). Kapacitor's alerta and opsgenie2
    /// handlers append their own paths to it (`/alert`; `/<alias>/close`), which the server
    /// routes too.
    V1Incidents,
    /// `/v2/incidents/<slug>/<key>` (Squadcast's v2 shape).
    V2Incidents,
    /// `/v2/enqueue`, key = the body's `routing_key` (PagerDuty's Events API v2).
    Enqueue,
}

impl SourceKind {
    /// Every source, in the order the catalogue lists them.
    pub const ALL: &'static [SourceKind] = &[
        SourceKind::Kapacitor,
        SourceKind::IncidentWebhook,
        SourceKind::PagerDuty,
        SourceKind::Prometheus,
        SourceKind::Grafana,
        SourceKind::Alerta,
        SourceKind::Opsgenie2,
    ];

    /// The slug used in URLs (`/v1/incidents/<slug>/<key>`), in the store and as the metrics
    /// label.
    pub fn slug(self) -> &'static str {
        match self {
            SourceKind::Kapacitor => "kapacitor",
            SourceKind::IncidentWebhook => "api",
            SourceKind::PagerDuty => "pagerduty",
            SourceKind::Prometheus => "prometheus",
            SourceKind::Grafana => "grafana",
            SourceKind::Alerta => "alerta",
            SourceKind::Opsgenie2 => "opsgenie2",
            SourceKind::Heartbeat => "heartbeat",
        }
    }

    /// The name a person searches the catalogue for.
    pub fn display_name(self) -> &'static str {
        match self {
            SourceKind::Kapacitor => "Kapacitor",
            SourceKind::IncidentWebhook => "Incident Webhook",
            SourceKind::PagerDuty => "PagerDuty Events API v2",
            SourceKind::Prometheus => "Prometheus Alertmanager",
            SourceKind::Grafana => "Grafana",
            // Not "Kapacitor …": these are the Alerta and OpsGenie APIs, which other senders
            // speak too; the guides say they are for Kapacitor's handlers.
            SourceKind::Alerta => "Alerta API",
            SourceKind::Opsgenie2 => "OpsGenie API v2",
            SourceKind::Heartbeat => "Heartbeat",
        }
    }

    /// A source senders may name (routes, the catalogue): never [`SourceKind::Heartbeat`].
    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.slug() == slug)
    }

    /// Any source a stored incident or event may name, Tocsin's own included: for reading
    /// rows back, not for routing.
    pub fn from_stored_slug(slug: &str) -> Option<Self> {
        Self::from_slug(slug).or((slug == "heartbeat").then_some(SourceKind::Heartbeat))
    }

    /// Where this source's alerts arrive, in the shape its senders already use (Squadcast's,
    /// PagerDuty's), so that moving to Tocsin only changes the host.
    pub fn endpoint(self) -> Endpoint {
        match self {
            SourceKind::Kapacitor
            | SourceKind::Prometheus
            | SourceKind::Grafana
            | SourceKind::Alerta
            | SourceKind::Opsgenie2
            // Never routed: `from_slug` does not know it, so no request reaches it.
            | SourceKind::Heartbeat => Endpoint::V1Incidents,
            SourceKind::IncidentWebhook => Endpoint::V2Incidents,
            SourceKind::PagerDuty => Endpoint::Enqueue,
        }
    }

    /// The ingestion path below the public URL. For [`Endpoint::Enqueue`] it holds no key:
    /// the key travels in the body (`routing_key`).
    pub fn webhook_path(self, api_key: &str) -> String {
        match self.endpoint() {
            Endpoint::V1Incidents => format!("/v1/incidents/{}/{api_key}", self.slug()),
            Endpoint::V2Incidents => format!("/v2/incidents/{}/{api_key}", self.slug()),
            Endpoint::Enqueue => "/v2/enqueue".to_owned(),
        }
    }

    /// The source whose alerts a request path carries, if any (for counting refusals made
    /// before routing, such as a declared oversize body). A sender's own path below the
    /// webhook path (alerta's `/alert`, opsgenie2's `/<alias>/close`) is the same source.
    pub fn from_path(path: &str) -> Option<Self> {
        if path == "/v2/enqueue" {
            return Some(SourceKind::PagerDuty);
        }
        let (endpoint, rest) = if let Some(rest) = path.strip_prefix("/v1/incidents/") {
            (Endpoint::V1Incidents, rest)
        } else {
            (Endpoint::V2Incidents, path.strip_prefix("/v2/incidents/")?)
        };
        let kind = Self::from_slug(rest.split('/').next()?)?;
        (kind.endpoint() == endpoint).then_some(kind)
    }

    /// The largest body this source takes; the router's own limit (256 KiB) caps them all.
    /// Squadcast refuses Incident Webhook bodies over 30 KB, so Tocsin does too: a script
    /// that works here works there.
    pub fn max_body(self) -> usize {
        match self {
            SourceKind::IncidentWebhook => incident_webhook::MAX_BODY,
            SourceKind::Kapacitor
            | SourceKind::PagerDuty
            | SourceKind::Prometheus
            | SourceKind::Grafana
            | SourceKind::Alerta
            | SourceKind::Opsgenie2
            | SourceKind::Heartbeat => 256 * 1024,
        }
    }

    /// The service key a body names, for sources whose key travels in the body
    /// ([`Endpoint::Enqueue`]); read before the body is decoded, because the key decides which
    /// service and whose rate limit apply.
    pub fn key_in_body(self, body: &[u8]) -> Result<String, DecodeError> {
        match self.endpoint() {
            Endpoint::Enqueue => pagerduty::routing_key(body),
            Endpoint::V1Incidents | Endpoint::V2Incidents => Err(DecodeError::new(
                "unknown_key",
                format!("{} takes its key in the URL", self.display_name()),
            )),
        }
    }

    /// Every alert of one body, in order; one bad alert refuses the whole body.
    pub fn decode(self, body: &[u8]) -> Result<Vec<AlertEvent>, DecodeError> {
        match self {
            SourceKind::Kapacitor => kapacitor::decode(body).map(|e| vec![e]),
            SourceKind::IncidentWebhook => incident_webhook::decode(body).map(|e| vec![e]),
            SourceKind::PagerDuty => pagerduty::decode(body).map(|e| vec![e]),
            SourceKind::Prometheus => prometheus::decode(body),
            SourceKind::Grafana => grafana::decode(body),
            SourceKind::Alerta => alerta::decode(body),
            SourceKind::Opsgenie2 => opsgenie2::decode(body),
            SourceKind::Heartbeat => Err(DecodeError::new(
                "unknown_source",
                "heartbeat alerts are made by Tocsin; check in at /v1/heartbeats/<key>",
            )),
        }
    }

    /// A realistic alert body for the "send test alert" button, in this source's own format,
    /// so the test exercises the same decoder as real traffic.
    pub fn sample_body(
        self, dedup_key: &str, level: &str, at: chrono::DateTime<chrono::Utc>,
    ) -> String {
        match self {
            SourceKind::Kapacitor => kapacitor::sample_body(dedup_key, level, at),
            SourceKind::IncidentWebhook => incident_webhook::sample_body(dedup_key, level, at),
            SourceKind::PagerDuty => pagerduty::sample_body(dedup_key, level, at),
            SourceKind::Prometheus => prometheus::sample_body(dedup_key, level, at),
            SourceKind::Grafana => grafana::sample_body(dedup_key, level, at),
            SourceKind::Alerta => alerta::sample_body(dedup_key, level, at),
            SourceKind::Opsgenie2 => opsgenie2::sample_body(dedup_key, level, at),
            // No sender's format: the test button lists only `ALL`.
            SourceKind::Heartbeat => "{}".to_owned(),
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

/// Test helper for every decoder's bad-input table: each `(body, code, needle)` is refused with
/// that code and a detail naming `needle` (the field or the problem).
#[cfg(test)]
pub(crate) fn assert_refused<T: std::fmt::Debug>(
    decode: impl Fn(&[u8]) -> Result<T, DecodeError>, cases: &[(&[u8], &str, &str)],
) {
    for (input, code, needle) in cases {
        let err = decode(input).expect_err("must be refused");
        assert_eq!(err.code, *code, "{err}");
        assert!(
            err.detail.contains(needle),
            "{:?} should mention {needle}",
            err.detail
        );
    }
}
