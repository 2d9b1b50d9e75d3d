//! PagerDuty Events API v2 bodies: any bytes a sender can POST to `/v2/enqueue`, through the
//! routing-key read (which runs first) and the decoder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_core::sources::pagerduty::MAX_DEDUP_KEY;
use tocsin_core::{Action, SourceKind};

const CODES: &[&str] = &[
    "empty_body",
    "invalid_utf8",
    "invalid_json",
    "invalid_field",
    "missing_field",
];

fuzz_target!(|data: &[u8]| {
    let key = SourceKind::PagerDuty.key_in_body(data);
    if let Err(err) = &key {
        assert!(CODES.contains(&err.code), "unknown code {}", err.code);
    }
    match SourceKind::PagerDuty.decode(data) {
        Ok(events) => {
            // A body that decodes names its key.
            assert!(key.is_ok());
            assert_eq!(events.len(), 1);
            for e in events {
                assert!(!e.dedup_key.is_empty());
                assert!(e.dedup_key.chars().count() <= MAX_DEDUP_KEY);
                assert!(!matches!(e.action, Action::Test));
                assert!(e.tags.contains_key("severity"));
                assert_eq!(e.raw.as_bytes(), data);
            }
        }
        Err(err) => assert!(CODES.contains(&err.code), "unknown code {}", err.code),
    }
});
