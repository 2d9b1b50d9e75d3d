//! Properties of the Incident Webhook decoder (Squadcast's generic source): it never panics
//! whatever the bytes, every refusal is a known code, and every body shaped like Squadcast's
//! decodes back to what was put in. The fuzz corpus and the project's fixtures are replayed
//! here, so inputs the fuzzer keeps stay checked on stable Rust.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use serde_json::json;
use tocsin_core::sources::incident_webhook::decode;
use tocsin_core::{Action, Severity, SourceKind};

const CODES: &[&str] = &[
    "empty_body",
    "invalid_utf8",
    "invalid_json",
    "invalid_field",
    "missing_field",
];

fn check_any(bytes: &[u8]) {
    match decode(bytes) {
        Ok(e) => {
            assert_eq!(e.source, SourceKind::IncidentWebhook);
            assert!(!e.dedup_key.is_empty() && !e.title.is_empty());
            assert!(matches!(e.action, Action::Trigger(_) | Action::Resolve));
            assert_eq!(e.raw.as_bytes(), bytes);
        }
        Err(err) => {
            assert!(CODES.contains(&err.code), "unknown code {}", err.code);
            assert!(!err.detail.is_empty());
        }
    }
    assert_eq!(
        SourceKind::IncidentWebhook
            .decode(bytes)
            .map(|v| v.len())
            .ok(),
        decode(bytes).ok().map(|_| 1)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check_any(&bytes);
    }

    #[test]
    fn never_panics_on_json_like_text(text in r#"[{}\[\]":, 0-9a-zA-Z.eE+\-\\]{0,300}"#) {
        check_any(text.as_bytes());
    }

    #[test]
    fn never_panics_on_wrong_field_types(
        field in prop_oneof![Just("message"), Just("description"), Just("tags"), Just("priority"),
            Just("status"), Just("event_id")],
        value in prop_oneof![
            Just(json!(null)), any::<bool>().prop_map(|b| json!(b)), any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|n| json!(n)), ".{0,20}".prop_map(|s| json!(s)),
            Just(json!([])), Just(json!({"a": {"value": 1}})), Just(json!({"a": [1]})),
        ],
    ) {
        let mut body = json!({"message": "m", "description": "d", "status": "trigger", "event_id": "e"});
        body[field] = value;
        check_any(body.to_string().as_bytes());
    }

    /// Bodies shaped like Squadcast's decode to what was put in.
    #[test]
    fn valid_bodies_round_trip(
        event_id in "[^\u{0}]{1,40}",
        message in "[^\u{0}]*[^\u{0}\\s][^\u{0}]{0,40}",
        description in "[^\u{0}]{0,60}",
        priority in proptest::option::of(1u8..=5),
        tags in proptest::collection::btree_map("[a-z_]{1,8}", "[^\u{0}]{0,12}", 0..5),
        coloured in any::<bool>(),
        resolves in any::<bool>(),
    ) {
        let tag_values: BTreeMap<String, serde_json::Value> = tags
            .iter()
            .map(|(k, v)| (k.clone(), if coloured { json!({"color": "#FF0A49", "value": v}) } else { json!(v) }))
            .collect();
        let mut body = json!({
            "message": message, "description": description, "tags": tag_values,
            "status": if resolves { "resolve" } else { "trigger" }, "event_id": event_id,
        });
        if let Some(p) = priority {
            body["priority"] = json!(format!("P{p}"));
        }
        let text = body.to_string();
        let e = decode(text.as_bytes()).expect("a valid body decodes");
        prop_assert_eq!(&e.dedup_key, &event_id);
        let severity = match priority {
            None | Some(1) | Some(2) => Severity::Critical,
            Some(3) => Severity::Warning,
            _ => Severity::Info,
        };
        prop_assert_eq!(e.action, if resolves { Action::Resolve } else { Action::Trigger(severity) });
        prop_assert_eq!(&e.title, &message);
        prop_assert_eq!(&e.description, &description);
        let mut want = tags.clone();
        if let Some(p) = priority {
            want.insert("priority".into(), format!("P{p}"));
        }
        prop_assert_eq!(&e.tags, &want);
    }
}

/// Every input the fuzzer keeps in its corpus, and every fixture, decodes or is refused
/// cleanly; the fixtures all decode.
#[test]
fn fuzz_corpus_and_fixtures_replay() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("../../fuzz/corpus/incident_webhook_decode");
    let mut n = 0;
    for entry in std::fs::read_dir(&corpus).expect("the fuzz corpus is in the repository") {
        check_any(&std::fs::read(entry.expect("entry").path()).expect("read"));
        n += 1;
    }
    assert!(n >= 10, "only {n} corpus inputs in {}", corpus.display());
    for entry in std::fs::read_dir(root.join("testdata/incident_webhook")).expect("fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|x| x == "json") {
            let bytes = std::fs::read(&path).expect("read");
            check_any(&bytes);
            assert!(decode(&bytes).is_ok(), "{} decodes", path.display());
        }
    }
}
