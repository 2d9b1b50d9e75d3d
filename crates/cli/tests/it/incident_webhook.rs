//! Squadcast's Incident Webhook through a real server: the project's fixtures posted in order
//! (trigger, repeat, resolve, no `event_id`, a resolve of nothing), the bad-input matrix
//! (each refusal named, nothing stored), Squadcast's 30 KB limit, the catalogue and the test
//! button. pytest-squadcast's own request is `squadcast.rs`.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{json, Value};

use crate::support::{metric_value, Server};

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/testdata/incident_webhook");
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
            (
                name.unwrap_or_default(),
                std::fs::read(p).expect("read fixture"),
            )
        })
        .collect()
}

/// A new service and its Incident Webhook URL.
async fn service(server: &Server, name: &str) -> (String, String) {
    let (id, _) = server.new_service(name).await;
    let src = server.alert_source(&id, "api").await;
    let url = src["webhook_url"].as_str().expect("webhook_url").to_owned();
    (id, url)
}

#[tokio::test]
async fn fixtures_open_join_and_resolve_by_event_id() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (svc, url) = service(&server, "squadcast").await;
    assert!(
        url.starts_with(&server.url("/v2/incidents/api/")),
        "Squadcast's URL shape: {url}"
    );

    // The model: open incident per event_id → (its number, events joined).
    let mut open: HashMap<String, (i64, i64)> = HashMap::new();
    let mut numbers = Vec::new();
    let mut named = std::collections::HashSet::new();
    let mut counts: HashMap<&str, f64> = HashMap::new();
    for (name, bytes) in fixtures() {
        let body: Value = serde_json::from_slice(&bytes).expect("fixture is JSON");
        let id = match &body["event_id"] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        let resolves = body["status"] == "resolve";
        named.insert(id.clone());
        let expected = match (resolves, id.is_empty(), open.contains_key(&id)) {
            (true, _, true) => "resolved",
            (true, _, false) => "ignored",
            (false, true, _) => "opened",
            (false, false, true) => "joined",
            (false, false, false) => "opened",
        };
        let (status, got) = server.send(&url, bytes).await;
        assert_eq!(status, 202, "{name}: {got}");
        assert_eq!(got["action"], expected, "{name}: {got}");
        *counts.entry(expected).or_default() += 1.0;
        let number = got["incident_number"].as_i64();
        match expected {
            "opened" => {
                numbers.push(number.expect("a number"));
                if !id.is_empty() {
                    open.insert(id, (number.expect("a number"), 1));
                }
            }
            "joined" => {
                let e = open.get_mut(&id).expect("open");
                assert_eq!(number, Some(e.0), "{name} joins incident {}", e.0);
                e.1 += 1;
            }
            "resolved" => {
                let (n, _) = open.remove(&id).expect("open");
                assert_eq!(number, Some(n), "{name} resolves incident {n}");
            }
            _ => assert_eq!(got["incident_id"], Value::Null, "{name}"),
        }
    }
    let incidents = server.incidents(&svc).await;
    assert_eq!(incidents.len(), numbers.len(), "one incident per opening");
    for inc in &incidents {
        assert_eq!(inc["alert_source"], "api");
        let key = inc["dedup_key"].as_str().expect("dedup key");
        // A trigger without event_id got a key of its own: nothing can resolve it.
        let want = if open.contains_key(key) || !named.contains(key) {
            "triggered"
        } else {
            "resolved"
        };
        assert_eq!(inc["status"], want, "{inc}");
        if let Some((_, joined)) = open.get(key) {
            assert_eq!(inc["event_count"], *joined, "{inc}");
        }
    }
    // The repeat with a higher priority carries it; the two bodies without event_id are two
    // incidents with keys of their own.
    let disk = incidents
        .iter()
        .find(|i| i["dedup_key"] == "disk:db-1")
        .expect("disk");
    assert_eq!(
        (disk["severity"].as_str(), disk["event_count"].as_i64()),
        (Some("critical"), Some(2))
    );
    assert_eq!(disk["resolved_by"], "api");
    let backups: Vec<_> = incidents
        .iter()
        .filter(|i| i["title"] == "Nightly backup failed")
        .collect();
    assert_eq!(backups.len(), 2);
    assert_ne!(backups[0]["dedup_key"], backups[1]["dedup_key"]);
    let latency = incidents
        .iter()
        .find(|i| i["dedup_key"] == "latency:checkout")
        .expect("latency");
    assert_eq!(
        latency["tags"]["severity"], "critical",
        "a coloured tag keeps its value"
    );
    assert_eq!(latency["tags"]["priority"], "P3");

    let text = server.metrics().await;
    for (outcome, n) in counts {
        let name = format!("tocsin_alerts_total{{source=\"api\",outcome=\"{outcome}\"}}");
        assert_eq!(metric_value(&text, &name), n, "{name}");
    }
    let src = server.alert_source(&svc, "api").await;
    assert_eq!(src["active"], true, "{src}");
    assert_eq!(src["routing_key"], Value::Null, "the key is in the URL");
}

/// (name, URL, body, status, code, a word the detail must contain).
type Case = (
    &'static str,
    String,
    Vec<u8>,
    u16,
    &'static str,
    &'static str,
);

#[tokio::test]
async fn refusals_are_named_and_store_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (svc, url) = service(&server, "refusals").await;
    let key = url.rsplit('/').next().expect("key").to_owned();
    // Squadcast's limit: 30 KB, answered 413 (the router's 256 KiB is far above it).
    let big = json!({"message": "m", "event_id": "big", "description": "x".repeat(30 * 1024)});
    let just_under = {
        let mut b = json!({"message": "m", "event_id": "fits", "description": ""}).to_string();
        let pad = 30 * 1024 - b.len();
        b = json!({"message": "m", "event_id": "fits", "description": "y".repeat(pad)}).to_string();
        b
    };
    assert_eq!(just_under.len(), 30 * 1024);
    let cases: Vec<Case> = vec![
        ("empty", url.clone(), vec![], 400, "empty_body", "empty"),
        (
            "not JSON",
            url.clone(),
            b"message=m".to_vec(),
            400,
            "invalid_json",
            "JSON",
        ),
        (
            "an array",
            url.clone(),
            b"[]".to_vec(),
            400,
            "invalid_json",
            "object",
        ),
        (
            "no message",
            url.clone(),
            br#"{"description":"d","event_id":"a"}"#.to_vec(),
            400,
            "missing_field",
            "message",
        ),
        (
            "message is a number",
            url.clone(),
            br#"{"message":1,"event_id":"a"}"#.to_vec(),
            400,
            "invalid_field",
            "message",
        ),
        (
            "resolve without event_id",
            url.clone(),
            br#"{"status":"resolve"}"#.to_vec(),
            400,
            "missing_field",
            "event_id",
        ),
        (
            "unknown status",
            url.clone(),
            br#"{"message":"m","status":"acknowledge","event_id":"a"}"#.to_vec(),
            400,
            "invalid_field",
            "status",
        ),
        (
            "unknown priority",
            url.clone(),
            br#"{"message":"m","priority":"P0","event_id":"a"}"#.to_vec(),
            400,
            "invalid_field",
            "priority",
        ),
        (
            "tag is a list",
            url.clone(),
            br#"{"message":"m","tags":{"h":["a"]},"event_id":"a"}"#.to_vec(),
            400,
            "invalid_field",
            "tags.h",
        ),
        (
            "tags is a list",
            url.clone(),
            br#"{"message":"m","tags":["h"],"event_id":"a"}"#.to_vec(),
            400,
            "invalid_field",
            "tags",
        ),
        (
            "event_id is an object",
            url.clone(),
            br#"{"message":"m","event_id":{}}"#.to_vec(),
            400,
            "invalid_field",
            "event_id",
        ),
        (
            "invalid UTF-8",
            url.clone(),
            b"{\"message\":\"\xff\"}".to_vec(),
            400,
            "invalid_utf8",
            "UTF-8",
        ),
        (
            "trailing data",
            url.clone(),
            br#"{"message":"m"} {}"#.to_vec(),
            400,
            "invalid_json",
            "trailing",
        ),
        (
            "over 30 KB",
            url.clone(),
            big.to_string().into_bytes(),
            413,
            "payload_too_large",
            "30720",
        ),
        (
            "unknown key",
            server.url("/v2/incidents/api/no-such-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            br#"{"message":"m"}"#.to_vec(),
            404,
            "unknown_key",
            "key",
        ),
        (
            "Kapacitor at the v2 path",
            server.url(&format!("/v2/incidents/kapacitor/{key}")),
            crate::support::alert("a", "CRITICAL").into_bytes(),
            404,
            "unknown_source",
            "kapacitor",
        ),
        (
            "the Incident Webhook at the v1 path",
            server.url(&format!("/v1/incidents/api/{key}")),
            br#"{"message":"m"}"#.to_vec(),
            404,
            "unknown_source",
            "api",
        ),
    ];
    for (name, at, body, status, code, mentions) in cases {
        let (got, b) = server.send(&at, body).await;
        assert_eq!(got, status, "{name}: {b}");
        assert_eq!(b["code"], code, "{name}: {b}");
        let detail = b["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(mentions),
            "{name}: {detail:?} should mention {mentions}"
        );
    }
    assert!(server.incidents(&svc).await.is_empty(), "nothing stored");
    let src = server.alert_source(&svc, "api").await;
    assert_eq!(
        src["last_event_at"],
        Value::Null,
        "no event recorded: {src}"
    );
    let text = server.metrics().await;
    assert_eq!(
        metric_value(
            &text,
            "tocsin_alerts_total{source=\"api\",outcome=\"payload_too_large\"}"
        ),
        1.0
    );
    // Exactly at the limit is taken.
    let (got, b) = server.send(&url, just_under).await;
    assert_eq!((got, b["action"].as_str()), (202, Some("opened")), "{b}");
}

#[tokio::test]
async fn the_catalogue_lists_it_and_its_test_button_goes_through_its_decoder() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (svc, _) = server.new_service("catalogue").await;
    let (s, found) = server
        .get(&format!("/api/v1/services/{svc}/alert-sources?q=incident"))
        .await;
    assert_eq!(s, 200, "{found}");
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found[0]["name"], "Incident Webhook");
    let (s, res) = server
        .post(
            &format!("/api/v1/services/{svc}/alert-sources/api/test"),
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
    let incidents = server.incidents(&svc).await;
    assert_eq!(incidents.len(), 1);
    assert_eq!(
        (
            incidents[0]["alert_source"].as_str(),
            incidents[0]["status"].as_str()
        ),
        (Some("api"), Some("resolved"))
    );
    assert_eq!(server.alert_source(&svc, "api").await["active"], true);
}
