//! Kapacitor's `alerta` handler (and any sender of Alerta's `POST /alert`), alert source
//! `alerta`. Kapacitor posts to `<url>/alert`, so the URL a user configures is our webhook
//! URL and the handler adds `/alert` (both paths are accepted).
//!
//! The body is Alerta's alert: `resource`, `event`, `environment`, `severity`, `group`,
//! `value`, `text`, `origin`, `service[]`, `correlate[]`, `timeout`, `tags` (`"k=v"` strings),
//! `rawData` (Kapacitor's query result). Alerta identifies an alert by environment, resource
//! and event, so the dedup key is `environment/resource/event` (Kapacitor's defaults make
//! resource the task's alert name and event the alert id). Severity `ok`/`normal`/`cleared`
//! resolves; `security`/`critical`/`major` are critical, `minor`/`warning` warning, the rest
//! (`informational`, `indeterminate`, `debug`, …) info. Kapacitor's own service test
//! (`testResource`/`testEvent`, "test alerta message") is a connectivity test.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::text::{no_nul, truncate};
use super::{parse_json, DecodeError, SourceKind};
use crate::alert::{Action, AlertEvent, Severity};

#[derive(Deserialize)]
struct Body {
    resource: String,
    event: String,
    #[serde(default)]
    environment: Option<String>,
    severity: String,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    origin: Option<String>,
    #[serde(default)]
    service: Option<Vec<String>>,
    #[serde(default)]
    tags: Option<Vec<String>>,
}

const SEVERITIES: &str = "security, critical, major, minor, warning, informational, \
    indeterminate, debug, trace, unknown, ok, normal, cleared";

pub fn decode(body: &[u8]) -> Result<Vec<AlertEvent>, DecodeError> {
    let b: Body = parse_json(body)?;
    let resource = no_nul(b.resource);
    let event = no_nul(b.event);
    for (field, value) in [("resource", &resource), ("event", &event)] {
        if value.trim().is_empty() {
            return Err(DecodeError::new(
                "invalid_field",
                format!(
                    "field `{field}`: must not be empty (resource and event identify the alert)"
                ),
            ));
        }
    }
    let severity = b.severity.trim().to_ascii_lowercase();
    let text = b.text.map(no_nul).unwrap_or_default();
    let is_test =
        resource == "testResource" && event == "testEvent" && text == "test alerta message";
    let action = match severity.as_str() {
        _ if is_test => Action::Test,
        "ok" | "normal" | "cleared" => Action::Resolve,
        "security" | "critical" | "major" => Action::Trigger(Severity::Critical),
        "minor" | "warning" => Action::Trigger(Severity::Warning),
        "informational" | "indeterminate" | "debug" | "trace" | "unknown" => {
            Action::Trigger(Severity::Info)
        }
        _ => {
            return Err(DecodeError::new(
                "unknown_severity",
                format!(
                    "field `severity`: unknown severity {:?}; expected one of {SEVERITIES}",
                    truncate(&b.severity, 64)
                ),
            ))
        }
    };
    let environment = b.environment.map(no_nul).unwrap_or_default();
    let mut tags = BTreeMap::new();
    for tag in b.tags.unwrap_or_default() {
        let tag = no_nul(tag);
        match tag.split_once('=') {
            Some((k, v)) => tags.insert(k.to_owned(), v.to_owned()),
            None => tags.insert(tag, String::new()),
        };
    }
    let mut put = |k: &str, v: String| {
        if !v.is_empty() {
            tags.insert(k.to_owned(), v);
        }
    };
    put("environment", environment.clone());
    put("resource", resource.clone());
    put("event", event.clone());
    put("group", b.group.map(no_nul).unwrap_or_default());
    put("origin", b.origin.map(no_nul).unwrap_or_default());
    put("service", b.service.unwrap_or_default().join(","));
    put("severity", severity.clone());
    let dedup_key = format!("{environment}/{resource}/{event}");
    let title = if text.trim().is_empty() {
        format!("{event} on {resource}")
    } else {
        text
    };
    Ok(vec![AlertEvent {
        source: SourceKind::Alerta,
        dedup_key,
        action,
        level: severity,
        title,
        description: b.value.map(no_nul).unwrap_or_default(),
        tags,
        occurred_at: None,
        raw: String::from_utf8_lossy(body).into_owned(),
    }])
}

/// A body shaped like Kapacitor's alerta handler's (default templates), severity from `level`.
pub fn sample_body(dedup_key: &str, level: &str, at: DateTime<Utc>) -> String {
    let severity = match level {
        "OK" => "ok",
        "INFO" => "informational",
        "WARNING" => "warning",
        _ => "critical",
    };
    let time = at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    let body = serde_json::json!({
        "resource": "tocsin_test",
        "event": dedup_key,
        "environment": "",
        "severity": severity,
        "group": "",
        "value": "",
        "text": format!("{dedup_key} is {level}"),
        "origin": "tocsin",
        "rawData": {"series": [{"name": "tocsin_test", "columns": ["time", "value"], "values": [[time, 1]]}]},
        "service": ["tocsin_test"],
        "correlate": ["tocsin_test"],
        "timeout": 86400,
        "tags": ["host=tocsin"]
    });
    format!("{body}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body Kapacitor 1.5.9's alerta handler writes (its key set and Go's encoding:
    /// sorted keys, a trailing newline); values are ours.
    const KAPACITOR: &str = r#"{"correlate":["cpu"],"environment":"production","event":"cpu:host=web-1","group":"","origin":"kapacitor","rawData":{"series":[{"name":"cpu","tags":{"host":"web-1"},"columns":["time","usage_idle"],"values":[["2026-11-30T09:00:00Z",3.5]]}]},"resource":"cpu","service":["cpu"],"severity":"critical","tags":["host=web-1","dc"],"text":"CPU idle under 5% on web-1","timeout":86400,"value":"3.5"}
"#;

    #[test]
    fn maps_kapacitors_body() {
        let e = decode(KAPACITOR.as_bytes()).expect("decodes").remove(0);
        assert_eq!(e.source, SourceKind::Alerta);
        assert_eq!(e.dedup_key, "production/cpu/cpu:host=web-1");
        assert_eq!(e.action, Action::Trigger(Severity::Critical));
        assert_eq!(e.title, "CPU idle under 5% on web-1");
        assert_eq!(e.description, "3.5");
        assert_eq!(e.tags.get("host").map(String::as_str), Some("web-1"));
        assert_eq!(e.tags.get("dc").map(String::as_str), Some(""));
        assert_eq!(
            e.tags.get("environment").map(String::as_str),
            Some("production")
        );
        assert_eq!(e.raw, KAPACITOR);
        let ok = KAPACITOR.replace(r#""severity":"critical""#, r#""severity":"ok""#);
        assert_eq!(
            decode(ok.as_bytes()).expect("decodes")[0].action,
            Action::Resolve
        );
        let info = KAPACITOR.replace(r#""severity":"critical""#, r#""severity":"informational""#);
        assert_eq!(
            decode(info.as_bytes()).expect("decodes")[0].action,
            Action::Trigger(Severity::Info)
        );
    }

    #[test]
    fn kapacitors_service_test_is_a_test() {
        let body = r#"{"correlate":["testServiceX","testServiceY"],"environment":"","event":"testEvent","group":"testGroup","origin":"","rawData":{"series":null},"resource":"testResource","service":["testServiceA","testServiceB"],"severity":"critical","tags":[],"text":"test alerta message","timeout":86400,"value":"testValue"}"#;
        assert_eq!(
            decode(body.as_bytes()).expect("decodes")[0].action,
            Action::Test
        );
    }

    #[test]
    fn refusals_name_the_problem() {
        let cases: &[(&[u8], &str, &str)] = &[
            (b"", "empty_body", "empty"),
            (b"nope", "invalid_json", "JSON"),
            (
                br#"{"event":"e","severity":"ok"}"#,
                "missing_field",
                "resource",
            ),
            (
                br#"{"resource":"r","severity":"ok"}"#,
                "missing_field",
                "event",
            ),
            (
                br#"{"resource":"r","event":"e"}"#,
                "missing_field",
                "severity",
            ),
            (
                br#"{"resource":" ","event":"e","severity":"ok"}"#,
                "invalid_field",
                "resource",
            ),
            (
                br#"{"resource":"r","event":"e","severity":"doom"}"#,
                "unknown_severity",
                "doom",
            ),
            (
                br#"{"resource":"r","event":"e","severity":"ok","tags":{"a":"b"}}"#,
                "invalid_field",
                "tags",
            ),
            (
                br#"{"resource":"r","event":"e","severity":"ok","service":"s"}"#,
                "invalid_field",
                "service",
            ),
        ];
        crate::sources::assert_refused(decode, cases);
    }

    #[test]
    fn sample_body_round_trips() {
        let at = Utc::now();
        let e = decode(sample_body("k", "CRITICAL", at).as_bytes()).expect("decodes");
        assert_eq!(e[0].action, Action::Trigger(Severity::Critical));
        let ok = decode(sample_body("k", "OK", at).as_bytes()).expect("decodes");
        assert_eq!(ok[0].dedup_key, e[0].dedup_key);
        assert_eq!(ok[0].action, Action::Resolve);
    }
}
