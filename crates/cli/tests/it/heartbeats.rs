//! Heartbeats end to end (issue 18): the API (validation, who sees the check-in URL, audit),
//! the check-in route, a miss that pages through the service's policy and a check-in that
//! resolves it, a miss that happened while the server was killed (`kill -9`) firing once
//! after the restart, and two nodes on one PostgreSQL firing it once. The API's minimum
//! interval is 10 s and there is no clock knob, so each test that waits for a miss waits
//! about that long once; the timer's edges (a second early, again later) are driven with an
//! explicit `now` in the store's conformance suite.

use std::time::Duration;

use serde_json::{json, Value};
use tocsin_server::notify::testing::Answer;

use crate::paging::engine::{oncall, policy, webhook};
use crate::paging::receiver;
use crate::support::{eventually_within, Server};

/// Long enough for a 10 s heartbeat to be missed and fired (the engine looks every second).
const MISS: Duration = Duration::from_secs(20);

/// The check-in URL at this server's own address (the public URL may name another host).
pub fn local(server: &Server, checkin_url: &str) -> String {
    let path = checkin_url.find("/v1/").map_or("", |i| &checkin_url[i..]);
    server.url(path)
}

pub async fn create(server: &Server, svc: &str, body: Value) -> (u16, Value) {
    server
        .post(&format!("/api/v1/services/{svc}/heartbeats"), body)
        .await
}

/// The service's incidents under the heartbeat's key.
async fn heartbeat_incidents(server: &Server, svc: &str, name: &str) -> Vec<Value> {
    server
        .incidents(svc)
        .await
        .into_iter()
        .filter(|i| i["dedup_key"] == format!("heartbeat:{name}"))
        .collect()
}

pub async fn check_in(url: &str, method: reqwest::Method) -> (u16, Value) {
    let r = reqwest::Client::new()
        .request(method, url)
        .send()
        .await
        .expect("check in");
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_are_validated_created_listed_checked_in_and_deleted() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let svc = server.default_service().await;
    let (svc, team) = (
        svc["id"].as_str().expect("id").to_owned(),
        svc["team_id"].as_str().expect("team").to_owned(),
    );

    // Bad input: 400 naming the field, and nothing made.
    for (body, code, needle) in [
        (
            json!({"name": "x", "interval_seconds": 9}),
            "invalid_field",
            "interval_seconds",
        ),
        (
            json!({"name": "x", "interval_seconds": 60, "grace_seconds": -1}),
            "invalid_field",
            "grace_seconds",
        ),
        (
            json!({"name": "  ", "interval_seconds": 60}),
            "invalid_field",
            "name",
        ),
        (json!({"interval_seconds": 60}), "missing_field", "name"),
        (
            json!({"name": "x", "interval_seconds": "often"}),
            "invalid_field",
            "interval_seconds",
        ),
        (
            json!({"name": "x", "interval_seconds": 60, "every": 1}),
            "invalid_field",
            "every",
        ),
    ] {
        let (st, v) = create(&server, &svc, body.clone()).await;
        assert_eq!(st, 400, "{body} → {v}");
        assert_eq!(v["code"], code, "{body} → {v}");
        assert!(
            v["detail"].as_str().unwrap_or("").contains(needle),
            "{body} → {v}"
        );
    }
    let (st, list) = server
        .get(&format!("/api/v1/services/{svc}/heartbeats"))
        .await;
    assert_eq!((st, list.clone()), (200, json!([])), "{list}");

    let (st, hb) = create(
        &server,
        &svc,
        json!({"name": "nightly", "interval_seconds": 3600, "grace_seconds": 600}),
    )
    .await;
    assert_eq!(st, 201, "{hb}");
    assert_eq!(hb["name"], "nightly");
    assert_eq!(hb["interval_seconds"], 3600);
    assert_eq!(hb["grace_seconds"], 600);
    assert_eq!(hb["state"], "ok");
    assert_eq!(hb["last_checkin_at"], Value::Null);
    assert!(hb["due_at"].is_string(), "{hb}");
    let url = hb["checkin_url"]
        .as_str()
        .expect("the admin sees the URL")
        .to_owned();
    assert!(url.contains("/v1/heartbeats/"), "{url}");
    let id = hb["id"].as_str().expect("id").to_owned();

    let (st, v) = create(
        &server,
        &svc,
        json!({"name": "nightly", "interval_seconds": 60}),
    )
    .await;
    assert_eq!(st, 409, "{v}");

    // An observer sees the heartbeat but not its key.
    let obs = server
        .new_user("watcher", "correct horse battery", false)
        .await;
    server.add_member(&team, &obs, "observer").await;
    let token = server.user_token("watcher", "correct horse battery").await;
    let (st, seen) = server
        .call(
            Some(&token),
            "GET",
            &format!("/api/v1/services/{svc}/heartbeats/{id}"),
            None,
        )
        .await;
    assert_eq!(st, 200, "{seen}");
    assert_eq!(seen["checkin_url"], Value::Null);
    let (st, v) = server
        .call(
            Some(&token),
            "POST",
            &format!("/api/v1/services/{svc}/heartbeats"),
            Some(json!({"name": "mine", "interval_seconds": 60})),
        )
        .await;
    assert_eq!(st, 403, "{v}");

    // Checking in: POST or GET, no credential but the key; the deadline moves.
    let (st, v) = check_in(&local(&server, &url), reqwest::Method::POST).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (v["status"].clone(), v["state"].clone()),
        (json!("ok"), json!("ok"))
    );
    assert_eq!(v["resolved_incident_id"], Value::Null);
    let (st, v) = check_in(&local(&server, &url), reqwest::Method::GET).await;
    assert_eq!(st, 200, "{v}");
    let (_, after) = server
        .get(&format!("/api/v1/services/{svc}/heartbeats/{id}"))
        .await;
    assert!(after["last_checkin_at"].is_string(), "{after}");
    let (st, v) = check_in(
        &server.url("/v1/heartbeats/not-a-key"),
        reqwest::Method::POST,
    )
    .await;
    assert_eq!(st, 404, "{v}");
    assert_eq!(v["code"], "unknown_key");
    assert!(v["detail"].is_string(), "{v}");

    // Deleting stops it; its key no longer works; both changes are audited.
    let (st, _) = server
        .call(
            Some(crate::support::ADMIN_TOKEN),
            "DELETE",
            &format!("/api/v1/services/{svc}/heartbeats/{id}"),
            None,
        )
        .await;
    assert_eq!(st, 204);
    let (st, _) = server
        .get(&format!("/api/v1/services/{svc}/heartbeats/{id}"))
        .await;
    assert_eq!(st, 404);
    let (st, _) = check_in(&local(&server, &url), reqwest::Method::POST).await;
    assert_eq!(st, 404);
    let (st, audit) = server.get("/api/v1/audit?limit=50").await;
    assert_eq!(st, 200, "{audit}");
    let text = audit.to_string();
    for action in ["heartbeat.create", "heartbeat.delete"] {
        assert!(text.contains(action), "{action} in {text}");
    }
    assert!(
        !text.contains(url.rsplit('/').next().unwrap_or("")),
        "no key in the audit log"
    );
}

/// A 10 s heartbeat nobody checks in: an incident opens and the policy pages; the check-in
/// resolves it and the person paged hears so. (One real wait of about 10 s.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_heartbeat_pages_and_its_check_in_resolves_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (user, team, svc) = oncall(&server).await;
    let hook = receiver(Answer::Status(200)).await;
    webhook(&server, &user, "pager", &hook.url("/")).await;
    policy(
        &server,
        &team,
        &svc,
        json!([{"delay_minutes": 0, "targets": [{"type": "user", "id": user}]}]),
    )
    .await;
    let (st, hb) = create(
        &server,
        &svc,
        json!({"name": "cron", "interval_seconds": 10}),
    )
    .await;
    assert_eq!(st, 201, "{hb}");
    let url = local(&server, hb["checkin_url"].as_str().expect("url"));

    let pages = hook.wait_for(1, MISS).await.expect("the miss pages");
    let body: Value = serde_json::from_slice(&pages[0].body).expect("JSON");
    assert_eq!(body["event"]["event_type"], "incident.triggered", "{body}");
    let incidents = heartbeat_incidents(&server, &svc, "cron").await;
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    let inc = &incidents[0];
    assert_eq!(inc["status"], "triggered");
    assert_eq!(inc["severity"], "critical");
    assert_eq!(inc["alert_source"], "heartbeat");
    assert_eq!(inc["title"], "Heartbeat cron missed");
    let (_, missed) = server
        .get(&format!(
            "/api/v1/services/{svc}/heartbeats/{}",
            hb["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(missed["state"], "missed");

    let (st, v) = check_in(&url, reqwest::Method::POST).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["resolved_incident_id"], inc["id"]);
    assert_eq!(v["state"], "ok");
    let (_, now) = server
        .get(&format!(
            "/api/v1/incidents/{}",
            inc["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(now["status"], "resolved", "{now}");
    let pages = hook
        .wait_for(2, Duration::from_secs(10))
        .await
        .expect("the resolve notice");
    let body: Value = serde_json::from_slice(&pages[1].body).expect("JSON");
    assert_eq!(body["event"]["event_type"], "incident.resolved", "{body}");
    // The heartbeat source is Tocsin's own: not in the service's alert-source catalogue.
    let (_, sources) = server
        .get(&format!("/api/v1/services/{svc}/alert-sources"))
        .await;
    assert!(!sources.to_string().contains("\"heartbeat\""), "{sources}");
}

/// `kill -9` with a heartbeat about to be missed; it is missed while no server runs; the
/// restarted server fires it at once, exactly once (the timer is the row).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heartbeat_missed_while_the_server_was_killed_fires_once_after_the_restart() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(tmp.path()).await;
    let svc = server.default_service().await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (st, hb) = create(
        &server,
        &svc,
        json!({"name": "backup", "interval_seconds": 10}),
    )
    .await;
    assert_eq!(st, 201, "{hb}");
    server.kill();
    // Overdue while nothing runs.
    tokio::time::sleep(Duration::from_secs(11)).await;

    let server = Server::start(tmp.path()).await;
    let fired = eventually_within(
        "the missed heartbeat's incident",
        Duration::from_secs(10),
        || async {
            let found = heartbeat_incidents(&server, &svc, "backup").await;
            if found.is_empty() {
                Err("no incident yet".to_owned())
            } else {
                Ok(found)
            }
        },
    )
    .await;
    assert_eq!(fired.len(), 1);
    // The engine keeps looking every second: still once.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(heartbeat_incidents(&server, &svc, "backup").await.len(), 1);
    let (_, now) = server
        .get(&format!(
            "/api/v1/services/{svc}/heartbeats/{}",
            hb["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(now["state"], "missed");
}

/// Two nodes on one PostgreSQL, both running their engines: one incident, one page.
#[cfg(feature = "postgres-tests")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_fire_a_missed_heartbeat_once_and_page_once() {
    let pg = crate::pg_cluster::PgCluster::start();
    let dirs = [
        tempfile::tempdir().expect("tmp"),
        tempfile::tempdir().expect("tmp"),
    ];
    let a = Server::start_pg_with(dirs[0].path(), &pg.url, &["--node-id", "a"]).await;
    let b = Server::start_pg_with(dirs[1].path(), &pg.url, &["--node-id", "b"]).await;
    let (user, team, svc) = oncall(&a).await;
    let hook = receiver(Answer::Status(200)).await;
    webhook(&a, &user, "pager", &hook.url("/")).await;
    policy(
        &a,
        &team,
        &svc,
        json!([{"delay_minutes": 0, "targets": [{"type": "user", "id": user}]}]),
    )
    .await;
    for i in 0..5 {
        let (st, v) = create(
            &a,
            &svc,
            json!({"name": format!("job-{i}"), "interval_seconds": 10}),
        )
        .await;
        assert_eq!(st, 201, "{v}");
    }
    hook.wait_for(5, MISS).await.expect("five pages");
    // Both engines keep running a few more cycles: nothing more.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(hook.received().len(), 5, "one page per heartbeat");
    for i in 0..5 {
        assert_eq!(
            heartbeat_incidents(&b, &svc, &format!("job-{i}"))
                .await
                .len(),
            1
        );
    }
}
