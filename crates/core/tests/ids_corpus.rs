//! The typed-id fuzz corpus, replayed on stable Rust: whatever parses prints back to itself.

use std::fmt::{Debug, Display};
use std::path::Path;
use std::str::FromStr;

use tocsin_core::{EventId, IncidentId, ServiceId, TeamId, TokenId, UserId};

fn check<T: FromStr + Display + PartialEq + Debug>(s: &str) -> bool {
    match s.parse::<T>() {
        Ok(id) => {
            assert_eq!(id.to_string().parse::<T>().ok(), Some(id), "{s:?}");
            true
        }
        Err(_) => false,
    }
}

#[test]
fn typed_id_corpus_replays() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/typed_ids");
    let (mut n, mut parsed) = (0, 0);
    for entry in std::fs::read_dir(&dir).expect("the fuzz corpus is in the repository") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
        n += 1;
        let Ok(s) = std::str::from_utf8(&bytes) else {
            continue;
        };
        let hits = [
            check::<IncidentId>(s),
            check::<ServiceId>(s),
            check::<TeamId>(s),
            check::<EventId>(s),
            check::<TokenId>(s),
            check::<UserId>(s),
        ];
        // A text is at most one kind of id: the prefixes do not overlap.
        assert!(hits.iter().filter(|h| **h).count() <= 1, "{s:?}");
        parsed += usize::from(hits.iter().any(|h| *h));
    }
    assert!(
        n >= 4 && parsed >= 1,
        "{n} inputs, {parsed} ids in {}",
        dir.display()
    );
}
