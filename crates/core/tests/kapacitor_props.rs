//! Properties of the Kapacitor decoder, the first thing outside input reaches:
//! it never panics whatever the bytes, every refusal is a known code, and every body shaped
//! like Kapacitor's output decodes back to what was put in. The fuzz corpus under `fuzz/`
//! is replayed here too, so inputs the fuzzer found keep being checked on stable Rust.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::json;
use tocsin_core::sources::kapacitor::decode;
use tocsin_core::{Action, Severity, SourceKind};

const CODES: &[&str] = &[
    "empty_body",
    "invalid_utf8",
    "invalid_json",
    "invalid_field",
    "missing_field",
    "unknown_level",
];

fn check_any(bytes: &[u8]) {
    match decode(bytes) {
        Ok(e) => {
            assert_eq!(e.source, SourceKind::Kapacitor);
            assert!(e.tags.contains_key("level"));
            assert!(!e.dedup_key.is_empty() || e.action == Action::Test);
        }
        Err(err) => {
            assert!(CODES.contains(&err.code), "unknown code {}", err.code);
            assert!(!err.detail.is_empty());
        }
    }
    // The generic entry point agrees with the module's.
    assert_eq!(
        SourceKind::Kapacitor.decode(bytes).map(|v| v.len()).ok(),
        decode(bytes).ok().map(|_| 1)
    );
}

fn level() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("OK"), Just("INFO"), Just("WARNING"), Just("CRITICAL")]
}

fn time() -> impl Strategy<Value = DateTime<Utc>> {
    // 1970–2100, with nanoseconds, as Kapacitor's RFC 3339 times carry.
    (0i64..4_102_444_800, 0u32..1_000_000_000)
        .prop_map(|(s, ns)| Utc.timestamp_opt(s, ns).single().unwrap_or_default())
}

fn tags() -> impl Strategy<Value = BTreeMap<String, String>> {
    proptest::collection::btree_map("[a-z_]{1,8}", "[^,\u{0}]{0,12}", 0..5)
        .prop_filter("level is ours", |t| !t.contains_key("level"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Arbitrary bytes: no panic, and refusals carry a known code.
    #[test]
    fn never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check_any(&bytes);
    }

    /// Text that is almost JSON (mostly the characters JSON is made of) reaches deeper.
    #[test]
    fn never_panics_on_json_like_text(text in r#"[{}\[\]":, 0-9a-zA-Z.eE+\-\\]{0,300}"#) {
        check_any(text.as_bytes());
    }

    /// A valid body with one field's value replaced by any JSON value: no panic.
    #[test]
    fn never_panics_on_wrong_field_types(
        field in prop_oneof![Just("id"), Just("message"), Just("details"), Just("time"),
            Just("duration"), Just("level"), Just("data"), Just("previousLevel"), Just("recoverable")],
        value in prop_oneof![
            Just(json!(null)), any::<bool>().prop_map(|b| json!(b)), any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|n| json!(n)), ".{0,20}".prop_map(|s| json!(s)),
            Just(json!([])), Just(json!({"series": [{"tags": {"a": 1}}]})),
        ],
    ) {
        let mut body = json!({"id": "x", "level": "CRITICAL", "message": "m", "time": "2026-01-01T00:00:00Z"});
        body[field] = value;
        check_any(body.to_string().as_bytes());
    }

    /// Bodies shaped like Kapacitor's `post` output decode to what was put in.
    #[test]
    fn valid_bodies_round_trip(
        id in "[^\u{0}]{1,40}",
        level in level(),
        message in "[^\u{0}]{0,60}", // NUL becomes U+FFFD: see no_nul
        details in "[^&\u{0}]{0,60}", // entities unescaped, NUL replaced
        at in time(),
        tags in tags(),
        compact in any::<bool>(),
    ) {
        let stamp = at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        let body = json!({
            "id": id, "message": message, "details": details, "time": stamp,
            "duration": 1_000_000_000u64, "level": level,
            "data": {"series": [{"name": "m", "tags": tags, "columns": ["time", "v"], "values": [[stamp, 1.5]]}]},
            "previousLevel": "OK", "recoverable": true,
        });
        let text = if compact { body.to_string() } else { format!("{body:#}\n") };
        let e = decode(text.as_bytes()).expect("a valid body decodes");
        prop_assert_eq!(&e.dedup_key, &id);
        prop_assert_eq!(e.action, match level {
            "OK" => Action::Resolve,
            "INFO" => Action::Trigger(Severity::Info),
            "WARNING" => Action::Trigger(Severity::Warning),
            _ => Action::Trigger(Severity::Critical),
        });
        prop_assert_eq!(e.level.as_str(), level);
        prop_assert_eq!(e.occurred_at, Some(at));
        prop_assert_eq!(&e.description, &details);
        if message.trim().is_empty() {
            prop_assert_eq!(&e.title, &id);
        } else {
            prop_assert_eq!(&e.title, &message);
        }
        let mut want = tags.clone();
        want.insert("level".into(), level.into());
        prop_assert_eq!(&e.tags, &want);
        prop_assert_eq!(e.raw.as_bytes(), text.as_bytes());
    }
}

/// Every input the fuzzer keeps in its corpus still decodes or is refused cleanly.
#[test]
fn fuzz_corpus_replays() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/kapacitor_decode");
    let entries = std::fs::read_dir(&dir).expect("the fuzz corpus is in the repository");
    let mut n = 0;
    for entry in entries {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
        check_any(&bytes);
        n += 1;
    }
    assert!(n >= 10, "only {n} corpus inputs in {}", dir.display());
}
