use super::*;

/// Shaped like Alertmanager's `webhook_configs` notification (version 4); values are ours.
const GROUP: &str = r#"{"receiver":"tocsin","status":"firing","alerts":[
  {"status":"firing","labels":{"alertname":"HighLatency","instance":"web-1:9100","job":"node","severity":"critical"},
   "annotations":{"summary":"p99 over 2s on web-1","description":"Latency has been high for 5m."},
   "startsAt":"2026-11-30T09:00:00.123456789Z","endsAt":"0001-01-01T00:00:00Z",
   "generatorURL":"http://prometheus.example:9090/graph?g0.expr=x","fingerprint":"a1b2c3d4e5f60718"},
  {"status":"resolved","labels":{"alertname":"HighLatency","instance":"web-2:9100","job":"node","severity":"info"},
   "annotations":{},"startsAt":"2026-11-30T08:00:00Z","endsAt":"2026-11-30T08:30:00Z",
   "generatorURL":"","fingerprint":"0f0e0d0c0b0a0908"}],
 "groupLabels":{"alertname":"HighLatency"},"commonLabels":{"alertname":"HighLatency","job":"node"},
 "commonAnnotations":{},"externalURL":"http://alertmanager.example:9093","version":"4",
 "groupKey":"{}:{alertname=\"HighLatency\"}","truncatedAlerts":0}
"#;

#[test]
fn a_group_is_one_event_per_alert() {
    let events = decode(GROUP.as_bytes()).expect("decodes");
    assert_eq!(events.len(), 2);
    let a = &events[0];
    assert_eq!(a.source, SourceKind::Prometheus);
    assert_eq!(a.dedup_key, "a1b2c3d4e5f60718");
    assert_eq!(a.action, Action::Trigger(Severity::Critical));
    assert_eq!(a.level, "FIRING");
    assert_eq!(a.title, "p99 over 2s on web-1");
    assert_eq!(a.description, "Latency has been high for 5m.");
    assert_eq!(
        a.tags.get("instance").map(String::as_str),
        Some("web-1:9100")
    );
    assert_eq!(a.tags.len(), 4, "the labels are the tags: {:?}", a.tags);
    assert_eq!(
        a.occurred_at.map(|t| t.timestamp_subsec_nanos()),
        Some(123_456_789)
    );
    let b = &events[1];
    assert_eq!(b.action, Action::Resolve);
    assert_eq!(b.level, "RESOLVED");
    assert_eq!(b.title, "HighLatency");
    assert_eq!(b.description, "");
    assert_eq!(
        b.occurred_at.map(|t| t.to_rfc3339()),
        Some("2026-11-30T08:30:00+00:00".into())
    );
}

#[test]
fn a_group_of_one_keeps_the_body_as_sent() {
    let one = r#"{"alerts":[{"status":"firing","labels":{"alertname":"A"},"fingerprint":"f"}],"version":"4"}"#;
    let events = decode(one.as_bytes()).expect("decodes");
    assert_eq!(events[0].raw, one);
    assert_eq!(events[0].title, "A");
    assert_eq!(events[0].occurred_at, None);
}

#[test]
fn severity_label_sets_the_severity() {
    for (label, want) in [
        ("warning", Severity::Warning),
        ("WARN", Severity::Warning),
        ("info", Severity::Info),
        ("none", Severity::Info),
        ("page", Severity::Critical),
        ("whatever", Severity::Critical),
    ] {
        let body = format!(
            r#"{{"alerts":[{{"status":"firing","labels":{{"alertname":"A","severity":"{label}"}},"fingerprint":"f"}}]}}"#
        );
        let e = decode(body.as_bytes()).expect("decodes");
        assert_eq!(e[0].action, Action::Trigger(want), "{label}");
    }
    let none =
        decode(br#"{"alerts":[{"status":"firing","labels":{"alertname":"A"},"fingerprint":"f"}]}"#)
            .expect("decodes");
    assert_eq!(none[0].action, Action::Trigger(Severity::Critical));
}

#[test]
fn without_a_fingerprint_the_label_set_is_the_key() {
    let body = br#"{"alerts":[{"status":"firing","labels":{"job":"n","alertname":"A","q":"say \"hi\""}}]}"#;
    let e = decode(body).expect("decodes");
    assert_eq!(
        e[0].dedup_key,
        r#"{alertname="A", job="n", q="say \"hi\""}"#
    );
    // The same labels in another order: the same key.
    let again = br#"{"alerts":[{"status":"resolved","labels":{"q":"say \"hi\"","alertname":"A","job":"n"},"fingerprint":""}]}"#;
    assert_eq!(decode(again).expect("decodes")[0].dedup_key, e[0].dedup_key);
}

#[test]
fn nul_characters_are_replaced_not_refused() {
    let body = br#"{"alerts":[{"status":"firing","labels":{"alertname":"A\u0000","h\u0000":"v"},"annotations":{"summary":"s\u0000"},"fingerprint":"f\u0000"}]}"#;
    let e = &decode(body).expect("decodes")[0];
    assert_eq!(e.dedup_key, "f\u{FFFD}");
    assert_eq!(e.title, "s\u{FFFD}");
    assert!(e.tags.contains_key("h\u{FFFD}"));
}

#[test]
fn refusals_name_the_problem() {
    let cases: &[(&[u8], &str, &str)] = &[
        (b"", "empty_body", "empty"),
        (b"{", "invalid_json", "JSON"),
        (b"\xff", "invalid_utf8", "UTF-8"),
        (b"[]", "invalid_json", "object"),
        (br#"{"status":"firing"}"#, "missing_field", "alerts"),
        (br#"{"alerts":[]}"#, "invalid_field", "alerts"),
        (br#"{"alerts":{}}"#, "invalid_field", "alerts"),
        (br#"{"alerts":[{"labels":{"a":"b"}}]}"#, "missing_field", "status"),
        (br#"{"alerts":[{"status":"firing","labels":{"a":"b"},"fingerprint":"f"},{"status":"pending","fingerprint":"g"}]}"#, "unknown_status", "alerts[1].status"),
        (br#"{"alerts":[{"status":"firing","labels":{"a":1}}]}"#, "invalid_field", "alerts[0].labels.a"),
        (br#"{"alerts":[{"status":"firing","annotations":{"summary":["x"]},"fingerprint":"f"}]}"#, "invalid_field", "alerts[0].annotations.summary"),
        (br#"{"alerts":[{"status":"firing"}]}"#, "missing_field", "alerts[0].fingerprint"),
        (br#"{"alerts":[{"status":"firing","fingerprint":"f","startsAt":"soon"}]}"#, "invalid_field", "alerts[0].startsAt"),
        (br#"{"alerts":[{"status":"resolved","fingerprint":"f","endsAt":7}]}"#, "invalid_field", "alerts[0].endsAt"),
        (br#"{"alerts":[{"status":"firing","fingerprint":"f"}]} {}"#, "invalid_json", "trailing"),
    ];
    crate::sources::assert_refused(decode, cases);
}

#[test]
fn sample_body_round_trips() {
    let at = Utc::now();
    let open = decode(sample_body("k", "CRITICAL", at).as_bytes()).expect("decodes");
    assert_eq!(open[0].action, Action::Trigger(Severity::Critical));
    assert_eq!(open[0].dedup_key, "k");
    let ok = decode(sample_body("k", "OK", at).as_bytes()).expect("decodes");
    assert_eq!(ok[0].action, Action::Resolve);
}
