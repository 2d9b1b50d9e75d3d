//! Typed, prefixed ids (`inc_…`, `svc_…`) parsed from paths and query strings.
#![no_main]

use std::fmt::Display;
use std::str::FromStr;

use libfuzzer_sys::fuzz_target;
use tocsin_core::{EventId, IncidentId, ServiceId, TeamId, TokenId, UserId};

fn check<T>(s: &str)
where
    T: FromStr + Display + PartialEq + std::fmt::Debug,
{
    if let Ok(id) = s.parse::<T>() {
        // What we print parses back to the same id.
        let text = id.to_string();
        assert_eq!(text.parse::<T>().ok(), Some(id));
        assert_eq!(text.len(), s.len());
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    check::<IncidentId>(s);
    check::<ServiceId>(s);
    check::<TeamId>(s);
    check::<EventId>(s);
    check::<TokenId>(s);
    check::<UserId>(s);
});
