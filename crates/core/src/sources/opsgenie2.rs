//! Kapacitor's `opsgenie2` handler (OpsGenie's Alert API v2), alert source `opsgenie2`.
//!
//! Kapacitor posts a new or repeated alert to the configured `url` itself, and a recovery (level
//! OK) to `<url>/<alias>/<close|notes>?identifierType=alias` with only `{"note": …}`, so the
//! alias is the one thing both requests carry: it is the dedup key, as sent (Kapacitor makes it
//! the URL-safe base64 of the alert id; the id itself arrives as `entity` and becomes a tag).
//! A recovery resolves whichever action Kapacitor names: it posts one only when the alert is
//! OK again, and its default `recovery_action` is `notes`. `priority` P1–P2 is critical, P3 (and
//! none, OpsGenie's default) warning, P4–P5 info. Kapacitor's service test
//! (`testEntityID`, "test opsgenie message") is a connectivity test.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::text::{no_nul, truncate};
use super::{parse_json, DecodeError, SourceKind};
use crate::alert::{Action, AlertEvent, Severity};

#[derive(Deserialize)]
struct Create {
    message: String,
    alias: String,
    #[serde(default)]
    entity: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    details: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct Recovery {
    #[serde(default)]
    note: Option<String>,
}

const TEST_ENTITY: &str = "testEntityID";
/// `testEntityID` as Kapacitor's alias (URL-safe base64).
const TEST_ALIAS: &str = "dGVzdEVudGl0eUlE";
const TEST_MESSAGE: &str = "test opsgenie message";

/// A create request (`POST <url>`).
pub fn decode(body: &[u8]) -> Result<Vec<AlertEvent>, DecodeError> {
    let b: Create = parse_json(body)?;
    let alias = no_nul(b.alias);
    if alias.trim().is_empty() {
        return Err(DecodeError::new(
            "invalid_field",
            "field `alias`: must not be empty (it is the dedup key)",
        ));
    }
    let message = no_nul(b.message);
    let entity = b.entity.map(no_nul).unwrap_or_default();
    let priority = b.priority.unwrap_or_default().trim().to_ascii_uppercase();
    let action = match priority.as_str() {
        _ if entity == TEST_ENTITY && message == TEST_MESSAGE => Action::Test,
        "P1" | "P2" => Action::Trigger(Severity::Critical),
        "" | "P3" => Action::Trigger(Severity::Warning),
        "P4" | "P5" => Action::Trigger(Severity::Info),
        _ => {
            return Err(DecodeError::new(
                "unknown_priority",
                format!(
                    "field `priority`: unknown priority {:?}; expected P1, P2, P3, P4 or P5",
                    truncate(&priority, 64)
                ),
            ))
        }
    };
    let mut tags: BTreeMap<String, String> = b
        .details
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (no_nul(k), no_nul(v)))
        .collect();
    if !entity.is_empty() {
        tags.insert("entity".to_owned(), entity);
    }
    let level = if priority.is_empty() {
        "P3".to_owned()
    } else {
        priority
    };
    tags.insert("priority".to_owned(), level.clone());
    let title = if message.trim().is_empty() {
        alias.clone()
    } else {
        message
    };
    Ok(vec![AlertEvent {
        source: SourceKind::Opsgenie2,
        dedup_key: alias,
        action,
        level,
        title,
        description: b.description.map(no_nul).unwrap_or_default(),
        tags,
        occurred_at: None,
        raw: String::from_utf8_lossy(body).into_owned(),
    }])
}

/// A recovery (`POST <url>/<alias>/<close|notes>?identifierType=alias`): resolves `alias`.
pub fn decode_recovery(alias: &str, body: &[u8]) -> Result<Vec<AlertEvent>, DecodeError> {
    let b: Recovery = parse_json(body)?;
    let alias = no_nul(alias.to_owned());
    if alias.trim().is_empty() {
        return Err(DecodeError::new(
            "invalid_field",
            "the alias in the path must not be empty (it is the dedup key)",
        ));
    }
    let note = b.note.map(no_nul).unwrap_or_default();
    let action = if alias == TEST_ALIAS && note == TEST_MESSAGE {
        Action::Test
    } else {
        Action::Resolve
    };
    let title = if note.trim().is_empty() {
        alias.clone()
    } else {
        note
    };
    Ok(vec![AlertEvent {
        source: SourceKind::Opsgenie2,
        dedup_key: alias,
        action,
        level: "RECOVERY".to_owned(),
        title,
        description: String::new(),
        tags: BTreeMap::new(),
        occurred_at: None,
        raw: String::from_utf8_lossy(body).into_owned(),
    }])
}

/// A body shaped like Kapacitor's opsgenie2 create request. A recovery carries only a note
/// and goes to another path, so the sample for `OK` is that note, and the test button sends it
/// through [`decode_recovery`] with `dedup_key` as the alias.
pub fn sample_body(dedup_key: &str, level: &str, at: DateTime<Utc>) -> String {
    if level == "OK" {
        return format!(
            "{}\n",
            serde_json::json!({ "note": format!("{dedup_key} is OK") })
        );
    }
    let priority = match level {
        "INFO" => "P5",
        "WARNING" => "P3",
        _ => "P1",
    };
    let time = at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    let body = serde_json::json!({
        "alias": dedup_key,
        "description": format!("{{\"series\":[{{\"name\":\"tocsin_test\",\"columns\":[\"time\",\"value\"],\"values\":[[\"{time}\",1]]}}]}}"),
        "details": {"Kapacitor Task Name": "tocsin_test", "Level": level, "Monitoring Tool": "Kapacitor", "host": "tocsin"},
        "entity": dedup_key,
        "message": format!("{dedup_key} is {level}"),
        "note": "",
        "priority": priority
    });
    format!("{body}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kapacitor 1.5.9's opsgenie2 create request (its key set; Go's sorted keys and trailing
    /// newline); values are ours. The alias is base64url("cpu:host=web-1").
    const CREATE: &str = r#"{"alias":"Y3B1Omhvc3Q9d2ViLTE=","description":"{\"series\":[]}","details":{"Kapacitor Task Name":"cpu","Level":"CRITICAL","Monitoring Tool":"Kapacitor","host":"web-1"},"entity":"cpu:host=web-1","message":"CPU idle under 5% on web-1","note":"","priority":"P1","responders":[{"name":"ops","type":"team"}]}
"#;

    #[test]
    fn create_then_recovery_share_the_alias() {
        let e = decode(CREATE.as_bytes()).expect("decodes").remove(0);
        assert_eq!(e.source, SourceKind::Opsgenie2);
        assert_eq!(e.dedup_key, "Y3B1Omhvc3Q9d2ViLTE=");
        assert_eq!(e.action, Action::Trigger(Severity::Critical));
        assert_eq!(e.title, "CPU idle under 5% on web-1");
        assert_eq!(
            e.tags.get("entity").map(String::as_str),
            Some("cpu:host=web-1")
        );
        assert_eq!(e.tags.get("host").map(String::as_str), Some("web-1"));
        let r = decode_recovery("Y3B1Omhvc3Q9d2ViLTE=", b"{\"note\":\"CPU ok\"}\n")
            .expect("decodes")
            .remove(0);
        assert_eq!(r.dedup_key, e.dedup_key);
        assert_eq!(r.action, Action::Resolve);
        assert_eq!(r.title, "CPU ok");
        for (p, want) in [("P3", Severity::Warning), ("P5", Severity::Info)] {
            let b = CREATE.replace(r#""priority":"P1""#, &format!(r#""priority":"{p}""#));
            assert_eq!(
                decode(b.as_bytes()).expect("decodes")[0].action,
                Action::Trigger(want)
            );
        }
    }

    #[test]
    fn kapacitors_service_test_is_a_test() {
        let create = r#"{"alias":"dGVzdEVudGl0eUlE","description":"{\"series\":null}","details":{"Level":"CRITICAL","Monitoring Tool":"Kapacitor"},"entity":"testEntityID","message":"test opsgenie message","note":"","priority":"P1"}"#;
        assert_eq!(
            decode(create.as_bytes()).expect("decodes")[0].action,
            Action::Test
        );
        let rec =
            decode_recovery(TEST_ALIAS, br#"{"note":"test opsgenie message"}"#).expect("decodes");
        assert_eq!(rec[0].action, Action::Test);
    }

    #[test]
    fn refusals_name_the_problem() {
        let cases: &[(&[u8], &str, &str)] = &[
            (b"", "empty_body", "empty"),
            (br#"{"alias":"a"}"#, "missing_field", "message"),
            (br#"{"message":"m"}"#, "missing_field", "alias"),
            (br#"{"message":"m","alias":""}"#, "invalid_field", "alias"),
            (
                br#"{"message":"m","alias":"a","priority":"P9"}"#,
                "unknown_priority",
                "P9",
            ),
            (
                br#"{"message":"m","alias":"a","details":{"k":1}}"#,
                "invalid_field",
                "details.k",
            ),
        ];
        crate::sources::assert_refused(decode, cases);
        let err = decode_recovery("a", br#"{"note":5}"#).expect_err("refused");
        assert_eq!(
            (err.code, err.detail.contains("note")),
            ("invalid_field", true)
        );
        let err = decode_recovery("", br#"{}"#).expect_err("refused");
        assert_eq!(err.code, "invalid_field");
    }

    #[test]
    fn sample_body_round_trips() {
        let at = Utc::now();
        let e = decode(sample_body("k", "CRITICAL", at).as_bytes()).expect("decodes");
        assert_eq!(e[0].action, Action::Trigger(Severity::Critical));
        let ok = decode_recovery("k", sample_body("k", "OK", at).as_bytes()).expect("decodes");
        assert_eq!(ok[0].action, Action::Resolve);
    }
}
