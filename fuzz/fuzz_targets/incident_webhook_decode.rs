//! Squadcast's Incident Webhook body decoder: any bytes a sender can POST to
//! `/v2/incidents/api/<key>`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_core::{Action, SourceKind};

const CODES: &[&str] = &[
    "empty_body",
    "invalid_utf8",
    "invalid_json",
    "invalid_field",
    "missing_field",
];

fuzz_target!(|data: &[u8]| {
    match SourceKind::IncidentWebhook.decode(data) {
        Ok(events) => {
            assert_eq!(events.len(), 1);
            for e in events {
                // Every alert has a key (a made-up one when event_id is absent) and a title.
                assert!(!e.dedup_key.is_empty());
                assert!(!e.title.is_empty());
                assert!(matches!(e.action, Action::Trigger(_) | Action::Resolve));
                assert!(!e.dedup_key.contains('\0') && !e.title.contains('\0'));
                assert_eq!(e.raw.as_bytes(), data);
            }
        }
        Err(err) => assert!(CODES.contains(&err.code), "unknown code {}", err.code),
    }
});
