//! The API a person or the CLI uses: teams, services, incidents and what people do to them.

use serde_json::{json, Value};

use crate::support::{alert, bin, Server};

#[tokio::test]
async fn acknowledge_resolve_and_notes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (_, url) = server.new_service("people").await;
    let (_, b) = server.send(&url, alert("mem:host=a", "CRITICAL")).await;
    let inc = b["incident_id"].as_str().expect("id").to_owned();

    let (s, n) = server
        .post(
            &format!("/api/v1/incidents/{inc}/notes"),
            json!({"text": "looking into it"}),
        )
        .await;
    assert_eq!(s, 201, "{n}");
    assert_eq!(n["kind"], "note");
    let (s, a) = server
        .post(&format!("/api/v1/incidents/{inc}/acknowledge"), json!({}))
        .await;
    assert_eq!(s, 200, "{a}");
    assert_eq!(a["status"], "acknowledged");
    assert_eq!(a["acknowledged_by"], "admin");
    // Acknowledging twice is harmless.
    let (s, _) = server
        .post(&format!("/api/v1/incidents/{inc}/acknowledge"), json!({}))
        .await;
    assert_eq!(s, 200);
    // A repeat alert joins the acknowledged incident.
    let (_, b) = server.send(&url, alert("mem:host=a", "WARNING")).await;
    assert_eq!(
        (b["action"].as_str(), b["incident_id"].as_str()),
        (Some("joined"), Some(inc.as_str()))
    );
    let (s, r) = server
        .post(&format!("/api/v1/incidents/{inc}/resolve"), json!({}))
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["status"], "resolved");
    assert_eq!(r["resolved_by"], "admin");
    let (s, e) = server
        .post(&format!("/api/v1/incidents/{inc}/resolve"), json!({}))
        .await;
    assert_eq!((s, e["code"].as_str()), (409, Some("conflict")));
    let (s, e) = server
        .post(&format!("/api/v1/incidents/{inc}/acknowledge"), json!({}))
        .await;
    assert_eq!((s, e["code"].as_str()), (409, Some("conflict")));
    // Kapacitor's late OK finds nothing open.
    let (_, b) = server.send(&url, alert("mem:host=a", "OK")).await;
    assert_eq!(b["action"], "ignored");

    let (_, detail) = server.get(&format!("/api/v1/incidents/{inc}")).await;
    let kinds: Vec<&str> = detail["timeline"]
        .as_array()
        .expect("tl")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["opened", "note", "acknowledged", "joined", "resolved"]
    );
    assert_eq!(detail["timeline"][1]["text"], "looking into it");
    assert_eq!(detail["timeline"][1]["actor"], "admin");
}

#[tokio::test]
async fn teams_services_and_incident_queries() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (s, teams) = server.get("/api/v1/teams").await;
    assert_eq!(s, 200);
    assert_eq!(teams[0]["name"], "Default Team");
    assert!(teams[0]["id"]
        .as_str()
        .is_some_and(|i| i.starts_with("team_")));
    let (s, t) = server
        .post("/api/v1/teams", json!({"name": "Payments"}))
        .await;
    assert_eq!(s, 201, "{t}");
    let (s, dup) = server
        .post("/api/v1/teams", json!({"name": "Payments"}))
        .await;
    assert_eq!((s, dup["code"].as_str()), (409, Some("conflict")));
    let team = t["id"].as_str().expect("id");
    let (s, svc) = server
        .post("/api/v1/services", json!({"name": "API", "team_id": team}))
        .await;
    assert_eq!(s, 201, "{svc}");
    assert!(
        svc.get("api_key").is_none(),
        "the key is only shown inside the webhook URL"
    );
    let svc_id = svc["id"].as_str().expect("id");
    let (s, got) = server.get(&format!("/api/v1/services/{svc_id}")).await;
    assert_eq!((s, got["team_id"].as_str()), (200, Some(team)));
    let (_, listed) = server
        .get(&format!("/api/v1/services?team_id={team}"))
        .await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));

    let url = server.kapacitor_url(svc_id).await;
    for i in 0..7 {
        server
            .send(&url, alert(&format!("disk:host=d{i}"), "CRITICAL"))
            .await;
    }
    server.send(&url, alert("disk:host=d0", "OK")).await;
    // Incident numbers are per team: this team's count from 1.
    let all = server.incidents(svc_id).await;
    let mut numbers: Vec<i64> = all.iter().filter_map(|i| i["number"].as_i64()).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=7).collect::<Vec<_>>());

    // Pagination: 3 + 3 + 1, newest first, no overlaps.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let (_, p) = server
            .get(&format!(
                "/api/v1/incidents?service_id={svc_id}&limit=3&cursor={cursor}"
            ))
            .await;
        pages += 1;
        seen.extend(
            p["incidents"]
                .as_array()
                .expect("list")
                .iter()
                .filter_map(|i| i["number"].as_i64()),
        );
        match p["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, vec![7, 6, 5, 4, 3, 2, 1]);

    let count = |v: &Value| v["incidents"].as_array().map(Vec::len).unwrap_or(0);
    let (_, open) = server
        .get(&format!(
            "/api/v1/incidents?service_id={svc_id}&status=open"
        ))
        .await;
    assert_eq!(count(&open), 6);
    let (_, resolved) = server
        .get(&format!(
            "/api/v1/incidents?service_id={svc_id}&status=resolved"
        ))
        .await;
    assert_eq!(count(&resolved), 1);
    let (_, by_key) = server
        .get("/api/v1/incidents?dedup_key=disk:host%3Dd3")
        .await;
    assert_eq!(count(&by_key), 1);
    let (_, text) = server.get("/api/v1/incidents?q=HOST%3DD5").await;
    assert_eq!(count(&text), 1, "case-insensitive text search");
    let (_, by_team) = server
        .get(&format!("/api/v1/incidents?team_id={team}"))
        .await;
    assert_eq!(count(&by_team), 7);
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(tmp.path()).await;
    let (_, url) = server.new_service("m").await;
    server.send(&url, alert("a", "CRITICAL")).await;
    for (path, status) in [("/healthz", 200), ("/readyz", 200)] {
        let r = server
            .http
            .get(server.url(path))
            .send()
            .await
            .expect("send");
        assert_eq!(r.status().as_u16(), status, "{path}");
    }
    let text = server.metrics().await;
    assert!(
        text.contains(r#"tocsin_alerts_total{source="kapacitor",outcome="opened"} 1"#),
        "{text}"
    );
    assert!(text.contains("tocsin_ingest_seconds_count 1"), "{text}");
    assert!(text.contains("tocsin_store_queue_depth"), "{text}");
    // The webhook key is a secret: never in the request log. (Accepted alerts are logged at
    // debug; a refused one is logged at info, with its path.)
    let (s, _) = server.send(&url, "{").await;
    assert_eq!(s, 400);
    let key = url.rsplit('/').next().expect("key");
    assert!(
        !server.log().contains(key),
        "the webhook key leaked into the log"
    );
    assert!(server.log().contains("/v1/incidents/kapacitor/<key>"));
}

#[tokio::test]
async fn kapacitor_config_prints_a_ready_block() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let svc = server.default_service().await;
    let url = server.kapacitor_url(svc["id"].as_str().expect("id")).await;
    let key = url.rsplit('/').next().expect("key");
    drop(server);
    for which in ["Default Service", svc["id"].as_str().expect("id")] {
        let out = std::process::Command::new(bin())
            .args([
                "kapacitor-config",
                "--service",
                which,
                "--endpoint",
                "squadcast",
                "--public-url",
                "http://tocsin.example:8080",
                "--data-dir",
            ])
            .arg(tmp.path())
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("[[httppost]]\n  endpoint = \"squadcast\"\n"),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "  url = \"http://tocsin.example:8080/v1/incidents/kapacitor/{key}\"\n"
            )),
            "{text}"
        );
        assert!(
            text.contains("  headers = { Content-Type = \"application/json\" }"),
            "{text}"
        );
        assert!(text.contains(".endpoint('squadcast')"), "{text}");
    }
    let out = std::process::Command::new(bin())
        .args(["kapacitor-config", "--service", "nope", "--data-dir"])
        .arg(tmp.path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no service named"));
}
