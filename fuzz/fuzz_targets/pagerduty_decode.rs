//! PagerDuty Events API v2 bodies: any bytes a sender can POST to `/v2/enqueue`, through the
//! routing-key read (which runs first) and the decoder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_core::sources::pagerduty::MAX_DEDUP_KEY;
use tocsin_core::{Action, SourceKind};

#[path = "source_checks.rs"]
mod source_checks;

fuzz_target!(|data: &[u8]| {
    let source = SourceKind::PagerDuty;
    let key = source.key_in_body(data);
    if let Err(err) = &key {
        assert!(source_checks::CODES.contains(&err.code), "unknown code {}", err.code);
    }
    let result = source.decode(data);
    source_checks::check(source, data, result.clone());
    if let Ok(events) = result {
        // A body that decodes names its key.
        assert!(key.is_ok());
        assert_eq!(events.len(), 1);
        for e in events {
            assert!(e.dedup_key.chars().count() <= MAX_DEDUP_KEY);
            assert!(!matches!(e.action, Action::Test));
            assert!(e.tags.contains_key("severity"));
        }
    }
});
