//! What every alert source's decoder promises whatever the bytes: a refusal carries a known
//! code and a detail; a body that decodes holds at least one alert, each of its source, with a
//! dedup key, no NUL anywhere (PostgreSQL text cannot hold one) and its raw body (the body
//! itself when it held one alert). Shared by the fuzz targets and by the corpus replay on
//! stable Rust (`crates/core/tests/sources_corpus.rs`), so the rule is written once.

use tocsin_core::{AlertEvent, DecodeError, SourceKind};

pub const CODES: &[&str] = &[
    "empty_body",
    "invalid_utf8",
    "invalid_json",
    "invalid_field",
    "missing_field",
    "unknown_status",
    "unknown_severity",
    "unknown_priority",
];

pub fn check(source: SourceKind, data: &[u8], result: Result<Vec<AlertEvent>, DecodeError>) {
    match result {
        Ok(events) => {
            assert!(!events.is_empty(), "a body that decodes holds an alert");
            for e in &events {
                assert_eq!(e.source, source);
                assert!(!e.dedup_key.is_empty(), "every alert has a dedup key");
                for text in [&e.dedup_key, &e.title, &e.description, &e.level] {
                    assert!(!text.contains('\0'), "NUL in {text:?}");
                }
                for (k, v) in &e.tags {
                    assert!(!k.contains('\0') && !v.contains('\0'), "NUL in tag {k:?}");
                }
                assert!(!e.raw.is_empty());
            }
            if events.len() == 1 {
                assert_eq!(events[0].raw.as_bytes(), data, "one alert keeps the body");
            }
        }
        Err(err) => {
            assert!(CODES.contains(&err.code), "unknown code {}", err.code);
            assert!(!err.detail.is_empty());
        }
    }
}
