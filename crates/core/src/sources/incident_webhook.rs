//! Squadcast's generic "Incident Webhook" (its API alert source), so that scripts written for
//! Squadcast move by changing the host: `POST /v2/incidents/api/<service key>` with
//! `{message, description, tags, priority, status, event_id}`.
//!
//! Rules, from Squadcast's documentation where it has one:
//! - dedup key = `event_id`; `status` is `trigger` (the default, as Squadcast treats a body
//!   without one) or `resolve`;
//! - `message` is required to trigger (Squadcast names `message` and `description` mandatory,
//!   but accepts a trigger without a description; so do we, and a resolve needs neither);
//! - without `event_id` (Squadcast does not require it) a trigger is its own incident: it gets
//!   a fresh dedup key, so it never joins nor is resolved by anything else — which is what
//!   Squadcast does with such an event; a resolve without `event_id` names nothing and is
//!   refused (`missing_field`), rather than answered 2xx and silently dropped;
//! - `tags` are `{name: value}` or `{name: {color, value}}`; the colour is for Squadcast's
//!   UI and dropped here (the raw body keeps it);
//! - `priority` `P1`…`P5` becomes the severity (P1–P2 critical, P3 warning, P4–P5 info; none:
//!   critical, since Squadcast pages for every trigger) and a `priority` tag;
//! - bodies over 30 KiB are refused 413 by the ingest route ([`MAX_BODY`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::text::{fresh_dedup_key, no_nul, truncate};
use super::{parse_json, DecodeError, SourceKind};
use crate::alert::{Action, AlertEvent, Severity};

/// Squadcast's own limit on an Incident Webhook body ("30KB", answered 413 above it).
pub const MAX_BODY: usize = 30 * 1024;

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    tags: Option<BTreeMap<String, TagValue>>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    event_id: Option<EventIdValue>,
}

/// `"value"` or `{"color": "#hex", "value": "value"}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum TagValue {
    Plain(Scalar),
    Coloured {
        value: Scalar,
        #[serde(default)]
        #[allow(dead_code)]
        color: Option<String>,
    },
}

/// Scripts write numbers and booleans as tag values and event ids too; they are kept as text.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Number(serde_json::Number),
    Bool(bool),
}

impl Scalar {
    fn into_text(self) -> String {
        match self {
            Scalar::Text(s) => s,
            Scalar::Number(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum EventIdValue {
    Text(String),
    Number(serde_json::Number),
}

const PRIORITIES: &str = "P1, P2, P3, P4, P5";

pub fn decode(body: &[u8]) -> Result<AlertEvent, DecodeError> {
    let parsed: Body = parse_json(body).map_err(explain_tags)?;
    let status = parsed.status.as_deref().map(str::trim).unwrap_or("trigger");
    let resolves = match status.to_ascii_lowercase().as_str() {
        "trigger" => false,
        "resolve" => true,
        _ => {
            return Err(DecodeError::new(
                "invalid_field",
                format!(
                    "field `status`: {:?} is neither \"trigger\" nor \"resolve\"",
                    truncate(status, 64)
                ),
            ))
        }
    };
    let event_id = match parsed.event_id {
        Some(EventIdValue::Text(s)) => no_nul(s),
        Some(EventIdValue::Number(n)) => n.to_string(),
        None => String::new(),
    };
    let priority = match parsed.priority.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => Some(p.to_ascii_uppercase()),
    };
    let severity = match priority.as_deref() {
        None | Some("P1") | Some("P2") => Severity::Critical,
        Some("P3") => Severity::Warning,
        Some("P4") | Some("P5") => Severity::Info,
        Some(other) => {
            return Err(DecodeError::new(
                "invalid_field",
                format!(
                    "field `priority`: unknown priority {:?}; expected one of {PRIORITIES}",
                    truncate(other, 64)
                ),
            ))
        }
    };
    let message = parsed.message.map(no_nul).unwrap_or_default();
    let (action, dedup_key) = if resolves {
        if event_id.is_empty() {
            return Err(DecodeError::new(
                "missing_field",
                "field `event_id`: a resolve must name the event_id of the alert it resolves",
            ));
        }
        (Action::Resolve, event_id)
    } else {
        if message.trim().is_empty() {
            return Err(DecodeError::new(
                "missing_field",
                "field `message`: a trigger needs a message (the incident's title)",
            ));
        }
        let key = if event_id.is_empty() {
            fresh_dedup_key()
        } else {
            event_id
        };
        (Action::Trigger(severity), key)
    };

    let mut tags = BTreeMap::new();
    for (k, v) in parsed.tags.unwrap_or_default() {
        let value = match v {
            TagValue::Plain(s) | TagValue::Coloured { value: s, .. } => s.into_text(),
        };
        tags.insert(no_nul(k), no_nul(value));
    }
    if let Some(p) = &priority {
        tags.insert("priority".to_owned(), p.clone());
    }
    let title = if message.trim().is_empty() {
        dedup_key.clone()
    } else {
        message
    };
    Ok(AlertEvent {
        source: SourceKind::IncidentWebhook,
        dedup_key,
        action,
        level: if resolves {
            "resolve".to_owned()
        } else {
            priority.unwrap_or_else(|| "trigger".to_owned())
        },
        title,
        description: parsed.description.map(no_nul).unwrap_or_default(),
        tags,
        occurred_at: None,
        raw: String::from_utf8_lossy(body).into_owned(),
    })
}

/// serde's untagged enums say only "did not match any variant": say what a tag may be.
fn explain_tags(e: DecodeError) -> DecodeError {
    if e.code == "invalid_field" && e.detail.starts_with("field `tags.") {
        let field = e.detail.split('`').nth(1).unwrap_or("tags");
        return DecodeError::new(
            "invalid_field",
            format!(
                "field `{field}`: a tag is a text (or number) value or {{\"color\": …, \"value\": …}}"
            ),
        );
    }
    if e.code == "invalid_field" && e.detail.starts_with("field `event_id`") {
        return DecodeError::new(
            "invalid_field",
            "field `event_id`: must be a string (or a number)",
        );
    }
    e
}

/// A body as a script written for Squadcast posts it: `level` CRITICAL triggers, OK resolves.
pub fn sample_body(event_id: &str, level: &str, _at: DateTime<Utc>) -> String {
    let body = if level == "OK" {
        serde_json::json!({"status": "resolve", "event_id": event_id})
    } else {
        serde_json::json!({
            "message": format!("{event_id} is failing"),
            "description": "Test alert sent from Tocsin to check this alert source.",
            "tags": {"host": "tocsin", "source": {"color": "#0C93E3", "value": "test"}},
            "priority": "P1",
            "status": "trigger",
            "event_id": event_id,
        })
    };
    body.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_maps_message_tags_and_priority() {
        let body = br##"{"message":"disk full","description":"on db1","tags":{"host":"db1","team":{"color":"#ff0000","value":"storage"},"shard":3},"priority":"P3","status":"trigger","event_id":"disk-db1"}"##;
        let e = decode(body).expect("decodes");
        assert_eq!(e.source, SourceKind::IncidentWebhook);
        assert_eq!(e.action, Action::Trigger(Severity::Warning));
        assert_eq!(
            (e.dedup_key.as_str(), e.title.as_str()),
            ("disk-db1", "disk full")
        );
        assert_eq!(e.description, "on db1");
        assert_eq!(e.level, "P3");
        let tag = |k: &str| e.tags.get(k).map(String::as_str);
        assert_eq!(
            (tag("host"), tag("team"), tag("shard"), tag("priority")),
            (Some("db1"), Some("storage"), Some("3"), Some("P3"))
        );
        assert_eq!(e.raw.as_bytes(), body);
    }

    #[test]
    fn defaults_and_resolve() {
        let e = decode(br#"{"message":"m","event_id":6}"#).expect("decodes");
        assert_eq!(
            (e.action, e.dedup_key.as_str()),
            (Action::Trigger(Severity::Critical), "6")
        );
        let r = decode(br#"{"status":"resolve","event_id":"6"}"#).expect("decodes");
        assert_eq!(
            (r.action, r.dedup_key.as_str(), r.level.as_str()),
            (Action::Resolve, "6", "resolve")
        );
    }

    #[test]
    fn a_trigger_without_event_id_is_its_own_incident() {
        let a = decode(br#"{"message":"m"}"#).expect("decodes");
        let b = decode(br#"{"message":"m","event_id":""}"#).expect("decodes");
        assert!(!a.dedup_key.is_empty());
        assert_ne!(a.dedup_key, b.dedup_key);
    }

    #[test]
    fn refusals_name_the_problem() {
        let cases: &[(&[u8], &str, &str)] = &[
            (b"", "empty_body", "empty"),
            (b"[]", "invalid_json", "object"),
            (
                br#"{"description":"d","event_id":"1"}"#,
                "missing_field",
                "message",
            ),
            (
                br#"{"message":"  ","event_id":"1"}"#,
                "missing_field",
                "message",
            ),
            (br#"{"status":"resolve"}"#, "missing_field", "event_id"),
            (
                br#"{"message":"m","status":"open"}"#,
                "invalid_field",
                "status",
            ),
            (
                br#"{"message":"m","priority":"P9"}"#,
                "invalid_field",
                "priority",
            ),
            (
                br#"{"message":"m","tags":{"a":[1]}}"#,
                "invalid_field",
                "tags.a",
            ),
            (br#"{"message":"m","tags":[]}"#, "invalid_field", "tags"),
            (
                br#"{"message":"m","event_id":{}}"#,
                "invalid_field",
                "event_id",
            ),
            (br#"{"message":5}"#, "invalid_field", "message"),
            (br#"{"message":"m"} x"#, "invalid_json", "trailing"),
        ];
        crate::sources::assert_refused(decode, cases);
    }

    #[test]
    fn sample_bodies_trigger_then_resolve() {
        let t = decode(sample_body("k", "CRITICAL", Utc::now()).as_bytes()).expect("decodes");
        let r = decode(sample_body("k", "OK", Utc::now()).as_bytes()).expect("decodes");
        assert_eq!(
            (t.action, r.action),
            (Action::Trigger(Severity::Critical), Action::Resolve)
        );
        assert_eq!((t.dedup_key.as_str(), r.dedup_key.as_str()), ("k", "k"));
    }
}
