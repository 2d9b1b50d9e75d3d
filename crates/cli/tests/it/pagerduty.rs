//! PagerDuty's Events API v2 through a real server: the project's fixtures posted in order
//! (Kapacitor's trigger, repeat, an acknowledge, a repeat after it, resolve on OK; other
//! clients' events), PagerDuty's answers exactly, the bad-input matrix in PagerDuty's shape
//! (nothing stored), the same per-key rate limit as the key in a URL, the catalogue's
//! enqueue URL and routing key. A real kapacitord's `pagerduty2` is `tests/kapacitor/`.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::support::{metric_value, Server};

fn fixtures(key: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/testdata/pagerduty");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("fixture folder {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "fixtures in {}", dir.display());
    files
        .iter()
        .map(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            let text = std::fs::read_to_string(p).expect("read fixture");
            (
                name.unwrap_or_default(),
                text.replace("ROUTING_KEY", key).into_bytes(),
            )
        })
        .collect()
}

/// A new service, its enqueue URL and routing key, as the catalogue gives them.
async fn service(server: &Server, name: &str) -> (String, String, String) {
    let (id, _) = server.new_service(name).await;
    let src = server.alert_source(&id, "pagerduty").await;
    let url = src["webhook_url"].as_str().expect("webhook_url").to_owned();
    let key = src["routing_key"].as_str().expect("routing_key").to_owned();
    (id, url, key)
}

/// PagerDuty's success answer, exactly: three fields.
fn assert_success(name: &str, status: u16, got: &Value) -> String {
    assert_eq!(status, 202, "{name}: {got}");
    assert_eq!(got.as_object().map(|o| o.len()), Some(3), "{name}: {got}");
    assert_eq!(
        (got["status"].as_str(), got["message"].as_str()),
        (Some("success"), Some("Event processed")),
        "{name}: {got}"
    );
    got["dedup_key"].as_str().expect("dedup_key").to_owned()
}

#[tokio::test]
async fn fixtures_trigger_acknowledge_and_resolve_answered_as_pagerduty() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    fixture_story(&server).await;
}

/// The same story on PostgreSQL (its set-based batch writes the acknowledge).
#[cfg(feature = "postgres-tests")]
#[tokio::test]
async fn fixtures_trigger_acknowledge_and_resolve_on_postgres() {
    let pg = crate::pg_cluster::PgCluster::start();
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app_pg(tmp.path(), &pg.url).await;
    fixture_story(&server).await;
}

async fn fixture_story(server: &Server) {
    let (svc, url, key) = service(server, "pagerduty").await;
    assert_eq!(url, server.url("/v2/enqueue"));
    let kapacitor = server.alert_source(&svc, "kapacitor").await;
    assert!(
        kapacitor["webhook_url"]
            .as_str()
            .is_some_and(|u| u.ends_with(&key)),
        "one key for all sources: {kapacitor}"
    );

    // The model: open dedup key → (acknowledged, events).
    let mut open: HashMap<String, (bool, i64)> = HashMap::new();
    let mut generated = None;
    for (name, bytes) in fixtures(&key) {
        let body: Value = serde_json::from_slice(&bytes).expect("fixture is JSON");
        let given = body["dedup_key"].as_str().unwrap_or_default().to_owned();
        let action = body["event_action"].as_str().unwrap_or_default();
        let (status, got) = server.send(&url, bytes).await;
        let dedup = assert_success(&name, status, &got);
        if given.is_empty() {
            assert!(!dedup.is_empty(), "{name}: a key is made up");
            generated = Some(dedup.clone());
        } else {
            assert_eq!(dedup, given, "{name}");
        }
        match (action, open.get_mut(&dedup)) {
            ("trigger", Some(e)) => e.1 += 1,
            ("trigger", None) => {
                open.insert(dedup, (false, 1));
            }
            ("acknowledge", Some(e)) => e.0 = true,
            ("resolve", Some(_)) => {
                open.remove(&dedup);
            }
            _ => {}
        }
    }
    // The key made up for a trigger without one resolves it.
    let made = generated.expect("a fixture without dedup_key");
    let resolve = json!({"routing_key": key, "event_action": "resolve", "dedup_key": made});
    let (status, got) = server.send(&url, resolve.to_string()).await;
    assert_success("resolve by the made-up key", status, &got);
    open.remove(&made);

    let incidents = server.incidents(&svc).await;
    assert_eq!(incidents.len(), 3, "cpu, the made-up one, deploy");
    for inc in &incidents {
        assert_eq!(inc["alert_source"], "pagerduty");
        let key = inc["dedup_key"].as_str().expect("key");
        let want = match open.get(key) {
            Some((true, _)) => "acknowledged",
            Some((false, _)) => "triggered",
            None => "resolved",
        };
        assert_eq!(inc["status"], want, "{inc}");
    }
    let cpu = incidents
        .iter()
        .find(|i| i["dedup_key"] == "cpu:host=web-1")
        .expect("cpu");
    assert_eq!(
        cpu["event_count"], 3,
        "trigger, repeat, repeat after the acknowledge"
    );
    assert_eq!(cpu["acknowledged_by"], "pagerduty");
    assert!(cpu["acknowledged_at"].is_string(), "{cpu}");
    assert_eq!(cpu["resolved_by"], "pagerduty");
    assert_eq!(cpu["tags"]["source"], "web-1");
    let kinds: Vec<String> = server
        .timeline(cpu["id"].as_str().expect("id"))
        .await
        .iter()
        .filter_map(|e| e["kind"].as_str().map(str::to_owned))
        .collect();
    assert!(kinds.contains(&"acknowledged".to_owned()), "{kinds:?}");

    let text = server.metrics().await;
    for (outcome, n) in [
        ("opened", 3.0),
        ("joined", 2.0),
        ("acknowledged", 1.0),
        ("resolved", 3.0),
        ("ignored", 2.0),
    ] {
        let name = format!("tocsin_alerts_total{{source=\"pagerduty\",outcome=\"{outcome}\"}}");
        assert_eq!(metric_value(&text, &name), n, "{name}");
    }
}

#[tokio::test]
async fn refusals_are_answered_as_pagerduty_and_store_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (svc, url, key) = service(&server, "refusals").await;
    let ev = |v: Value| v.to_string().into_bytes();
    let trigger = |payload: Value| {
        ev(
            json!({"routing_key": key, "event_action": "trigger", "dedup_key": "a", "payload": payload}),
        )
    };
    let cases: Vec<(&str, Vec<u8>, u16, &str, &str)> = vec![
        ("empty", vec![], 400, "empty_body", "empty"),
        (
            "not JSON",
            b"routing_key=x".to_vec(),
            400,
            "invalid_json",
            "JSON",
        ),
        (
            "no routing_key",
            ev(json!({"event_action": "trigger"})),
            400,
            "missing_field",
            "routing_key",
        ),
        (
            "routing_key is a number",
            ev(json!({"routing_key": 5})),
            400,
            "invalid_field",
            "routing_key",
        ),
        (
            "unknown routing_key",
            ev(
                json!({"routing_key": "no-such-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "event_action": "trigger"}),
            ),
            400,
            "unknown_key",
            "key",
        ),
        (
            "no event_action",
            ev(json!({"routing_key": key})),
            400,
            "missing_field",
            "event_action",
        ),
        (
            "unknown event_action",
            ev(json!({"routing_key": key, "event_action": "snooze", "dedup_key": "a"})),
            400,
            "invalid_field",
            "event_action",
        ),
        (
            "trigger without payload",
            ev(json!({"routing_key": key, "event_action": "trigger"})),
            400,
            "missing_field",
            "payload.summary",
        ),
        (
            "no source",
            trigger(json!({"summary": "s", "severity": "info"})),
            400,
            "missing_field",
            "payload.source",
        ),
        (
            "unknown severity",
            trigger(json!({"summary": "s", "source": "h", "severity": "bad"})),
            400,
            "invalid_field",
            "payload.severity",
        ),
        (
            "bad timestamp",
            trigger(
                json!({"summary": "s", "source": "h", "severity": "info", "timestamp": "noon"}),
            ),
            400,
            "invalid_field",
            "payload.timestamp",
        ),
        (
            "payload is a list",
            ev(json!({"routing_key": key, "event_action": "trigger", "payload": []})),
            400,
            "invalid_field",
            "payload",
        ),
        (
            "resolve without dedup_key",
            ev(json!({"routing_key": key, "event_action": "resolve"})),
            400,
            "missing_field",
            "dedup_key",
        ),
        (
            "dedup_key over 255",
            ev(
                json!({"routing_key": key, "event_action": "acknowledge", "dedup_key": "k".repeat(256)}),
            ),
            400,
            "invalid_field",
            "dedup_key",
        ),
    ];
    for (name, body, status, code, mentions) in cases {
        let (got, b) = server.send(&url, body).await;
        assert_eq!(got, status, "{name}: {b}");
        assert_eq!(
            (b["status"].as_str(), b["message"].as_str()),
            (Some("invalid event"), Some("Event object is invalid")),
            "{name}: {b}"
        );
        assert_eq!(b["code"], code, "{name}: {b}");
        let detail = b["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(mentions),
            "{name}: {detail:?} should mention {mentions}"
        );
        assert_eq!(b["errors"], json!([detail]), "{name}: {b}");
    }
    // A declared oversize body is refused before it is read, in PagerDuty's shape too.
    let r = server
        .http
        .post(&url)
        .header("content-type", "application/json")
        .body(vec![b' '; 300 * 1024])
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 413);
    // Unread, so not reusable: a pooled client must not send its next request down it.
    assert_eq!(
        r.headers().get("connection").and_then(|v| v.to_str().ok()),
        Some("close")
    );
    let b: Value = r.json().await.expect("json");
    assert_eq!(
        (b["status"].as_str(), b["code"].as_str()),
        (Some("invalid event"), Some("payload_too_large")),
        "{b}"
    );

    assert!(server.incidents(&svc).await.is_empty(), "nothing stored");
    let src = server.alert_source(&svc, "pagerduty").await;
    assert_eq!(
        src["last_event_at"],
        Value::Null,
        "no event recorded: {src}"
    );
    let text = server.metrics().await;
    assert_eq!(
        metric_value(
            &text,
            "tocsin_alerts_total{source=\"pagerduty\",outcome=\"unknown_key\"}"
        ),
        1.0
    );
}

/// The key in the body is the key in the URL: one bucket, whichever source spends it.
#[tokio::test]
async fn the_routing_key_spends_the_services_rate_limit() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app_with(
        tmp.path(),
        &["--rate-limit-per-key", "1", "--rate-limit-burst", "2"],
    )
    .await;
    let (svc, url, key) = service(&server, "limited").await;
    let kapacitor = server.alert_source(&svc, "kapacitor").await["webhook_url"]
        .as_str()
        .expect("url")
        .to_owned();
    for i in 0..2 {
        let (s, b) = server
            .send(
                &kapacitor,
                crate::support::alert(&format!("k{i}"), "CRITICAL"),
            )
            .await;
        assert_eq!(s, 202, "{b}");
    }
    let ev = json!({"routing_key": key, "event_action": "trigger", "dedup_key": "p", "payload": {"summary": "s", "source": "h", "severity": "critical"}});
    let r = server
        .http
        .post(&url)
        .header("content-type", "application/json")
        .body(ev.to_string())
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.headers().get("retry-after").is_some());
    let b: Value = r.json().await.expect("json");
    assert_eq!(
        (b["status"].as_str(), b["code"].as_str()),
        (Some("throttle event"), Some("rate_limited")),
        "{b}"
    );
    assert_eq!(
        server.incidents(&svc).await.len(),
        2,
        "the throttled event stored nothing"
    );
}

#[tokio::test]
async fn the_catalogue_hides_the_routing_key_from_low_roles_and_tests_through_the_decoder() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (svc, _, key) = service(&server, "catalogue").await;
    let (s, res) = server
        .post(
            &format!("/api/v1/services/{svc}/alert-sources/pagerduty/test"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{res}");
    assert_eq!(
        (
            res["triggered"]["action"].as_str(),
            res["resolved"]["action"].as_str()
        ),
        (Some("opened"), Some("resolved"))
    );
    assert_eq!(server.alert_source(&svc, "pagerduty").await["active"], true);

    let (_, teams) = server.get("/api/v1/teams").await;
    let team = teams[0]["id"].as_str().expect("team").to_owned();
    let user = server.new_user("rita", "a long password 1", false).await;
    server.add_member(&team, &user, "responder").await;
    let rita = server.user_token("rita", "a long password 1").await;
    let (s, sources) = server
        .call(
            Some(&rita),
            "GET",
            &format!("/api/v1/services/{svc}/alert-sources?q=pager"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{sources}");
    assert_eq!(sources.as_array().map(Vec::len), Some(1), "{sources}");
    assert_eq!(
        (
            sources[0]["webhook_url"].clone(),
            sources[0]["routing_key"].clone()
        ),
        (Value::Null, Value::Null)
    );
    assert!(!sources.to_string().contains(&key));
}

/// The service page: each new source has its panel, and its set-up guide with the person's
/// own URL and key filled in, for those who may see the key; others see neither.
#[tokio::test]
async fn the_service_page_guides_each_source_with_the_callers_url_and_key() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (svc, enqueue, key) = service(&server, "guided").await;
    let (_, teams) = server.get("/api/v1/teams").await;
    let team = teams[0]["id"].as_str().expect("team").to_owned();
    let pw = "a long password 1";
    for (name, role) in [("ada", "admin"), ("rita", "responder")] {
        let user = server.new_user(name, pw, false).await;
        server.add_member(&team, &user, role).await;
    }
    let path = format!("/services/{svc}");
    let ada = server.session("ada", pw).await;
    let html = crate::support::page_ok(&server, &ada, &path).await;
    let api_url = server.url(&format!("/v2/incidents/api/{key}"));
    crate::support::has_all(
        &html,
        &path,
        &[
            "data-source-panel=\"api\"",
            "data-source-panel=\"pagerduty\"",
            "Incident Webhook",
            "PagerDuty Events API v2",
            "id=\"pagerduty-routing-key\"",
            "id=\"api-guide-trigger\"",
            "id=\"pagerduty-guide-conf\"",
            "pagerDuty2()",
            &enqueue,
            &api_url,
            &format!("routing-key = &quot;{key}&quot;"),
        ],
    );
    let rita = server.session("rita", pw).await;
    let html = crate::support::page_ok(&server, &rita, &path).await;
    crate::support::has_all(&html, &path, &["data-source-panel=\"pagerduty\""]);
    crate::support::has_none(
        &html,
        &path,
        &[
            &key,
            "pagerduty-guide-conf",
            "api-guide-trigger",
            "pagerduty-routing-key",
        ],
    );
}
