use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::{Action, SourceKind};

fn alert() -> AlertEvent {
    AlertEvent {
        source: SourceKind::Kapacitor,
        dedup_key: "cpu:host=web-1".into(),
        action: Action::Trigger(Severity::Critical),
        level: "CRITICAL".into(),
        title: "web-1 cpu is CRITICAL".into(),
        description: "usage_idle below 10".into(),
        tags: BTreeMap::from([
            ("host".into(), "web-1".into()),
            ("env".into(), "prod".into()),
        ]),
        occurred_at: None,
        raw: String::new(),
    }
}

fn cond(field: &str, op: Op, value: &str) -> ConditionSpec {
    ConditionSpec {
        field: field.into(),
        op,
        value: value.into(),
    }
}

fn rule(action: RuleAction, conditions: Vec<ConditionSpec>) -> RuleSpec {
    RuleSpec {
        action,
        conditions,
        service_id: None,
        tags: None,
        minutes: None,
        severity: None,
    }
}

#[test]
fn each_operator_on_each_kind_of_field() {
    let payload = serde_json::json!({"data": {"series": [{"name": "cpu", "n": 3}]}});
    let cases = [
        ("source", Op::Eq, "kapacitor", true),
        ("severity", Op::Eq, "critical", true),
        ("severity", Op::Ne, "critical", false),
        ("dedup_key", Op::Contains, "host=web", true),
        ("title", Op::Matches, r"^web-\d+ cpu", true),
        ("description", Op::Contains, "disk", false),
        ("tags.env", Op::Eq, "prod", true),
        ("tags.missing", Op::Eq, "x", false),
        ("tags.missing", Op::Ne, "x", true),
        ("payload.data.series[0].name", Op::Eq, "cpu", true),
        ("payload.data.series[0].n", Op::Eq, "3", true),
        ("payload.data.series[1].name", Op::Contains, "c", false),
    ];
    for (field, op, value, want) in cases {
        let set = RuleSet::compile(&[rule(RuleAction::Suppress, vec![cond(field, op, value)])])
            .expect("compiles");
        let got = set.evaluate(&alert(), Some(&payload)).suppress;
        assert_eq!(got, want, "{field} {op:?} {value:?}");
    }
}

#[test]
fn rules_apply_in_order_and_all_conditions_must_hold() {
    let route_a = ServiceId::new();
    let route_b = ServiceId::new();
    let specs = vec![
        RuleSpec {
            tags: Some(BTreeMap::from([("team".into(), "db".into())])),
            ..rule(RuleAction::Tag, vec![cond("tags.env", Op::Eq, "prod")])
        },
        RuleSpec {
            tags: Some(BTreeMap::from([("team".into(), "web".into())])),
            ..rule(
                RuleAction::Tag,
                vec![cond("tags.host", Op::Contains, "web")],
            )
        },
        RuleSpec {
            service_id: Some(route_a),
            ..rule(
                RuleAction::Route,
                vec![
                    cond("tags.env", Op::Eq, "prod"),
                    cond("title", Op::Contains, "cpu"),
                ],
            )
        },
        RuleSpec {
            service_id: Some(route_b),
            ..rule(RuleAction::Route, vec![])
        },
        RuleSpec {
            severity: Some(Severity::Warning),
            ..rule(
                RuleAction::SetSeverity,
                vec![cond("tags.env", Op::Eq, "staging")],
            )
        },
        RuleSpec {
            minutes: Some(30),
            ..rule(RuleAction::DedupWindow, vec![])
        },
    ];
    let v = RuleSet::compile(&specs)
        .expect("compiles")
        .evaluate(&alert(), None);
    assert_eq!(
        v.tags.get("team").map(String::as_str),
        Some("web"),
        "a later tag overwrites"
    );
    assert_eq!(v.route, Some(route_a), "the first matching route wins");
    assert_eq!(
        v.severity, None,
        "a rule whose condition fails does nothing"
    );
    assert_eq!(v.dedup_window_minutes, Some(30));
    assert!(!v.suppress);
    assert_eq!(v.matched, vec![0, 1, 2, 3, 5]);
}

#[test]
fn a_tag_takes_a_regex_capture() {
    let spec = RuleSpec {
        tags: Some(BTreeMap::from([
            ("num".into(), "$1".into()),
            ("role".into(), "${role}-x $$".into()),
        ])),
        ..rule(
            RuleAction::Tag,
            vec![cond("tags.host", Op::Matches, r"^(?P<role>[a-z]+)-(\d+)$")],
        )
    };
    let v = RuleSet::compile(&[spec])
        .expect("compiles")
        .evaluate(&alert(), None);
    assert_eq!(v.tags.get("num").map(String::as_str), Some("web"));
    assert_eq!(v.tags.get("role").map(String::as_str), Some("web-x $"));
}

#[test]
fn bad_rules_are_refused_naming_rule_and_field() {
    let cases: Vec<(RuleSpec, &str, &str)> = vec![
        (
            rule(RuleAction::Suppress, vec![cond("colour", Op::Eq, "x")]),
            "conditions[0].field",
            "unknown field",
        ),
        (
            rule(
                RuleAction::Suppress,
                vec![cond("title", Op::Matches, "(unclosed")],
            ),
            "conditions[0].value",
            "regex",
        ),
        (
            rule(
                RuleAction::Suppress,
                vec![cond("payload.a[x]", Op::Eq, "1")],
            ),
            "conditions[0].field",
            "array index",
        ),
        (
            rule(
                RuleAction::Suppress,
                vec![cond("title", Op::Matches, "a{1000}{1000}")],
            ),
            "conditions[0].value",
            "regex",
        ),
        (rule(RuleAction::Route, vec![]), "service_id", "needs"),
        (rule(RuleAction::Tag, vec![]), "tags", "needs"),
        (rule(RuleAction::DedupWindow, vec![]), "minutes", "needs"),
        (
            RuleSpec {
                minutes: Some(0),
                ..rule(RuleAction::DedupWindow, vec![])
            },
            "minutes",
            "at least 1",
        ),
        (rule(RuleAction::SetSeverity, vec![]), "severity", "needs"),
    ];
    for (spec, field, needle) in cases {
        let specs = vec![rule(RuleAction::Suppress, vec![]), spec];
        let err = RuleSet::compile(&specs).err().expect("refused");
        assert_eq!((err.rule, err.field.as_str()), (1, field), "{err}");
        assert!(err.detail.contains(needle), "{err}");
    }
}

#[test]
fn rules_come_from_the_apis_json() {
    let text = r#"[{"action":"tag","conditions":[{"field":"tags.host","op":"matches","value":"^db"}],"tags":{"team":"db"}},
                   {"action":"suppress","conditions":[{"field":"severity","op":"!=","value":"critical"}]}]"#;
    let specs: Vec<RuleSpec> = serde_json::from_str(text).expect("parses");
    assert_eq!(specs[1].conditions[0].op, Op::Ne);
    let back = serde_json::to_string(&specs).expect("serialises");
    let again: Vec<RuleSpec> = serde_json::from_str(&back).expect("parses again");
    assert_eq!(specs, again);
    assert!(serde_json::from_str::<Vec<RuleSpec>>(r#"[{"action":"mute"}]"#).is_err());
    assert!(!RuleSet::compile(&specs).expect("compiles").reads_payload());
}

proptest! {
    /// Any field text and any pattern: compiling never panics, and a compiled set never panics
    /// on any alert; `!=` is always the negation of `==`.
    #[test]
    fn compile_and_evaluate_never_panic(field in ".{0,40}", value in ".{0,40}", host in ".{0,20}") {
        let mut a = alert();
        a.tags.insert("host".into(), host);
        for op in [Op::Eq, Op::Ne, Op::Contains, Op::Matches] {
            if let Ok(set) = RuleSet::compile(&[rule(RuleAction::Suppress, vec![cond(&field, op, &value)])]) {
                let _ = set.evaluate(&a, Some(&serde_json::json!({"a": [1, {"b": "c"}]})));
            }
        }
        let eq = RuleSet::compile(&[rule(RuleAction::Suppress, vec![cond("tags.host", Op::Eq, &value)])]).expect("compiles");
        let ne = RuleSet::compile(&[rule(RuleAction::Suppress, vec![cond("tags.host", Op::Ne, &value)])]).expect("compiles");
        prop_assert_ne!(eq.evaluate(&a, None).suppress, ne.evaluate(&a, None).suppress);
    }
}
