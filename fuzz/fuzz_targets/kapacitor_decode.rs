//! The Kapacitor webhook body decoder: any bytes a sender can POST.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_core::{Action, SourceKind};

const CODES: &[&str] = &[
    "empty_body",
    "invalid_utf8",
    "invalid_json",
    "invalid_field",
    "missing_field",
    "unknown_level",
];

fuzz_target!(|data: &[u8]| {
    match SourceKind::Kapacitor.decode(data) {
        Ok(events) => {
            assert_eq!(events.len(), 1);
            for e in events {
                assert!(!e.dedup_key.is_empty() || e.action == Action::Test);
                assert!(e.tags.contains_key("level"));
                // The raw body is kept as received (lossily only if it was not UTF-8, which
                // the decoder refuses, so never).
                assert_eq!(e.raw.as_bytes(), data);
            }
        }
        Err(err) => assert!(CODES.contains(&err.code), "unknown code {}", err.code),
    }
});
