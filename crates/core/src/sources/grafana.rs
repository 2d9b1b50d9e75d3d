//! Grafana's unified alerting webhook contact point (payload `version: "1"`), alert source
//! `grafana`. It is Alertmanager's group shape (Grafana runs an Alertmanager inside) plus
//! `orgId`, `title`, `state`, `message` and per-alert `values`, `silenceURL`, `imageURL`, …,
//! so the per-alert rules are [`super::prometheus`]'s: one incident per alert, dedup key the
//! fingerprint, `resolved` resolves, title from `summary` or `alertname`.
//!
//! The one difference: the contact point's "Test" button sends a made-up alert (labels
//! `alertname=TestAlert`, `instance=Grafana`, annotation `summary=Notification test`, as
//! grafana/alerting's `newTestAlert` builds it). That is a connectivity test, recorded as one
//! and never an incident, like Kapacitor's zero alert.

use chrono::{DateTime, Utc};

use super::prometheus::{decode_group, sample_group, Alert};
use super::{DecodeError, SourceKind};
use crate::alert::AlertEvent;

pub fn decode(body: &[u8]) -> Result<Vec<AlertEvent>, DecodeError> {
    decode_group(SourceKind::Grafana, body, |alert| {
        is_test(alert).then(|| "Grafana contact point test".to_owned())
    })
}

fn is_test(alert: &Alert) -> bool {
    let label = |k: &str| alert.labels.get(k).map(String::as_str);
    label("alertname") == Some("TestAlert")
        && label("instance") == Some("Grafana")
        && alert.annotations.get("summary").map(String::as_str) == Some("Notification test")
}

/// A body shaped like Grafana's webhook contact point notification, one alert.
pub fn sample_body(dedup_key: &str, level: &str, at: DateTime<Utc>) -> String {
    let firing = !level.eq_ignore_ascii_case("OK");
    let extra = serde_json::json!({
        "version": "1",
        "orgId": 1,
        "title": if firing { "[FIRING:1] TocsinTest" } else { "[RESOLVED] TocsinTest" },
        "state": if firing { "alerting" } else { "ok" },
        "message": "Test alert sent from Tocsin to check this alert source."
    });
    let extra = match extra {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    sample_group(dedup_key, level, at, extra)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{Action, Severity};

    const DOC_SHAPE: &str = r#"{
      "receiver": "tocsin", "status": "firing", "orgId": 1,
      "alerts": [
        {"status": "firing",
         "labels": {"alertname": "DiskFull", "team": "db", "zone": "eu-2", "severity": "warning"},
         "annotations": {"summary": "Disk on db-7 is 97% full", "description": "Free space is gone", "runbook_url": "https://runbooks.example/disk"},
         "startsAt": "2026-11-30T08:15:00.5+01:00", "endsAt": "0001-01-01T00:00:00Z",
         "generatorURL": "https://grafana.example/alerting/grafana/abc/view", "fingerprint": "8f3a1c0d9e2b4f51",
         "silenceURL": "https://grafana.example/alerting/silence/new", "dashboardURL": "", "panelURL": "",
         "values": {"A": 97.2, "B": 1}, "valueString": "[ var='A' labels={} value=97.2 ]"},
        {"status": "resolved",
         "labels": {"alertname": "DiskFull", "team": "db", "zone": "eu-3"},
         "annotations": {"description": "Free space is back"},
         "startsAt": "2026-11-30T07:00:00Z", "endsAt": "2026-11-30T08:10:00Z",
         "generatorURL": "", "fingerprint": "11aa22bb33cc44dd", "values": null}
      ],
      "groupLabels": {"alertname": "DiskFull"}, "commonLabels": {"alertname": "DiskFull", "team": "db"},
      "commonAnnotations": {}, "externalURL": "https://grafana.example/", "version": "1",
      "groupKey": "{}/{}:{alertname=\"DiskFull\"}", "truncatedAlerts": 0,
      "title": "[FIRING:1, RESOLVED:1] DiskFull (db)", "state": "alerting", "message": "**Firing** …"
    }"#;

    #[test]
    fn each_alert_of_a_group_is_its_own_event() {
        let events = decode(DOC_SHAPE.as_bytes()).expect("decodes");
        assert_eq!(events.len(), 2);
        let (a, b) = (&events[0], &events[1]);
        assert_eq!(a.source, SourceKind::Grafana);
        assert_eq!(a.dedup_key, "8f3a1c0d9e2b4f51");
        assert_eq!(a.action, Action::Trigger(Severity::Warning));
        assert_eq!(a.title, "Disk on db-7 is 97% full");
        assert_eq!(a.description, "Free space is gone");
        assert_eq!(a.tags.get("zone").map(String::as_str), Some("eu-2"));
        assert_eq!(
            a.occurred_at.map(|t| t.to_rfc3339()),
            Some("2026-11-30T07:15:00.500+00:00".to_owned())
        );
        assert_eq!(b.action, Action::Resolve);
        assert_eq!(b.title, "DiskFull", "no summary: the alert name");
        assert_eq!(
            b.occurred_at.map(|t| t.to_rfc3339()),
            Some("2026-11-30T08:10:00+00:00".to_owned())
        );
        // Each event keeps the group with only its own alert.
        let raw_b: serde_json::Value = serde_json::from_str(&b.raw).expect("raw is JSON");
        assert_eq!(raw_b["alerts"].as_array().map(Vec::len), Some(1));
        assert_eq!(raw_b["alerts"][0]["fingerprint"], "11aa22bb33cc44dd");
        assert_eq!(raw_b["orgId"], 1);
    }

    #[test]
    fn the_contact_point_test_is_a_test() {
        let body = r#"{"receiver":"t","status":"firing","orgId":1,"alerts":[{"status":"firing",
          "labels":{"alertname":"TestAlert","instance":"Grafana"},
          "annotations":{"summary":"Notification test","__value_string__":"[ metric='foo' labels={instance=bar} value=10 ]"},
          "startsAt":"2026-11-30T08:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"57c6d9296de2ad39",
          "silenceURL":"","dashboardURL":"","panelURL":"","values":null,"valueString":"[ metric='foo' labels={instance=bar} value=10 ]"}],
          "groupLabels":{"alertname":"TestAlert","instance":"Grafana"},"commonLabels":{},"commonAnnotations":{},
          "externalURL":"http://localhost:3000/","version":"1","groupKey":"test-57c6d9296de2ad39-1764500000","truncatedAlerts":0,
          "title":"[FIRING:1] TestAlert Grafana ","state":"alerting","message":"**Firing**"}"#;
        let events = decode(body.as_bytes()).expect("decodes");
        assert_eq!(events[0].action, Action::Test);
        // The same alert from Alertmanager is an alert: only Grafana has that button.
        let am = super::super::prometheus::decode(body.as_bytes()).expect("decodes");
        assert_eq!(am[0].action, Action::Trigger(Severity::Critical));
    }

    #[test]
    fn sample_body_round_trips() {
        let at = Utc::now();
        let open = decode(sample_body("k1", "CRITICAL", at).as_bytes()).expect("decodes");
        assert_eq!(open[0].action, Action::Trigger(Severity::Critical));
        assert_eq!(open[0].dedup_key, "k1");
        let ok = decode(sample_body("k1", "OK", at).as_bytes()).expect("decodes");
        assert_eq!(ok[0].action, Action::Resolve);
    }
}
