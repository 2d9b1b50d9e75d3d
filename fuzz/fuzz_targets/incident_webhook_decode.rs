//! Squadcast's Incident Webhook body decoder: any bytes a sender can POST to
//! `/v2/incidents/api/<key>`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_core::{Action, SourceKind};

#[path = "source_checks.rs"]
mod source_checks;

fuzz_target!(|data: &[u8]| {
    let source = SourceKind::IncidentWebhook;
    let result = source.decode(data);
    source_checks::check(source, data, result.clone());
    for e in result.unwrap_or_default() {
        // One alert per body, titled (a made-up key when event_id is absent).
        assert!(!e.title.is_empty());
        assert!(matches!(e.action, Action::Trigger(_) | Action::Resolve));
    }
});
