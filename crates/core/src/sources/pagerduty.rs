//! PagerDuty's Events API v2 (`POST /v2/enqueue`), as Kapacitor's `pagerduty2` handler and
//! every PagerDuty client sends it: `{routing_key, event_action, dedup_key, payload: {summary,
//! source, severity, timestamp, component, group, class, custom_details}, client, client_url,
//! images, links}`.
//!
//! The key is in the body (`routing_key`, a service's webhook key), so the ingest route reads
//! it with [`routing_key`] before anything else and then looks it up exactly as it looks up a
//! key from a URL. Rules, PagerDuty's:
//! - `event_action` `trigger` opens or joins, `acknowledge` acknowledges the open incident
//!   (as a person's acknowledge does), `resolve` resolves it;
//! - dedup key = `dedup_key` (at most 255 characters); a trigger without one gets a fresh key,
//!   returned in the answer; acknowledge and resolve need one;
//! - a trigger needs `payload.summary`, `payload.source` and `payload.severity` (`critical`,
//!   `error`, `warning`, `info`: `error` counts as critical here, Tocsin has three levels);
//! - `payload.timestamp` is ISO 8601 when given.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::text::{fresh_dedup_key, no_nul, truncate};
use super::{parse_json, DecodeError, SourceKind};
use crate::alert::{Action, AlertEvent, Severity};

/// PagerDuty's limit on `dedup_key`.
pub const MAX_DEDUP_KEY: usize = 255;

#[derive(Deserialize)]
struct Body {
    routing_key: String,
    event_action: String,
    #[serde(default)]
    dedup_key: Option<String>,
    /// An object (read into [`Payload`] with its fields' paths), or null/absent.
    #[serde(default)]
    payload: Option<serde_json::Value>,
    #[serde(default)]
    client: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    client_url: Option<String>,
    /// Kapacitor sends `null` for none; only checked to be JSON.
    #[serde(default)]
    #[allow(dead_code)]
    images: Option<serde_json::Value>,
    #[serde(default)]
    #[allow(dead_code)]
    links: Option<serde_json::Value>,
}

#[derive(Deserialize, Default)]
struct Payload {
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    component: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    class: Option<String>,
    #[serde(default)]
    custom_details: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct KeyOnly {
    routing_key: String,
}

/// The service key an event names, read before the event itself is decoded (the key decides
/// whose rate limit and which service apply). Refusals carry the decoder's codes.
pub fn routing_key(body: &[u8]) -> Result<String, DecodeError> {
    let k: KeyOnly = parse_json(body)?;
    if k.routing_key.trim().is_empty() {
        return Err(blank_key());
    }
    Ok(k.routing_key)
}

fn blank_key() -> DecodeError {
    DecodeError::new(
        "missing_field",
        "field `routing_key`: must be the service's key",
    )
}

const SEVERITIES: &str = "critical, error, warning, info";

pub fn decode(body: &[u8]) -> Result<AlertEvent, DecodeError> {
    let parsed: Body = parse_json(body)?;
    if parsed.routing_key.trim().is_empty() {
        return Err(blank_key());
    }
    let action = parsed.event_action.trim().to_ascii_lowercase();
    let payload = payload(parsed.payload)?;
    let dedup_key = parsed.dedup_key.map(no_nul).unwrap_or_default();
    if dedup_key.chars().count() > MAX_DEDUP_KEY {
        return Err(DecodeError::new(
            "invalid_field",
            format!("field `dedup_key`: longer than {MAX_DEDUP_KEY} characters"),
        ));
    }
    let (action, level, dedup_key) = match action.as_str() {
        "trigger" => {
            let required = |v: &Option<String>, name: &str| match v {
                Some(s) if !s.trim().is_empty() => Ok(()),
                _ => Err(DecodeError::new(
                    "missing_field",
                    format!("field `payload.{name}`: required to trigger"),
                )),
            };
            required(&payload.summary, "summary")?;
            required(&payload.source, "source")?;
            required(&payload.severity, "severity")?;
            let given = payload.severity.as_deref().unwrap_or_default().trim();
            let severity = match given.to_ascii_lowercase().as_str() {
                "critical" | "error" => Severity::Critical,
                "warning" => Severity::Warning,
                "info" => Severity::Info,
                _ => {
                    return Err(DecodeError::new(
                        "invalid_field",
                        format!(
                            "field `payload.severity`: unknown severity {:?}; expected one of {SEVERITIES}",
                            truncate(given, 64)
                        ),
                    ))
                }
            };
            let key = if dedup_key.is_empty() {
                fresh_dedup_key()
            } else {
                dedup_key
            };
            (Action::Trigger(severity), given.to_ascii_lowercase(), key)
        }
        "acknowledge" | "resolve" => {
            if dedup_key.is_empty() {
                return Err(DecodeError::new(
                    "missing_field",
                    format!("field `dedup_key`: required to {action}"),
                ));
            }
            let a = if action == "resolve" {
                Action::Resolve
            } else {
                Action::Acknowledge
            };
            (a, action.clone(), dedup_key)
        }
        _ => {
            return Err(DecodeError::new(
                "invalid_field",
                format!(
                    "field `event_action`: {:?} is not one of trigger, acknowledge, resolve",
                    truncate(&parsed.event_action, 64)
                ),
            ))
        }
    };
    let occurred_at = match payload.timestamp.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => Some(
            DateTime::parse_from_rfc3339(t)
                .map_err(|e| {
                    DecodeError::new(
                        "invalid_field",
                        format!("field `payload.timestamp`: not an ISO 8601 time ({e})"),
                    )
                })?
                .with_timezone(&Utc),
        ),
    };

    let mut tags = BTreeMap::new();
    for (name, value) in [
        ("source", payload.source),
        ("component", payload.component),
        ("group", payload.group),
        ("class", payload.class),
        ("client", parsed.client),
    ] {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            tags.insert(name.to_owned(), no_nul(v));
        }
    }
    tags.insert("severity".to_owned(), level.clone());
    let description = match payload.custom_details {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => no_nul(s),
        // Pretty JSON for people; NUL escapes stay escapes in JSON text.
        Some(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
    };
    let title = payload
        .summary
        .map(no_nul)
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| dedup_key.clone());
    Ok(AlertEvent {
        source: SourceKind::PagerDuty,
        dedup_key,
        action,
        level,
        title,
        description,
        tags,
        occurred_at,
        raw: String::from_utf8_lossy(body).into_owned(),
    })
}

/// serde would read a struct from a JSON array too (by position); PagerDuty's payload is an
/// object, so anything else is refused, and a wrong field names its path.
fn payload(v: Option<serde_json::Value>) -> Result<Payload, DecodeError> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(Payload::default()),
        Some(v @ serde_json::Value::Object(_)) => {
            serde_path_to_error::deserialize(v).map_err(|e| {
                DecodeError::new(
                    "invalid_field",
                    format!("field `payload.{}`: {}", e.path(), e.inner()),
                )
            })
        }
        Some(_) => Err(DecodeError::new(
            "invalid_field",
            "field `payload`: must be an object",
        )),
    }
}

/// An event as Kapacitor's `pagerduty2` handler posts it: CRITICAL triggers, OK resolves
/// (with the full payload and severity `info`, as Kapacitor does).
pub fn sample_body(dedup_key: &str, level: &str, at: DateTime<Utc>) -> String {
    let resolves = level == "OK";
    let body = serde_json::json!({
        "routing_key": "the-service-key",
        "event_action": if resolves { "resolve" } else { "trigger" },
        "dedup_key": dedup_key,
        "payload": {
            "summary": format!("{dedup_key} is {level}"),
            "source": "tocsin",
            "severity": if resolves { "info" } else { "critical" },
            "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
            "class": "tocsin_test",
            "component": "",
            "group": "",
            "custom_details": {"result": {"series": [{"name": "tocsin_test", "tags": {"host": "tocsin"}}]}}
        },
        "images": null,
        "links": null,
        "client": "tocsin",
        "client_url": ""
    });
    format!("{body}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_acknowledge_resolve() {
        let t = br#"{"routing_key":"k","event_action":"trigger","dedup_key":"cpu","payload":{"summary":"CPU high","source":"db1","severity":"error","timestamp":"2026-11-23T09:59:50.123456789Z","component":"mysql","group":"prod","class":"load","custom_details":{"load":9}}}"#;
        let e = decode(t).expect("decodes");
        assert_eq!(e.source, SourceKind::PagerDuty);
        assert_eq!(
            (e.action, e.level.as_str()),
            (Action::Trigger(Severity::Critical), "error")
        );
        assert_eq!(
            (e.dedup_key.as_str(), e.title.as_str()),
            ("cpu", "CPU high")
        );
        assert_eq!(e.tags.get("component").map(String::as_str), Some("mysql"));
        assert_eq!(e.tags.get("source").map(String::as_str), Some("db1"));
        assert!(e.description.contains("\"load\": 9"), "{}", e.description);
        assert_eq!(
            e.occurred_at.map(|t| t.timestamp_subsec_nanos()),
            Some(123_456_789)
        );
        let a = decode(br#"{"routing_key":"k","event_action":"acknowledge","dedup_key":"cpu"}"#)
            .expect("decodes");
        assert_eq!(
            (a.action, a.dedup_key.as_str()),
            (Action::Acknowledge, "cpu")
        );
        let r = decode(
            br#"{"routing_key":"k","event_action":"resolve","dedup_key":"cpu","payload":null}"#,
        )
        .expect("decodes");
        assert_eq!(r.action, Action::Resolve);
    }

    #[test]
    fn a_trigger_without_dedup_key_gets_one() {
        let e = decode(br#"{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}}"#)
            .expect("decodes");
        assert_eq!(e.action, Action::Trigger(Severity::Info));
        assert!(!e.dedup_key.is_empty());
    }

    #[test]
    fn routing_key_is_read_first() {
        assert_eq!(
            routing_key(br#"{"routing_key":"abc","x":1}"#),
            Ok("abc".to_owned())
        );
        assert_eq!(
            routing_key(br#"{"event_action":"trigger"}"#).map_err(|e| e.code),
            Err("missing_field")
        );
        assert_eq!(
            routing_key(br#"{"routing_key":" "}"#).map_err(|e| e.code),
            Err("missing_field")
        );
        assert_eq!(
            routing_key(br#"{"routing_key":1}"#).map_err(|e| e.code),
            Err("invalid_field")
        );
    }

    #[test]
    fn refusals_name_the_problem() {
        let long = format!(
            r#"{{"routing_key":"k","event_action":"resolve","dedup_key":"{}"}}"#,
            "x".repeat(256)
        );
        let cases: &[(&[u8], &str, &str)] = &[
            (b"", "empty_body", "empty"),
            (b"{", "invalid_json", "JSON"),
            (br#"{"routing_key":"k"}"#, "missing_field", "event_action"),
            (br#"{"routing_key":"k","event_action":"page"}"#, "invalid_field", "event_action"),
            (br#"{"routing_key":"k","event_action":"trigger"}"#, "missing_field", "payload.summary"),
            (br#"{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","severity":"info"}}"#, "missing_field", "payload.source"),
            (br#"{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h"}}"#, "missing_field", "payload.severity"),
            (br#"{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"fatal"}}"#, "invalid_field", "payload.severity"),
            (br#"{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info","timestamp":"noon"}}"#, "invalid_field", "payload.timestamp"),
            (br#"{"routing_key":"k","event_action":"trigger","payload":{"summary":1}}"#, "invalid_field", "payload.summary"),
            (br#"{"routing_key":"k","event_action":"resolve"}"#, "missing_field", "dedup_key"),
            (br#"{"routing_key":"k","event_action":"trigger","payload":[]}"#, "invalid_field", "payload"),
            (br#"{"routing_key":"k","event_action":"trigger","payload":{"custom_details":1,"summary":[]}}"#, "invalid_field", "payload.summary"),
            (br#"{"routing_key":"k","event_action":"acknowledge","dedup_key":""}"#, "missing_field", "dedup_key"),
            (long.as_bytes(), "invalid_field", "dedup_key"),
        ];
        crate::sources::assert_refused(decode, cases);
    }

    #[test]
    fn sample_bodies_round_trip() {
        let t = decode(sample_body("k", "CRITICAL", Utc::now()).as_bytes()).expect("decodes");
        let r = decode(sample_body("k", "OK", Utc::now()).as_bytes()).expect("decodes");
        assert_eq!(
            (t.action, r.action),
            (Action::Trigger(Severity::Critical), Action::Resolve)
        );
        assert_eq!(
            routing_key(sample_body("k", "OK", Utc::now()).as_bytes()).map(|_| ()),
            Ok(())
        );
    }
}
