//! The TICKscript reader never panics: arbitrary text, arbitrary mixes of TICKscript's own
//! tokens, and the fuzz corpus (`fuzz/corpus/tick_check`, replayed here on stable Rust) all end
//! in findings, and every finding has a place inside the script.

use std::path::Path;

use proptest::prelude::*;
use tocsin_core::kapacitor_check::{check, Finding, HttpPostEndpoint, Inputs, TocsinUrls};

fn inputs() -> Inputs {
    Inputs {
        endpoints: Some(vec![HttpPostEndpoint {
            name: "tocsin".into(),
            url: "http://127.0.0.1:8080/v1/incidents/kapacitor/K".into(),
        }]),
        tocsin: Some(TocsinUrls {
            keys: ["K".to_string()].into(),
            hosts: ["127.0.0.1:8080".to_string()].into(),
        }),
    }
}

fn check_any(script: &str) -> Vec<Finding> {
    let lines = 1 + script.matches('\n').count();
    let found = check(script, &inputs());
    for f in &found {
        assert!(f.line >= 1 && f.column >= 1, "{f:?}");
        assert!(f.line as usize <= lines, "{f:?} in {lines} lines");
        assert!(!f.message.is_empty() && !f.fix.is_empty());
    }
    found
}

const PIECES: &[&str] = &[
    "stream",
    "batch",
    "|",
    ".",
    "@",
    "(",
    ")",
    "[",
    "]",
    ",",
    "'",
    "'''",
    "\"",
    "/",
    "//",
    "var ",
    "x",
    " = ",
    "lambda:",
    "alert",
    "from",
    "groupBy",
    "id",
    "post",
    "endpoint",
    "'{{ .Group }}'",
    "'tocsin'",
    "5m",
    "10",
    "1.5",
    "-",
    "!",
    "==",
    "+",
    "*",
    "AND",
    "\n",
    " ",
    "dbrp",
    "\"db\"",
    "noRecoveries",
    "stateChangesOnly",
    "/a\\/b/",
    "µ",
    "é",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
        check_any(&s);
    }

    #[test]
    fn arbitrary_token_soup_never_panics(parts in prop::collection::vec(0..PIECES.len(), 0..80)) {
        let s: String = parts.into_iter().map(|i| PIECES[i]).collect();
        check_any(&s);
    }
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let s = format!("var x = {}1{}", "(".repeat(100_000), ")".repeat(100_000));
    assert_eq!(check_any(&s)[0].code.as_str(), "syntax");
    let s = format!("var x = {}1", "-".repeat(100_000));
    assert_eq!(check_any(&s)[0].code.as_str(), "syntax");
    let s = format!("var x = {}", "[".repeat(100_000));
    assert_eq!(check_any(&s)[0].code.as_str(), "syntax");
}

#[test]
fn tick_check_corpus_replays() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/tick_check");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("the fuzz corpus is in the repository") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
        n += 1;
        check_any(&String::from_utf8_lossy(&bytes));
    }
    assert!(n >= 4, "{n} inputs in {}", dir.display());
}
