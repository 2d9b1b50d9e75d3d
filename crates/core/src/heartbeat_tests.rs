use chrono::TimeZone;

use super::*;

fn at(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + s, 0)
        .single()
        .expect("valid time")
}

fn hb() -> Heartbeat {
    let spec = HeartbeatSpec::new(" nightly-backup ", 60, 30).expect("valid");
    create(TeamId::new(), ServiceId::new(), &spec, "k", at(0))
}

#[test]
fn refusals_name_the_field() {
    let cases: &[(&str, i64, i64, &str)] = &[
        ("", 60, 0, "name"),
        ("   ", 60, 0, "name"),
        ("a\nb", 60, 0, "name"),
        (&"x".repeat(MAX_NAME_CHARS + 1), 60, 0, "name"),
        ("n", 9, 0, "interval_seconds"),
        ("n", -1, 0, "interval_seconds"),
        ("n", MAX_SECONDS + 1, 0, "interval_seconds"),
        ("n", 10, -1, "grace_seconds"),
        ("n", 10, MAX_SECONDS + 1, "grace_seconds"),
    ];
    for (name, interval, grace, field) in cases {
        let e = HeartbeatSpec::new(name, *interval, *grace).expect_err("refused");
        assert_eq!(e.field, *field, "{e}");
    }
    let ok = HeartbeatSpec::new("n", MIN_INTERVAL_SECONDS, 0).expect("the minimum is allowed");
    assert_eq!(ok.name(), "n");
    assert!(HeartbeatSpec::new(&"é".repeat(MAX_NAME_CHARS), MAX_SECONDS, MAX_SECONDS).is_ok());
}

#[test]
fn a_new_heartbeat_is_due_one_interval_and_grace_after_creation() {
    let h = hb();
    assert_eq!(h.name, "nightly-backup");
    assert_eq!(h.state, HeartbeatState::Ok);
    assert_eq!(h.due_at, at(90));
    assert!(!is_due(&h, at(89)));
    assert!(is_due(&h, at(90)));
}

#[test]
fn a_miss_is_a_critical_trigger_under_the_heartbeat_key() {
    let h = hb();
    let ev = missed(&h, at(91));
    assert_eq!(ev.source, SourceKind::Heartbeat);
    assert_eq!(ev.dedup_key, "heartbeat:nightly-backup");
    assert_eq!(ev.action, Action::Trigger(Severity::Critical));
    assert_eq!(ev.title, "Heartbeat nightly-backup missed");
    assert_eq!(ev.occurred_at, Some(at(90)));
    assert!(!ev.raw.contains("\"k\""), "the key is never in the event");
    // Already missed: not due again until a check-in.
    let mut m = h.clone();
    m.state = HeartbeatState::Missed;
    assert!(!is_due(&m, at(1000)));
}

#[test]
fn a_check_in_moves_the_deadline_and_resolves_only_a_missed_heartbeat() {
    let h = hb();
    let c = check_in(&h, at(50));
    assert_eq!(c.due_at, at(140));
    assert_eq!(c.last_checkin_at, at(50));
    assert_eq!(c.state, HeartbeatState::Ok);
    assert!(c.resolve.is_none(), "on time: no event");

    let mut m = h;
    m.state = HeartbeatState::Missed;
    let c = check_in(&m, at(200));
    assert_eq!(c.due_at, at(290));
    let ev = c.resolve.expect("a missed heartbeat recovers");
    assert_eq!(ev.action, Action::Resolve);
    assert_eq!(ev.dedup_key, "heartbeat:nightly-backup");
}

#[test]
fn state_round_trips_and_the_source_is_stored_but_not_routed() {
    for s in [HeartbeatState::Ok, HeartbeatState::Missed] {
        assert_eq!(HeartbeatState::parse(s.as_str()), Some(s));
    }
    assert_eq!(HeartbeatState::parse("late"), None);
    assert_eq!(SourceKind::from_slug("heartbeat"), None);
    assert!(!SourceKind::ALL.contains(&SourceKind::Heartbeat));
    assert_eq!(
        SourceKind::from_stored_slug("heartbeat"),
        Some(SourceKind::Heartbeat)
    );
    assert_eq!(
        SourceKind::from_stored_slug("kapacitor"),
        Some(SourceKind::Kapacitor)
    );
    assert!(SourceKind::Heartbeat.decode(b"{}").is_err());
}
