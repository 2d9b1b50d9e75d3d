use proptest::prelude::*;
use serde_json::{json, Value};

use super::Paths;
use crate::noise::rules::Step;

fn key(k: &str) -> Step {
    Step::Key(k.into())
}

/// What a path reads from a whole parsed body: the rules' own navigation.
fn read<'v>(v: &'v Value, steps: &[Step]) -> Option<&'v Value> {
    steps.iter().try_fold(v, |v, s| match s {
        Step::Key(k) => v.get(k),
        Step::Index(i) => v.get(i),
    })
}

fn paths(all: &[Vec<Step>]) -> Paths {
    let mut p = Paths::default();
    for steps in all {
        p.add(steps);
    }
    p
}

#[test]
fn only_the_paths_are_kept_and_read_as_from_the_whole_body() {
    let body = json!({
        "id": "cpu:host=a",
        "data": {"series": [{"name": "cpu", "tags": {"host": "a"}, "values": [[1, 2.5]]},
                            {"name": "mem"}]},
        "level": "CRITICAL",
        "n": 3,
        "obj": {"a": [1, {"b": null}]}
    });
    let wanted = vec![
        vec![key("data"), key("series"), Step::Index(0), key("name")],
        vec![key("data"), key("series"), Step::Index(1), key("name")],
        vec![key("data"), key("series"), Step::Index(5), key("name")],
        vec![key("n")],
        vec![key("obj")],
        vec![key("obj"), key("a"), Step::Index(1), key("b")],
        vec![key("level"), key("x")],
        vec![key("missing")],
    ];
    let pruned = paths(&wanted)
        .extract(&body.to_string())
        .expect("valid JSON");
    for steps in &wanted {
        assert_eq!(read(&pruned, steps), read(&body, steps), "{steps:?}");
    }
    // What no path reads is not built.
    assert!(pruned.get("id").is_none());
    assert!(read(
        &pruned,
        &[key("data"), key("series"), Step::Index(0), key("tags")]
    )
    .is_none());
}

#[test]
fn not_one_json_document_is_nothing() {
    let p = paths(&[vec![key("a")]]);
    for raw in ["", "{", "{\"a\": 1} x", "not json", "{\"a\": tru}"] {
        assert_eq!(p.extract(raw), None, "{raw:?}");
    }
    assert_eq!(p.extract("{\"a\": 1} "), Some(json!({"a": 1})));
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-c]{0,3}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-c]{1,2}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn any_path() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        prop_oneof![
            "[a-c]{1,2}".prop_map(Step::Key),
            (0usize..3).prop_map(Step::Index)
        ],
        1..4,
    )
}

proptest! {
    /// For any body and any set of paths, each path reads from the pruned body exactly what it
    /// reads from the whole one.
    #[test]
    fn pruning_never_changes_what_a_path_reads(
        body in any_json(), wanted in prop::collection::vec(any_path(), 1..5)
    ) {
        let pruned = paths(&wanted).extract(&body.to_string());
        prop_assert!(pruned.is_some());
        let pruned = pruned.unwrap_or_default();
        for steps in &wanted {
            prop_assert_eq!(read(&pruned, steps), read(&body, steps));
        }
    }
}
