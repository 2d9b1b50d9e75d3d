//! Noise control through real HTTP (issue 18): maintenance windows suppress and end, rules are
//! validated on save and run on every alert (tag, set_severity, suppress, route), the preview
//! replays the last alerts, and every change is audited. The same story runs on SQLite and,
//! with `postgres-tests`, on PostgreSQL.

use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{json, Value};

use crate::support::{alert, Server};

async fn send(server: &Server, url: &str, id: &str, level: &str) -> Value {
    let (s, b) = server.send(url, alert(id, level)).await;
    assert_eq!(s, 202, "{b}");
    b
}

async fn incident(server: &Server, id: &str) -> Value {
    let (s, v) = server.get(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(s, 200, "{v}");
    v
}

/// A policy paging an email channel at once, run by `svc`.
async fn paged(server: &Server, team: &str, svc: &str) {
    let c = server
        .admin(
            "POST",
            &format!("/teams/{team}/channels"),
            Some(json!({"type": "email", "name": "ops", "address": "ops@example.com"})),
        )
        .await;
    let p = server
        .admin(
            "POST",
            "/escalation-policies",
            Some(json!({"team_id": team, "name": "now", "repeat": 0,
                "steps": [{"delay_minutes": 0, "targets": [{"type": "channel", "id": c["id"]}]}]})),
        )
        .await;
    server
        .admin(
            "PATCH",
            &format!("/services/{svc}"),
            Some(json!({"escalation_policy_id": p["id"]})),
        )
        .await;
}

async fn notifications(server: &Server, inc: &str) -> usize {
    let (s, v) = server
        .get(&format!("/api/v1/incidents/{inc}/notifications"))
        .await;
    assert_eq!(s, 200, "{v}");
    v.as_array().map_or(0, Vec::len)
}

async fn story(server: &Server) {
    let (_, teams) = server.get("/api/v1/teams").await;
    let team = teams[0]["id"].as_str().expect("team").to_owned();
    let (svc, url) = server.new_service("checkout").await;
    paged(server, &team, &svc).await;

    // A window from a minute ago, until ended.
    let start = (Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    let (s, w) = server
        .post(
            &format!("/api/v1/services/{svc}/maintenance-windows"),
            json!({"start": start, "end": null}),
        )
        .await;
    assert_eq!(s, 201, "{w}");
    assert_eq!(w["active"], true, "{w}");
    assert_eq!(w["time_zone"], "UTC");
    let window = w["id"].as_str().expect("window id").to_owned();
    // Bad windows are refused, naming the field, and nothing is stored.
    let (s, e) = server
        .post(
            &format!("/api/v1/services/{svc}/maintenance-windows"),
            json!({"start": start, "end": start, "time_zone": "Mars/Olympus"}),
        )
        .await;
    assert_eq!((s, e["code"].as_str()), (400, Some("invalid_field")), "{e}");
    assert!(
        e["detail"].as_str().unwrap_or_default().contains("end"),
        "{e}"
    );

    // During the window: stored, visible, suppressed, never paged; repeats join it.
    let first = send(server, &url, "cpu", "CRITICAL").await;
    assert_eq!(first["action"], "suppressed", "{first}");
    let inc = first["incident_id"].as_str().expect("incident").to_owned();
    let again = send(server, &url, "cpu", "CRITICAL").await;
    assert_eq!(
        (again["action"].as_str(), again["incident_id"].as_str()),
        (Some("suppressed"), Some(inc.as_str()))
    );
    let i = incident(server, &inc).await;
    assert_eq!(
        (i["status"].as_str(), i["event_count"].as_i64()),
        (Some("suppressed"), Some(2)),
        "{i}"
    );
    let timeline = server.timeline(&inc).await;
    assert_eq!(timeline[0]["kind"], "suppressed");
    assert!(
        timeline[0]["text"]
            .as_str()
            .unwrap_or_default()
            .contains(&window),
        "the timeline names the window: {timeline:?}"
    );
    let (s, list) = server
        .get(&format!(
            "/api/v1/incidents?service_id={svc}&status=suppressed"
        ))
        .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(
        list["incidents"].as_array().map(Vec::len),
        Some(1),
        "{list}"
    );

    // Ended early: the next alert opens an incident that pages.
    let (s, ended) = server
        .call(
            Some(crate::support::ADMIN_TOKEN),
            "DELETE",
            &format!("/api/v1/services/{svc}/maintenance-windows/{window}"),
            None,
        )
        .await;
    assert_eq!(
        (s, ended["result"].as_str()),
        (200, Some("ended")),
        "{ended}"
    );
    let opened = send(server, &url, "cpu", "CRITICAL").await;
    assert_eq!(opened["action"], "opened", "{opened}");
    let paged_inc = opened["incident_id"].as_str().expect("incident").to_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    while notifications(server, &paged_inc).await == 0 {
        assert!(
            Instant::now() < deadline,
            "the open incident was never paged"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        notifications(server, &inc).await,
        0,
        "a suppressed incident pages nobody"
    );
    let (_, windows) = server
        .get(&format!("/api/v1/services/{svc}/maintenance-windows"))
        .await;
    assert_eq!(windows[0]["active"], false, "{windows}");
    assert!(windows[0]["ended_at"].is_string(), "{windows}");

    // Invalid rules: 400 naming the rule and field; nothing stored.
    let rules_path = format!("/api/v1/services/{svc}/rules");
    let put = |body: Value| {
        let path = rules_path.clone();
        async move {
            server
                .call(Some(crate::support::ADMIN_TOKEN), "PUT", &path, Some(body))
                .await
        }
    };
    let (s, e) = put(json!([
        {"action": "suppress", "conditions": [{"field": "title", "op": "matches", "value": "("}]}
    ]))
    .await;
    assert_eq!((s, e["code"].as_str()), (400, Some("invalid_field")), "{e}");
    assert!(
        e["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("rules[0].conditions[0].value"),
        "{e}"
    );
    let (s, e) = put(json!([{"action": "tag", "tags": {"a": "b"}}, {"action": "shout"}])).await;
    assert_eq!(s, 400, "{e}");
    assert!(
        e["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("rules[1].action"),
        "{e}"
    );
    let other_team = server
        .admin("POST", "/teams", Some(json!({"name": "elsewhere"})))
        .await;
    let foreign = server
        .admin(
            "POST",
            "/services",
            Some(json!({"name": "theirs", "team_id": other_team["id"]})),
        )
        .await;
    let (s, e) = put(json!([{"action": "route", "service_id": foreign["id"]}])).await;
    assert_eq!(s, 400, "{e}");
    assert!(
        e["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("rules[0].service_id"),
        "{e}"
    );
    let (s, none) = server.get(&rules_path).await;
    assert_eq!((s, none), (200, json!([])));

    // Valid rules, in order: tag from a capture, severity, route, suppress.
    let (db, db_url) = server.new_service("database").await;
    let rules = json!([
        {"action": "tag", "conditions": [{"field": "title", "op": "matches", "value": "^(?P<what>\\w+) is"}],
         "tags": {"what": "${what}"}},
        {"action": "set_severity", "conditions": [{"field": "dedup_key", "op": "==", "value": "disk"}],
         "severity": "info"},
        {"action": "route", "conditions": [{"field": "payload.data.series[0].name", "op": "==", "value": "cpu"},
                                            {"field": "dedup_key", "op": "==", "value": "db-cpu"}],
         "service_id": db},
        {"action": "suppress", "conditions": [{"field": "dedup_key", "op": "contains", "value": "noisy"}]}
    ]);
    let (s, saved) = put(rules.clone()).await;
    assert_eq!((s, &saved), (200, &rules), "{saved}");
    let (_, read) = server.get(&rules_path).await;
    assert_eq!(read, rules);

    let disk = send(server, &url, "disk", "CRITICAL").await;
    let i = incident(server, disk["incident_id"].as_str().expect("id")).await;
    assert_eq!(
        (i["severity"].as_str(), i["tags"]["what"].as_str()),
        (Some("info"), Some("disk")),
        "{i}"
    );
    let routed = send(server, &url, "db-cpu", "CRITICAL").await;
    let i = incident(server, routed["incident_id"].as_str().expect("id")).await;
    assert_eq!(i["service_id"].as_str(), Some(db.as_str()), "routed: {i}");
    let timeline = server.timeline(i["id"].as_str().expect("id")).await;
    assert!(
        timeline[0]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("routed here from service checkout"),
        "{timeline:?}"
    );
    let resolved = send(server, &url, "db-cpu", "OK").await;
    assert_eq!(
        (
            resolved["action"].as_str(),
            resolved["incident_id"].as_str()
        ),
        (Some("resolved"), i["id"].as_str())
    );
    let noisy = send(server, &url, "noisy-thing", "CRITICAL").await;
    assert_eq!(noisy["action"], "suppressed");
    let timeline = server
        .timeline(noisy["incident_id"].as_str().expect("id"))
        .await;
    assert!(
        timeline[0]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("rule 3 (suppress)"),
        "{timeline:?}"
    );
    // The routed-to service's own URL is untouched by the origin's rules.
    assert_eq!(
        send(server, &db_url, "db-cpu", "CRITICAL").await["action"],
        "opened"
    );

    // The preview: what other rules would do to the last alerts, without saving them.
    let (s, p) = server
        .post(
            &format!("/api/v1/services/{svc}/rules/preview"),
            json!({"rules": [{"action": "suppress", "conditions": [{"field": "dedup_key", "op": "==", "value": "cpu"}]}]}),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    let alerts = p["alerts"].as_array().expect("alerts");
    assert!(!alerts.is_empty() && alerts.len() <= 50, "{p}");
    let cpu: Vec<&Value> = alerts.iter().filter(|a| a["dedup_key"] == "cpu").collect();
    assert!(
        !cpu.is_empty()
            && cpu
                .iter()
                .all(|a| a["suppress"] == true && a["matched"] == json!([0])),
        "{p}"
    );
    assert!(
        alerts
            .iter()
            .filter(|a| a["dedup_key"] != "cpu")
            .all(|a| a["suppress"] == false),
        "{p}"
    );
    let (_, still) = server.get(&rules_path).await;
    assert_eq!(still, rules, "a preview saves nothing");

    // Every change is in the audit log.
    let (_, audit) = server.get("/api/v1/audit?limit=100").await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for want in [
        "service.rules.update",
        "service.maintenance_window.create",
        "service.maintenance_window.end",
    ] {
        assert!(actions.contains(&want), "{want} in {actions:?}");
    }
}

#[tokio::test]
async fn windows_and_rules_on_sqlite() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    story(&server).await;
}

#[cfg(feature = "postgres-tests")]
#[tokio::test]
async fn windows_and_rules_on_postgres() {
    let pg = crate::pg_cluster::PgCluster::start();
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app_pg(tmp.path(), &pg.url).await;
    story(&server).await;
}

/// `tocsin <args>` against `server` with the admin token: whether it worked, stdout, stderr.
async fn cli(server: &Server, args: &[&str]) -> (bool, String, String) {
    let mut cmd = std::process::Command::new(crate::support::bin());
    cmd.args(args)
        .env("TOCSIN_SERVER", &server.base)
        .env("TOCSIN_TOKEN", crate::support::ADMIN_TOKEN);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("run tocsin");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `tocsin maintenance list|create|end` and `tocsin service rules get|set`, as a person runs
/// them against a server.
#[tokio::test]
async fn the_cli_manages_windows_and_rules() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (svc, url) = server.new_service("batch").await;

    let start = (Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    let (ok, out, err) = cli(
        &server,
        &["maintenance", "create", &svc, "--start", &start, "--json"],
    )
    .await;
    assert!(ok, "{err}");
    let w: Value = serde_json::from_str(&out).expect("json");
    let id = w["id"].as_str().expect("id").to_owned();
    assert_eq!(w["active"], true);
    let (ok, out, err) = cli(&server, &["maintenance", "list", &svc]).await;
    assert!(
        ok && out.contains(&id) && out.contains("true"),
        "{out}{err}"
    );
    assert_eq!(
        send(&server, &url, "cpu", "CRITICAL").await["action"],
        "suppressed"
    );
    let (ok, out, err) = cli(&server, &["maintenance", "end", &svc, &id]).await;
    assert!(ok, "{err}");
    assert_eq!(out.trim(), format!("ended maintenance window {id}"));
    assert_eq!(
        send(&server, &url, "cpu", "CRITICAL").await["action"],
        "opened"
    );
    // A bad window: the server's refusal, and a failed exit.
    let (ok, _, err) = cli(
        &server,
        &["maintenance", "create", &svc, "--start", &start, "--weekly"],
    )
    .await;
    assert!(
        !ok && err.contains("400 invalid_field") && err.contains("end"),
        "{err}"
    );

    let file = tmp.path().join("rules.json");
    std::fs::write(
        &file,
        r#"[{"action": "suppress", "conditions": [{"field": "dedup_key", "op": "==", "value": "cpu"}]}]"#,
    )
    .expect("write");
    let (ok, out, err) = cli(
        &server,
        &[
            "service",
            "rules",
            "set",
            &svc,
            "--file",
            &file.to_string_lossy(),
        ],
    )
    .await;
    assert!(ok, "{err}");
    assert_eq!(out.trim(), format!("saved 1 rule on {svc}"));
    let (ok, out, err) = cli(&server, &["service", "rules", "get", &svc]).await;
    assert!(ok, "{err}");
    let got: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(got[0]["action"], "suppress", "{got}");
    std::fs::write(
        &file,
        r#"[{"action": "suppress", "conditions": [{"field": "tags", "op": "==", "value": "x"}]}]"#,
    )
    .expect("write");
    let (ok, _, err) = cli(
        &server,
        &[
            "service",
            "rules",
            "set",
            &svc,
            "--file",
            &file.to_string_lossy(),
        ],
    )
    .await;
    assert!(!ok && err.contains("rules[0].conditions[0].field"), "{err}");
    let (_, out, _) = cli(&server, &["service", "rules", "get", &svc]).await;
    assert_eq!(
        serde_json::from_str::<Value>(&out).expect("json"),
        got,
        "nothing changed"
    );
}
