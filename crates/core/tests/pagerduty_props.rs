//! Properties of the PagerDuty Events API v2 decoder and its routing-key read: neither panics
//! whatever the bytes, every refusal is a known code, a body that decodes names its key, and
//! events shaped like PagerDuty's decode back to what was put in. The fuzz corpus and the
//! project's fixtures are replayed here on stable Rust.

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::json;
use tocsin_core::sources::pagerduty::{decode, routing_key};
use tocsin_core::{Action, Severity, SourceKind};

const CODES: &[&str] = &[
    "empty_body",
    "invalid_utf8",
    "invalid_json",
    "invalid_field",
    "missing_field",
];

fn check_any(bytes: &[u8]) {
    let key = routing_key(bytes);
    if let Err(err) = &key {
        assert!(CODES.contains(&err.code), "unknown code {}", err.code);
    }
    match decode(bytes) {
        Ok(e) => {
            assert!(key.is_ok(), "a decoded event names its key");
            assert_eq!(e.source, SourceKind::PagerDuty);
            assert!(!e.dedup_key.is_empty() && e.dedup_key.chars().count() <= 255);
            assert!(e.tags.contains_key("severity"));
            assert_eq!(e.raw.as_bytes(), bytes);
        }
        Err(err) => {
            assert!(CODES.contains(&err.code), "unknown code {}", err.code);
            assert!(!err.detail.is_empty());
        }
    }
}

fn time() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4_102_444_800, 0u32..1_000_000_000)
        .prop_map(|(s, ns)| Utc.timestamp_opt(s, ns).single().unwrap_or_default())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check_any(&bytes);
    }

    #[test]
    fn never_panics_on_json_like_text(text in r#"[{}\[\]":, 0-9a-zA-Z.eE+\-\\_]{0,300}"#) {
        check_any(text.as_bytes());
    }

    #[test]
    fn never_panics_on_wrong_field_types(
        field in prop_oneof![Just("routing_key"), Just("event_action"), Just("dedup_key"),
            Just("payload"), Just("images"), Just("client")],
        inner in prop_oneof![Just("summary"), Just("source"), Just("severity"), Just("timestamp"),
            Just("custom_details"), Just("class")],
        nested in any::<bool>(),
        value in prop_oneof![
            Just(json!(null)), any::<bool>().prop_map(|b| json!(b)), any::<i64>().prop_map(|n| json!(n)),
            ".{0,20}".prop_map(|s| json!(s)), Just(json!([])), Just(json!({})),
        ],
    ) {
        let mut body = json!({"routing_key": "k", "event_action": "trigger", "dedup_key": "d",
            "payload": {"summary": "s", "source": "h", "severity": "warning"}});
        if nested { body["payload"][inner] = value } else { body[field] = value }
        check_any(body.to_string().as_bytes());
    }

    /// Events shaped like PagerDuty's decode to what was put in.
    #[test]
    fn valid_events_round_trip(
        dedup in "[^\u{0}]{1,60}",
        summary in "[^\u{0}]*[^\u{0}\\s][^\u{0}]{0,40}",
        source in "[a-z0-9.-]{1,20}",
        severity in prop_oneof![Just("critical"), Just("error"), Just("warning"), Just("info")],
        action in prop_oneof![Just("trigger"), Just("acknowledge"), Just("resolve")],
        at in time(),
    ) {
        let text = json!({
            "routing_key": "k", "event_action": action, "dedup_key": dedup,
            "payload": {"summary": summary, "source": source, "severity": severity,
                "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)},
        }).to_string();
        let e = decode(text.as_bytes()).expect("a valid event decodes");
        prop_assert_eq!(&e.dedup_key, &dedup);
        prop_assert_eq!(routing_key(text.as_bytes()), Ok("k".to_owned()));
        let want = match (action, severity) {
            ("acknowledge", _) => Action::Acknowledge,
            ("resolve", _) => Action::Resolve,
            (_, "warning") => Action::Trigger(Severity::Warning),
            (_, "info") => Action::Trigger(Severity::Info),
            _ => Action::Trigger(Severity::Critical),
        };
        prop_assert_eq!(e.action, want);
        prop_assert_eq!(&e.title, &summary);
        prop_assert_eq!(e.occurred_at, Some(at));
        prop_assert_eq!(e.tags.get("source"), Some(&source));
    }
}

#[test]
fn fuzz_corpus_and_fixtures_replay() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("../../fuzz/corpus/pagerduty_decode");
    let mut n = 0;
    for entry in std::fs::read_dir(&corpus).expect("the fuzz corpus is in the repository") {
        check_any(&std::fs::read(entry.expect("entry").path()).expect("read"));
        n += 1;
    }
    assert!(n >= 10, "only {n} corpus inputs in {}", corpus.display());
    for entry in std::fs::read_dir(root.join("testdata/pagerduty")).expect("fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|x| x == "json") {
            let text = std::fs::read_to_string(&path).expect("read");
            let bytes = text.replace("ROUTING_KEY", "k").into_bytes();
            check_any(&bytes);
            assert!(decode(&bytes).is_ok(), "{} decodes", path.display());
        }
    }
}
