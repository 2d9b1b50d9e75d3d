//! The scripted story of one alert id, and what the alert source shows.

use serde_json::{json, Value};

use crate::support::{alert, Server};

#[tokio::test]
async fn critical_warning_critical_ok_then_a_new_incident() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (svc, url) = server.new_service("story").await;
    let id = "cpu:host=web-1";

    let (s, first) = server.send(&url, alert(id, "CRITICAL")).await;
    assert_eq!(
        (s, first["action"].as_str()),
        (202, Some("opened")),
        "{first}"
    );
    let inc = first["incident_id"]
        .as_str()
        .expect("incident id")
        .to_owned();
    assert!(inc.starts_with("inc_"));
    for (level, sev) in [("WARNING", "warning"), ("CRITICAL", "critical")] {
        let (s, b) = server.send(&url, alert(id, level)).await;
        assert_eq!(
            (s, b["action"].as_str(), b["incident_id"].as_str()),
            (202, Some("joined"), Some(inc.as_str()))
        );
        let (_, detail) = server.get(&format!("/api/v1/incidents/{inc}")).await;
        assert_eq!(detail["severity"], sev);
    }
    let (_, detail) = server.get(&format!("/api/v1/incidents/{inc}")).await;
    assert_eq!(detail["event_count"], 3);
    assert_eq!(detail["status"], "triggered");
    assert_eq!(detail["number"], 1);
    assert_eq!(detail["tags"]["host"], "web-1");
    assert_eq!(detail["timeline"].as_array().map(Vec::len), Some(3));

    let (s, b) = server.send(&url, alert(id, "OK")).await;
    assert_eq!((s, b["action"].as_str()), (202, Some("resolved")));
    let (_, detail) = server.get(&format!("/api/v1/incidents/{inc}")).await;
    assert_eq!(detail["status"], "resolved");
    assert_eq!(detail["resolved_by"], "kapacitor");
    assert!(detail["resolved_at"].is_string());
    let kinds: Vec<&str> = detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["opened", "joined", "joined", "auto_resolved"]);
    let levels: Vec<&str> = detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["level"].as_str())
        .collect();
    assert_eq!(levels, ["CRITICAL", "WARNING", "CRITICAL", "OK"]);

    // A second OK changes nothing; the next trigger opens a new incident, never reopens.
    let (s, b) = server.send(&url, alert(id, "OK")).await;
    assert_eq!(
        (s, b["action"].as_str(), &b["incident_id"]),
        (202, Some("ignored"), &Value::Null)
    );
    let (_, b) = server.send(&url, alert(id, "CRITICAL")).await;
    assert_eq!(b["action"], "opened");
    assert_ne!(b["incident_id"].as_str(), Some(inc.as_str()));
    assert_eq!(b["incident_number"], 2);
    let all = server.incidents(&svc).await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["status"], "triggered", "newest first");
    assert_eq!(all[1]["status"], "resolved");
}

#[tokio::test]
async fn alert_source_turns_active_by_alert_or_by_test_button() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let svc = server.default_service().await;
    let svc = svc["id"].as_str().expect("id");
    let path = format!("/api/v1/services/{svc}/alert-sources");
    let (s, sources) = server.get(&path).await;
    assert_eq!(s, 200);
    let k = &sources[0];
    assert_eq!(k["source"], "kapacitor");
    assert_eq!(k["name"], "Kapacitor");
    assert_eq!(k["active"], false);
    assert_eq!(k["last_incident_at"], Value::Null);
    let url = k["webhook_url"].as_str().expect("url");
    let key = url.rsplit('/').next().expect("key");
    assert!(
        url.starts_with(&format!("{}/v1/incidents/kapacitor/", server.base)),
        "{url}"
    );
    assert!(
        key.len() >= 22
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "{key}"
    );

    // Search: "kap" finds it, "zzz" finds nothing.
    let (_, found) = server.get(&format!("{path}?q=kap")).await;
    assert_eq!(found.as_array().map(Vec::len), Some(1));
    let (_, none) = server.get(&format!("{path}?q=zzz")).await;
    assert_eq!(none.as_array().map(Vec::len), Some(0));

    // Kapacitor's own connectivity test: recorded, not an incident, not "active".
    let zero = r#"{"id":"","message":"","details":"","time":"0001-01-01T00:00:00Z","duration":0,"level":"OK","data":{"series":null},"previousLevel":"OK","recoverable":false}"#;
    let (s, b) = server.send(url, zero).await;
    assert_eq!((s, b["action"].as_str()), (202, Some("test")), "{b}");
    let (_, sources) = server.get(&path).await;
    assert!(sources[0]["last_test_at"].is_string());
    assert_eq!(sources[0]["active"], false);
    assert!(server.incidents(svc).await.is_empty());

    // The test button: a real incident through the pipeline, then auto-resolved.
    let (s, t) = server
        .post(&format!("{path}/kapacitor/test"), json!({}))
        .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["triggered"]["action"], "opened");
    assert_eq!(t["resolved"]["action"], "resolved");
    let (_, sources) = server.get(&path).await;
    assert_eq!(sources[0]["active"], true);
    assert!(sources[0]["last_incident_at"].is_string());
    let incidents = server.incidents(svc).await;
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0]["status"], "resolved");
    assert_eq!(incidents[0]["resolved_by"], "kapacitor");
}
