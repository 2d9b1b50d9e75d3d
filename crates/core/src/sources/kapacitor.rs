//! InfluxData Kapacitor's alert `post` handler (and `[[httppost]]` endpoints).
//!
//! The body is the JSON encoding of Kapacitor's `alert.Data`. We keep the mapping small and
//! explicit: dedup key = `id`, `level` OK resolves, INFO/WARNING/CRITICAL trigger with that
//! severity. A zero alert (empty id, level OK) is what Kapacitor's own "service test" sends,
//! so it is a connectivity test, never a decode error.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::text::{no_nul, optional_time, truncate};
use super::{parse_json, DecodeError, SourceKind};
use crate::alert::{Action, AlertEvent, Severity};

#[derive(Deserialize)]
struct Body {
    id: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    time: Option<String>,
    /// Nanoseconds in a non-OK state. Only validated as a number: we do not use it, and
    /// a huge value must not make a real alert fail.
    #[serde(default)]
    #[allow(dead_code)]
    duration: Option<serde_json::Number>,
    level: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default, rename = "previousLevel")]
    #[allow(dead_code)]
    previous_level: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    recoverable: Option<bool>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    series: Option<Vec<Series>>,
}

#[derive(Deserialize)]
struct Series {
    #[serde(default)]
    tags: Option<BTreeMap<String, String>>,
}

const LEVELS: &str = "OK, INFO, WARNING, CRITICAL";

pub fn decode(body: &[u8]) -> Result<AlertEvent, DecodeError> {
    let mut parsed: Body = parse_json(body)?;
    // NUL cannot be stored on PostgreSQL: see `no_nul`.
    parsed.id = no_nul(parsed.id);
    parsed.message = parsed.message.map(no_nul);
    parsed.details = parsed.details.map(no_nul);
    let level = parsed.level.trim().to_ascii_uppercase();
    let action = match level.as_str() {
        "OK" if parsed.id.is_empty() => Action::Test,
        "OK" => Action::Resolve,
        "INFO" => Action::Trigger(Severity::Info),
        "WARNING" => Action::Trigger(Severity::Warning),
        "CRITICAL" => Action::Trigger(Severity::Critical),
        _ => {
            return Err(DecodeError::new(
                "unknown_level",
                format!(
                    "field `level`: unknown level {:?}; expected one of {LEVELS}",
                    truncate(&parsed.level, 64)
                ),
            ))
        }
    };
    if parsed.id.is_empty() && action != Action::Test {
        return Err(DecodeError::new(
            "invalid_field",
            "field `id`: must not be empty for a triggering alert (it is the dedup key)",
        ));
    }
    let occurred_at = optional_time("time", parsed.time.as_deref())?;

    let mut tags: BTreeMap<String, String> = BTreeMap::new();
    for series in parsed.data.and_then(|d| d.series).unwrap_or_default() {
        for (k, v) in series.tags.unwrap_or_default() {
            merge_tag(&mut tags, no_nul(k), no_nul(v));
        }
    }
    tags.insert("level".to_owned(), level.clone());

    let message = parsed.message.unwrap_or_default();
    let title = if message.trim().is_empty() {
        if parsed.id.is_empty() {
            "Kapacitor connectivity test".to_owned()
        } else {
            parsed.id.clone()
        }
    } else {
        message
    };
    let raw = String::from_utf8_lossy(body).into_owned();
    Ok(AlertEvent {
        source: SourceKind::Kapacitor,
        dedup_key: parsed.id,
        action,
        level,
        title,
        description: unescape_html(&parsed.details.unwrap_or_default()),
        tags,
        occurred_at,
        raw,
    })
}

/// Several series may carry different values for one tag (a batch alert over several hosts):
/// keep them all, comma-separated, rather than silently keeping one.
fn merge_tag(tags: &mut BTreeMap<String, String>, k: String, v: String) {
    match tags.get_mut(&k) {
        None => {
            tags.insert(k, v);
        }
        Some(existing) => {
            if !existing.split(',').any(|e| e == v) {
                existing.push(',');
                existing.push_str(&v);
            }
        }
    }
}

/// Kapacitor renders `details` through Go's `html/template`, so its default (`{{ json . }}`)
/// arrives as `{&#34;Name&#34;:…}`. People read the description, so it gets the characters
/// back; the raw payload keeps the body exactly as sent.
fn unescape_html(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    s.replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// A body shaped exactly like Kapacitor's default `post` handler output.
pub fn sample_body(id: &str, level: &str, at: DateTime<Utc>) -> String {
    let time = at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    let body = serde_json::json!({
        "id": id,
        "message": format!("{id} is {level}"),
        "details": "Test alert sent from Tocsin to check this alert source.",
        "time": time,
        "duration": 0,
        "level": level,
        "data": {"series": [{
            "name": "tocsin_test",
            "tags": {"host": "tocsin", "source": "test"},
            "columns": ["time", "value"],
            "values": [[time, 1]]
        }]},
        "previousLevel": "OK",
        "recoverable": true
    });
    format!("{body}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(level: &str, id: &str) -> String {
        format!(
            r#"{{"id":"{id}","message":"m","details":"d","time":"2026-11-23T09:59:50.123456789Z","duration":0,"level":"{level}","data":{{"series":[{{"name":"cpu","tags":{{"host":"a","cpu":"cpu-total"}},"columns":["time","v"],"values":[["2026-11-23T09:59:50Z",1]]}},{{"name":"cpu","tags":{{"host":"b"}}}}]}},"previousLevel":"OK","recoverable":true}}"#
        )
    }

    #[test]
    fn maps_levels_tags_and_time() {
        let e = decode(body("CRITICAL", "cpu:host=a,").as_bytes()).expect("decodes");
        assert_eq!(e.action, Action::Trigger(Severity::Critical));
        assert_eq!(e.dedup_key, "cpu:host=a,");
        assert_eq!(e.tags.get("host").map(String::as_str), Some("a,b"));
        assert_eq!(e.tags.get("level").map(String::as_str), Some("CRITICAL"));
        assert_eq!(
            e.occurred_at.map(|t| t.timestamp_subsec_nanos()),
            Some(123_456_789)
        );
        assert_eq!(
            decode(body("OK", "x").as_bytes()).map(|e| e.action),
            Ok(Action::Resolve)
        );
        assert_eq!(
            decode(body("WARNING", "x").as_bytes()).map(|e| e.action),
            Ok(Action::Trigger(Severity::Warning))
        );
    }

    #[test]
    fn html_escaped_details_become_readable() {
        let body = br#"{"id":"a","level":"CRITICAL","details":"{\u0026#34;Name\u0026#34;:\u0026#34;cpu\u0026#34;,\u0026#34;Tags\u0026#34;:{}} \u0026amp; \u0026lt;b\u0026gt;"}"#;
        let e = decode(body).expect("decodes");
        assert_eq!(e.description, r#"{"Name":"cpu","Tags":{}} & <b>"#);
        assert!(
            e.raw.contains(r#"\u0026#34;Name"#),
            "the raw body is kept as sent"
        );
    }

    #[test]
    fn nul_characters_are_replaced_not_refused() {
        let body = br#"{"id":"a\u0000b","level":"CRITICAL","message":"m\u0000","data":{"series":[{"tags":{"h\u0000":"v\u0000"}}]}}"#;
        let e = decode(body).expect("decodes");
        assert_eq!(e.dedup_key, "a\u{FFFD}b");
        assert_eq!(e.title, "m\u{FFFD}");
        assert_eq!(
            e.tags.get("h\u{FFFD}").map(String::as_str),
            Some("v\u{FFFD}")
        );
    }

    #[test]
    fn zero_alert_is_a_test() {
        let zero = br#"{"id":"","message":"","details":"","time":"0001-01-01T00:00:00Z","duration":0,"level":"OK","data":{"series":null},"previousLevel":"OK","recoverable":false}"#;
        let e = decode(zero).expect("zero alert decodes");
        assert_eq!(e.action, Action::Test);
        assert_eq!(e.occurred_at, None);
    }

    #[test]
    fn refusals_name_the_problem() {
        let cases: &[(&[u8], &str, &str)] = &[
            (b"", "empty_body", "empty"),
            (b"{", "invalid_json", "JSON"),
            (b"\xff\xfe", "invalid_utf8", "UTF-8"),
            (br#"{"id":"a"}"#, "missing_field", "level"),
            (br#"{"id":5,"level":"OK"}"#, "invalid_field", "id"),
            (br#"{"id":"a","level":"PANIC"}"#, "unknown_level", "PANIC"),
            (br#"{"id":"","level":"CRITICAL"}"#, "invalid_field", "id"),
            (
                br#"{"id":"a","level":"OK","time":"yesterday"}"#,
                "invalid_field",
                "time",
            ),
            (
                br#"{"id":"a","level":"OK","data":{"series":[{"tags":{"h":1}}]}}"#,
                "invalid_field",
                "data.series[0].tags.h",
            ),
            (b"[1,2]", "invalid_json", "object"),
            (br#"{"id":"a","level":"OK"} {}"#, "invalid_json", "trailing"),
        ];
        crate::sources::assert_refused(decode, cases);
    }

    #[test]
    fn sample_body_round_trips() {
        let at = Utc::now();
        let e = decode(sample_body("tocsin-test", "CRITICAL", at).as_bytes()).expect("decodes");
        assert_eq!(e.action, Action::Trigger(Severity::Critical));
        assert_eq!(e.dedup_key, "tocsin-test");
    }
}
