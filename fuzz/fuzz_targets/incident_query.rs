//! `GET /api/v1/incidents?…`: the query string as axum's `Query` extractor parses it
//! (serde_urlencoded), then the validation into a store query.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_server::api::ListParams;

fuzz_target!(|data: &[u8]| {
    let Ok(params) = serde_urlencoded::from_bytes::<ListParams>(data) else {
        return;
    };
    match params.to_query() {
        Ok(q) => {
            assert!((1..=500).contains(&q.limit));
            assert!(q.text.as_deref().is_none_or(|t| !t.trim().is_empty()));
        }
        Err(e) => {
            assert_eq!(e.status.as_u16(), 400);
            assert!(e.code == "invalid_query" || e.code == "invalid_id", "{}", e.code);
        }
    }
});
