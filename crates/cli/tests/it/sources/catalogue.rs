//! Every source in the service's catalogue: one key for all of them, found by search, a setup
//! guide on the service page with the URL filled in, and a test button that goes through the
//! source's own decoder.

use serde_json::Value;

use crate::support::{metric_value, Server};

const SLUGS: &[&str] = &["prometheus", "grafana", "alerta", "opsgenie2"];

#[tokio::test]
async fn one_key_serves_every_source_and_search_finds_each() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (svc, kapacitor) = server.new_service("catalogue").await;
    let key = kapacitor.rsplit('/').next().expect("key").to_owned();
    let path = format!("/api/v1/services/{svc}/alert-sources");
    for slug in SLUGS {
        let url = server.webhook_url(&svc, slug).await;
        assert_eq!(url, format!("{}/v1/incidents/{slug}/{key}", server.base));
    }
    for (q, want) in [
        ("prom", vec!["prometheus"]),
        ("Alertmanager", vec!["prometheus"]),
        ("graf", vec!["grafana"]),
        ("alerta", vec!["alerta"]),
        ("opsgenie", vec!["opsgenie2"]),
        ("kap", vec!["kapacitor"]),
    ] {
        let (s, found) = server.get(&format!("{path}?q={q}")).await;
        assert_eq!(s, 200, "{found}");
        let got: Vec<&str> = found
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|x| x["source"].as_str())
            .collect();
        assert_eq!(got, want, "q={q}");
    }
}

#[tokio::test]
async fn the_service_page_has_each_guide_with_the_url() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (svc, kapacitor) = server.new_service("guides").await;
    let key = kapacitor.rsplit('/').next().expect("key").to_owned();
    let (s, _, html) = server.get_text(&format!("/services/{svc}")).await;
    assert_eq!(s, 200);
    let base = &server.base;
    for want in [
        format!("url: '{base}/v1/incidents/prometheus/{key}'"),
        "send_resolved: true".to_owned(),
        format!("value=\"{base}/v1/incidents/grafana/{key}\""),
        "Contact points".to_owned(),
        "[alerta]\n  enabled = true".to_owned(),
        format!("url = &quot;{base}/v1/incidents/alerta/{key}&quot;"),
        ".alerta()".to_owned(),
        format!("url = &quot;{base}/v1/incidents/opsgenie2/{key}&quot;"),
        "recovery_action = &quot;close&quot;".to_owned(),
        ".opsGenie2()".to_owned(),
    ] {
        assert!(html.contains(&want), "the page should have {want:?}");
    }
}

#[tokio::test]
async fn test_button_opens_and_resolves_through_each_decoder() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (svc, _) = server.new_service("test button").await;
    for slug in SLUGS {
        let (s, r) = server
            .post(
                &format!("/api/v1/services/{svc}/alert-sources/{slug}/test"),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(s, 200, "{slug}: {r}");
        assert_eq!(r["triggered"]["action"], "opened", "{slug}: {r}");
        assert_eq!(r["resolved"]["action"], "resolved", "{slug}: {r}");
        assert_eq!(r["triggered"]["incident_id"], r["resolved"]["incident_id"]);
    }
    let (_, sources) = server
        .get(&format!("/api/v1/services/{svc}/alert-sources"))
        .await;
    for slug in SLUGS {
        let s = sources
            .as_array()
            .and_then(|a| a.iter().find(|x| x["source"] == *slug))
            .cloned()
            .unwrap_or(Value::Null);
        assert_eq!(s["active"], true, "{s}");
    }
    let incidents = server.incidents(&svc).await;
    assert_eq!(incidents.len(), SLUGS.len());
    for inc in &incidents {
        assert_eq!(inc["status"], "resolved", "{inc}");
    }
    // Counted under each source's label, like Kapacitor's alerts.
    let metrics = server.metrics().await;
    for slug in SLUGS {
        let opened = format!(r#"tocsin_alerts_total{{source="{slug}",outcome="opened"}}"#);
        assert_eq!(metric_value(&metrics, &opened), 1.0, "{opened}");
    }
}

#[tokio::test]
async fn every_alert_of_a_group_is_counted() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (svc, _) = server.new_service("counting").await;
    let url = server.webhook_url(&svc, "prometheus").await;
    let alerts: Vec<String> = (0..5)
        .map(|i| {
            format!(
                r#"{{"status":"firing","labels":{{"alertname":"A{i}"}},"fingerprint":"fp{i}"}}"#
            )
        })
        .collect();
    let body = format!(r#"{{"version":"4","alerts":[{}]}}"#, alerts.join(","));
    let (s, r) = server.send(&url, body).await;
    assert_eq!(s, 202, "{r}");
    assert_eq!(server.incidents(&svc).await.len(), 5);
    let metrics = server.metrics().await;
    let opened = r#"tocsin_alerts_total{source="prometheus",outcome="opened"}"#;
    assert_eq!(metric_value(&metrics, opened), 5.0, "{metrics}");
    assert_eq!(metric_value(&metrics, "tocsin_incidents_opened_total"), 5.0);
}
