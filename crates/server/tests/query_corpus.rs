//! The incident-list query fuzz corpus, replayed on stable Rust: every query string that
//! parses is validated into a store query or refused with a 400, never a panic.

use std::path::Path;

use tocsin_server::api::ListParams;

#[test]
fn incident_query_corpus_replays() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/incident_query");
    let (mut n, mut valid) = (0, 0);
    for entry in std::fs::read_dir(&dir).expect("the fuzz corpus is in the repository") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
        n += 1;
        let Ok(params) = serde_urlencoded::from_bytes::<ListParams>(&bytes) else {
            continue;
        };
        match params.to_query() {
            Ok(q) => {
                assert!((1..=500).contains(&q.limit));
                valid += 1;
            }
            Err(e) => {
                assert_eq!(e.status.as_u16(), 400);
                assert!(
                    e.code == "invalid_query" || e.code == "invalid_id",
                    "{}",
                    e.code
                );
            }
        }
    }
    assert!(
        n >= 5 && valid >= 1,
        "{n} inputs, {valid} valid in {}",
        dir.display()
    );
}
