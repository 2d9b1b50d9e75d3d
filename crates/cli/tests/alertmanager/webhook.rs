//! Alertmanager's webhook notifications into Tocsin: each alert of a group is its own
//! incident keyed by Alertmanager's fingerprint, a group sent again joins them, `endsAt` in the
//! past resolves. Alertmanager counts a notification as failed unless Tocsin answered 2xx, so
//! its own counter proves every answer.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::alertmanager::Alertmanager;
use crate::support::{eventually, Server};

fn alert(instance: &str, severity: &str, ends_in_secs: i64) -> Value {
    let now = Utc::now();
    json!({
        "labels": {"alertname": "HighLatency", "instance": instance, "job": "web", "severity": severity},
        "annotations": {
            "summary": format!("p99 latency over 2s on {instance}"),
            "description": format!("{instance} has answered slowly for 5 minutes."),
        },
        "startsAt": (now - Duration::seconds(60)).to_rfc3339(),
        "endsAt": (now + Duration::seconds(ends_in_secs)).to_rfc3339(),
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=latency",
    })
}

/// Wait until the service's incidents, by dedup key, satisfy `ok`.
async fn until(
    server: &Server, svc: &str, what: &str, ok: impl Fn(&BTreeMap<String, Value>) -> bool,
) -> BTreeMap<String, Value> {
    let ok = &ok;
    eventually(what, || async move {
        let by_key: BTreeMap<String, Value> = server
            .incidents(svc)
            .await
            .into_iter()
            .map(|i| (i["dedup_key"].as_str().unwrap_or_default().to_owned(), i))
            .collect();
        if ok(&by_key) {
            Ok(by_key)
        } else {
            Err(serde_json::to_string_pretty(&by_key).unwrap_or_default())
        }
    })
    .await
}

#[tokio::test]
async fn alertmanager_groups_become_one_incident_per_alert_and_resolve() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(tmp.path()).await;
    let (svc, _) = server.new_service("web").await;
    let url = server.webhook_url(&svc, "prometheus").await;
    let am = Alertmanager::start(&url).await;

    // Two alerts of one group (same alertname): two incidents.
    am.post_alerts(json!([
        alert("web-1", "critical", 3600),
        alert("web-2", "warning", 3600)
    ]))
    .await;
    let fingerprints: BTreeMap<String, String> = am
        .alerts()
        .await
        .iter()
        .map(|a| {
            (
                a["labels"]["instance"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                a["fingerprint"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(fingerprints.len(), 2, "{fingerprints:?}");
    let (fp1, fp2) = (&fingerprints["web-1"], &fingerprints["web-2"]);
    let list = until(&server, &svc, "two incidents keyed by fingerprint", |m| {
        m.len() == 2 && m.contains_key(fp1) && m.contains_key(fp2)
    })
    .await;
    let one = &list[fp1];
    assert_eq!(one["alert_source"], "prometheus", "{one}");
    assert_eq!(one["status"], "triggered", "{one}");
    assert_eq!(one["severity"], "critical", "{one}");
    assert_eq!(one["title"], "p99 latency over 2s on web-1", "{one}");
    assert_eq!(list[fp2]["severity"], "warning");
    let (_, detail) = server
        .get(&format!(
            "/api/v1/incidents/{}",
            one["id"].as_str().unwrap_or_default()
        ))
        .await;
    assert_eq!(
        detail["description"], "web-1 has answered slowly for 5 minutes.",
        "{detail}"
    );
    assert_eq!(detail["tags"]["instance"], "web-1", "{detail}");
    assert_eq!(detail["tags"]["job"], "web", "{detail}");
    // The event keeps Alertmanager's notification (version 4) with only this alert.
    let raw = server.payload(&detail["timeline"][0]).await;
    let raw: Value = serde_json::from_str(&raw).expect("raw is JSON");
    assert_eq!(raw["version"], "4", "{raw}");
    assert_eq!(raw["receiver"], "tocsin", "{raw}");
    assert_eq!(raw["alerts"].as_array().map(Vec::len), Some(1), "{raw}");
    assert_eq!(raw["alerts"][0]["fingerprint"], fp1.as_str(), "{raw}");

    // A third alert changes the group: Alertmanager sends all three; the first two join.
    am.post_alerts(json!([alert("web-3", "critical", 3600)]))
        .await;
    until(&server, &svc, "web-1 and web-2 joined, web-3 opened", |m| {
        m.len() == 3
            && m.get(fp1).is_some_and(|i| i["event_count"] == 2)
            && m.get(fp2).is_some_and(|i| i["event_count"] == 2)
    })
    .await;

    // endsAt in the past: web-1 resolves, the others stay open.
    am.post_alerts(json!([alert("web-1", "critical", -1)]))
        .await;
    let list = until(&server, &svc, "web-1 resolved", |m| {
        m.get(fp1).is_some_and(|i| i["status"] == "resolved")
    })
    .await;
    assert_eq!(list[fp1]["resolved_by"], "prometheus");
    assert_eq!(list[fp2]["status"], "triggered");

    // Everything over: every incident resolved, none reopened, none added.
    am.post_alerts(json!([
        alert("web-2", "warning", -1),
        alert("web-3", "critical", -1)
    ]))
    .await;
    let list = until(&server, &svc, "all resolved", |m| {
        m.len() == 3 && m.values().all(|i| i["status"] == "resolved")
    })
    .await;
    assert_eq!(list.len(), 3);

    let sent = am
        .metric(r#"alertmanager_notifications_total{integration="webhook""#)
        .await;
    let failed = am
        .metric(r#"alertmanager_notifications_failed_total{integration="webhook""#)
        .await;
    assert!(sent >= 4.0, "Alertmanager sent {sent} notifications");
    assert_eq!(failed, 0.0, "Tocsin answered 2xx to every notification");
}
