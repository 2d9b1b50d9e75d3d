use std::collections::BTreeMap;

use chrono::{Duration, TimeZone, Utc};

use super::*;
use crate::noise::rules::{ConditionSpec, Op};
use crate::noise::windows::WindowSpec;
use crate::{Severity, SourceKind};

fn alert(action: Action) -> AlertEvent {
    AlertEvent {
        source: SourceKind::Kapacitor,
        dedup_key: "cpu:web-1".into(),
        action,
        level: "CRITICAL".into(),
        title: "web-1 cpu".into(),
        description: String::new(),
        tags: BTreeMap::from([("host".into(), "web-1".into())]),
        occurred_at: None,
        raw: r#"{"id":"cpu:web-1","data":{"env":"staging"}}"#.into(),
    }
}

fn rule(action: RuleAction, field: &str, value: &str) -> RuleSpec {
    RuleSpec {
        action,
        conditions: vec![ConditionSpec {
            field: field.into(),
            op: Op::Eq,
            value: value.into(),
        }],
        service_id: None,
        tags: None,
        minutes: None,
        severity: None,
    }
}

fn window(start: chrono::DateTime<Utc>, hours: i64) -> (MaintenanceWindowId, Window) {
    let spec = WindowSpec {
        start,
        end: Some(start + Duration::hours(hours)),
        time_zone: None,
        weekly: false,
    };
    (
        MaintenanceWindowId::new(),
        Window::new(&spec, None).expect("window"),
    )
}

fn run(cfg: &NoiseConfig, ev: AlertEvent, now: chrono::DateTime<Utc>) -> (AlertEvent, Noise) {
    screen(cfg, ev).finish(cfg, "api", None, now)
}

#[test]
fn nothing_configured_changes_nothing() {
    let cfg = NoiseConfig::default();
    assert!(cfg.is_empty());
    let ev = alert(Action::Trigger(Severity::Critical));
    let (out, noise) = run(&cfg, ev.clone(), Utc::now());
    assert_eq!((out, noise), (ev, Noise::default()));
}

#[test]
fn a_window_suppresses_triggers_only_while_it_covers_them() {
    let start = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
    let (id, w) = window(start, 2);
    let cfg = NoiseConfig::compile(vec![], vec![(id, w)]).expect("config");
    let (_, inside) = run(
        &cfg,
        alert(Action::Trigger(Severity::Critical)),
        start + Duration::minutes(5),
    );
    let s = inside.suppressed.expect("suppressed inside the window");
    assert_eq!(s.cause, format!("window:{id}"));
    assert_eq!(s.since, Some(start));
    assert!(s.note.contains(&id.to_string()));
    let (_, after) = run(
        &cfg,
        alert(Action::Trigger(Severity::Critical)),
        start + Duration::hours(2),
    );
    assert_eq!(after.suppressed, None);
    // A recovery during the window is never suppressed: it resolves as today.
    let (_, resolve) = run(&cfg, alert(Action::Resolve), start + Duration::minutes(5));
    assert_eq!(resolve.suppressed, None);
}

#[test]
fn rules_tag_set_severity_suppress_and_window_the_dedup_in_order() {
    let mut tag = rule(RuleAction::Tag, "payload.data.env", "staging");
    tag.tags = Some(BTreeMap::from([("env".into(), "staging".into())]));
    let mut sev = rule(RuleAction::SetSeverity, "tags.env", "staging");
    sev.severity = Some(Severity::Info);
    let mut dedup = rule(RuleAction::DedupWindow, "source", "kapacitor");
    dedup.minutes = Some(10);
    // Reads the tag the first rule wrote? No: rules see the alert as it came, by design of
    // `RuleSet::evaluate`; this one matches on the severity the alert had.
    let suppress = rule(RuleAction::Suppress, "severity", "critical");
    let cfg = NoiseConfig::compile(vec![tag, sev, dedup, suppress], vec![]).expect("config");
    let (out, noise) = run(&cfg, alert(Action::Trigger(Severity::Critical)), Utc::now());
    assert_eq!(out.tags.get("env").map(String::as_str), Some("staging"));
    assert_eq!(out.action, Action::Trigger(Severity::Critical));
    assert_eq!(noise.dedup_window_minutes, Some(10));
    let s = noise.suppressed.expect("suppressed by rule 3");
    assert_eq!(s.cause, "rules");
    assert!(s.note.contains("rule 3"), "{}", s.note);
    assert!(
        noise
            .notes
            .iter()
            .any(|n| n.contains("rule 0, rule 2, rule 3")),
        "{:?}",
        noise.notes
    );
}

#[test]
fn a_route_takes_the_targets_rules_but_not_its_routes_and_its_windows() {
    let target_id = ServiceId::new();
    let mut route = rule(RuleAction::Route, "source", "kapacitor");
    route.service_id = Some(target_id);
    let origin = NoiseConfig::compile(vec![route.clone()], vec![]).expect("origin");
    let mut back = route;
    back.service_id = Some(ServiceId::new());
    let mut sev = rule(RuleAction::SetSeverity, "source", "kapacitor");
    sev.severity = Some(Severity::Warning);
    let now = Utc::now();
    let target = NoiseConfig::compile(vec![back, sev], vec![window(now - Duration::hours(1), 2)])
        .expect("target");
    let s = screen(&origin, alert(Action::Trigger(Severity::Critical)));
    assert_eq!(s.route(), Some(target_id));
    let t = Target {
        id: target_id,
        name: "db",
        config: &target,
    };
    let (out, noise) = s.finish(&origin, "api", Some(t), now);
    assert_eq!(out.action, Action::Trigger(Severity::Warning));
    assert!(noise
        .notes
        .iter()
        .any(|n| n.contains("routed here from service api")));
    assert!(noise.suppressed.is_some(), "the target's window applies");
}

#[test]
fn a_connectivity_test_skips_the_rules() {
    let cfg = NoiseConfig::compile(
        vec![rule(RuleAction::Suppress, "source", "kapacitor")],
        vec![],
    )
    .expect("config");
    let (_, noise) = run(&cfg, alert(Action::Test), Utc::now());
    assert_eq!(noise, Noise::default());
}
