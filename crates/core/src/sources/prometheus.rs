//! Prometheus Alertmanager's webhook receiver (`webhook_configs`, payload version 4), alert
//! source `prometheus`. Grafana's unified alerting posts the same shape plus a few fields
//! ([`super::grafana`]), so the group rules live here once.
//!
//! One notification carries a group of alerts; each alert is its own incident:
//! - dedup key: the alert's `fingerprint` (a hash of its label set, so the same alert keeps
//!   its key across notifications). Without one, the label set itself in Prometheus's own
//!   notation (`{alertname="X", instance="y"}`), which is what the fingerprint hashes; an alert
//!   with neither is refused.
//! - `status: firing` triggers, `resolved` resolves; severity from the `severity` label
//!   (critical when absent or unknown: an alert someone routed here is meant to page).
//! - title `annotations.summary`, else `labels.alertname`; description
//!   `annotations.description`; the labels are the tags.
//! - each event keeps the body as a group of one (the group's fields and this alert), so a
//!   group of N alerts does not store the whole body N times.
//!
//! A body is decoded whole before anything is stored: one bad alert refuses the notification
//! and nothing of it is kept.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::text::{no_nul, optional_time, truncate};
use super::{parse_json, DecodeError, SourceKind};
use crate::alert::{Action, AlertEvent, Severity};

/// The notification: only what we read is typed; everything else is kept in the raw body.
#[derive(Deserialize)]
pub(super) struct Group {
    pub(super) alerts: Vec<Alert>,
}

#[derive(Deserialize)]
pub(super) struct Alert {
    pub(super) status: String,
    #[serde(default)]
    pub(super) labels: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) annotations: BTreeMap<String, String>,
    #[serde(default, rename = "startsAt")]
    pub(super) starts_at: Option<String>,
    #[serde(default, rename = "endsAt")]
    pub(super) ends_at: Option<String>,
    #[serde(default)]
    pub(super) fingerprint: Option<String>,
}

pub fn decode(body: &[u8]) -> Result<Vec<AlertEvent>, DecodeError> {
    decode_group(SourceKind::Prometheus, body, |_| None)
}

/// Decode an Alertmanager-shaped group for `source`. `test` may say that an alert is the
/// sender's connectivity test (Grafana's "Test" button) rather than an alert.
pub(super) fn decode_group(
    source: SourceKind, body: &[u8], test: impl Fn(&Alert) -> Option<String>,
) -> Result<Vec<AlertEvent>, DecodeError> {
    let group: Group = parse_json(body)?;
    if group.alerts.is_empty() {
        return Err(DecodeError::new(
            "invalid_field",
            "field `alerts`: holds no alert; expected at least one",
        ));
    }
    let raws = raw_per_alert(body, group.alerts.len())?;
    group
        .alerts
        .into_iter()
        .zip(raws)
        .enumerate()
        .map(|(i, (alert, raw))| {
            let test_title = test(&alert);
            one(source, i, alert, raw, test_title)
        })
        .collect()
}

fn one(
    source: SourceKind, i: usize, alert: Alert, raw: String, test_title: Option<String>,
) -> Result<AlertEvent, DecodeError> {
    let status = alert.status.trim().to_ascii_lowercase();
    let labels: BTreeMap<String, String> = alert
        .labels
        .into_iter()
        .map(|(k, v)| (no_nul(k), no_nul(v)))
        .collect();
    let mut annotations = alert.annotations;
    let action = match status.as_str() {
        _ if test_title.is_some() => Action::Test,
        "firing" => Action::Trigger(severity(labels.get("severity").map(String::as_str))),
        "resolved" => Action::Resolve,
        _ => {
            return Err(DecodeError::new(
                "unknown_status",
                format!(
                    "field `alerts[{i}].status`: unknown status {:?}; expected firing or resolved",
                    truncate(&alert.status, 64)
                ),
            ))
        }
    };
    let dedup_key = match alert.fingerprint.as_deref().map(str::trim) {
        Some(f) if !f.is_empty() => no_nul(f.to_owned()),
        _ if labels.is_empty() => {
            return Err(DecodeError::new(
                "missing_field",
                format!(
                    "field `alerts[{i}].fingerprint`: the alert has neither a fingerprint nor labels, so nothing identifies it"
                ),
            ))
        }
        _ => label_set(&labels),
    };
    let starts_at = optional_time(&format!("alerts[{i}].startsAt"), alert.starts_at.as_deref())?;
    let ends_at = optional_time(&format!("alerts[{i}].endsAt"), alert.ends_at.as_deref())?;
    let occurred_at = match action {
        Action::Resolve => ends_at.or(starts_at),
        _ => starts_at,
    };
    let summary = annotations
        .remove("summary")
        .map(no_nul)
        .filter(|s| !s.trim().is_empty());
    let title = test_title
        .or(summary)
        .or_else(|| {
            labels
                .get("alertname")
                .filter(|n| !n.trim().is_empty())
                .cloned()
        })
        .unwrap_or_else(|| dedup_key.clone());
    let description = annotations
        .remove("description")
        .map(no_nul)
        .unwrap_or_default();
    Ok(AlertEvent {
        source,
        dedup_key,
        action,
        level: status.to_ascii_uppercase(),
        title,
        description,
        tags: labels,
        occurred_at,
        raw,
    })
}

/// The `severity` label, read the way Alertmanager users write it.
fn severity(label: Option<&str>) -> Severity {
    match label.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("warning" | "warn" | "medium" | "minor") => Severity::Warning,
        Some("info" | "informational" | "low" | "notice" | "debug" | "none") => Severity::Info,
        _ => Severity::Critical,
    }
}

/// A label set in Prometheus's notation, sorted by name (the map is ordered).
fn label_set(labels: &BTreeMap<String, String>) -> String {
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| {
            let v = v
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{k}=\"{v}\"")
        })
        .collect();
    format!("{{{}}}", inner.join(", "))
}

/// Each alert's event keeps the notification as a group of one: every field of the body, with
/// `alerts` holding only that alert.
fn raw_per_alert(body: &[u8], n: usize) -> Result<Vec<String>, DecodeError> {
    let mut value: serde_json::Value = parse_json(body)?;
    let alerts = value
        .get_mut("alerts")
        .map(serde_json::Value::take)
        .and_then(|a| match a {
            serde_json::Value::Array(a) => Some(a),
            _ => None,
        })
        .filter(|a| a.len() == n)
        .ok_or_else(|| DecodeError::new("invalid_field", "field `alerts`: must be an array"))?;
    if n == 1 {
        return Ok(vec![String::from_utf8_lossy(body).into_owned()]);
    }
    Ok(alerts
        .into_iter()
        .map(|alert| {
            let mut one = value.clone();
            one["alerts"] = serde_json::Value::Array(vec![alert]);
            one.to_string()
        })
        .collect())
}

/// A body shaped like Alertmanager's own webhook notification, one alert.
pub fn sample_body(dedup_key: &str, level: &str, at: DateTime<Utc>) -> String {
    sample_group(dedup_key, level, at, serde_json::Map::new())
}

/// The sample group, with `extra` top-level fields (Grafana's).
pub(super) fn sample_group(
    dedup_key: &str, level: &str, at: DateTime<Utc>,
    extra: serde_json::Map<String, serde_json::Value>,
) -> String {
    let resolved = level.eq_ignore_ascii_case("OK");
    let status = if resolved { "resolved" } else { "firing" };
    let time = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let labels = serde_json::json!({
        "alertname": "TocsinTest", "instance": "tocsin", "severity": "critical"
    });
    let mut body = serde_json::json!({
        "receiver": "tocsin",
        "status": status,
        "alerts": [{
            "status": status,
            "labels": labels,
            "annotations": {
                "summary": format!("Tocsin test alert ({status})"),
                "description": "Test alert sent from Tocsin to check this alert source."
            },
            "startsAt": time,
            "endsAt": if resolved { time.clone() } else { "0001-01-01T00:00:00Z".to_owned() },
            "generatorURL": "",
            "fingerprint": dedup_key
        }],
        "groupLabels": {"alertname": "TocsinTest"},
        "commonLabels": labels,
        "commonAnnotations": {},
        "externalURL": "",
        "version": "4",
        "groupKey": "{}:{alertname=\"TocsinTest\"}",
        "truncatedAlerts": 0
    });
    if let Some(obj) = body.as_object_mut() {
        obj.extend(extra);
    }
    format!("{body}\n")
}

#[cfg(test)]
mod tests;
