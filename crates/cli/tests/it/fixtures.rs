//! Every Kapacitor body in a fixture folder, posted in name order to a fresh service: each
//! outcome must match the incident rules, and the incidents left behind must match a model.
//! The folder is our own test data, or `TOCSIN_KAPACITOR_FIXTURES` (CI points it at the
//! shared, verbatim Kapacitor bodies).

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::support::Server;

fn fixture_dir() -> PathBuf {
    match std::env::var_os("TOCSIN_KAPACITOR_FIXTURES") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/testdata/kapacitor"),
    }
}

#[tokio::test]
async fn every_fixture_opens_joins_and_resolves_by_the_rules() {
    let dir = fixture_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("fixture folder {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "expected a full fixture set in {}, found {}",
        dir.display(),
        files.len()
    );
    eprintln!("posting {} fixtures from {}", files.len(), dir.display());

    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (svc, url) = server.new_service("fixtures").await;

    // The model: open incident per id → (trigger count, latest level).
    let mut open: HashMap<String, (i64, String)> = HashMap::new();
    let mut resolved: Vec<(String, i64)> = Vec::new();
    let mut tests = 0;
    for file in &files {
        let bytes = std::fs::read(file).expect("read fixture");
        let parsed: Value = serde_json::from_slice(&bytes).expect("fixture is JSON");
        let id = parsed["id"].as_str().unwrap_or_default().to_owned();
        let level = parsed["level"].as_str().unwrap_or_default().to_owned();
        let expected = match (level.as_str(), id.is_empty(), open.contains_key(&id)) {
            ("OK", true, _) => "test",
            ("OK", false, true) => "resolved",
            ("OK", false, false) => "ignored",
            (_, _, true) => "joined",
            (_, _, false) => "opened",
        };
        let (status, body) = server.send(&url, bytes).await;
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        assert_eq!(status, 202, "{name}: {body}");
        assert_eq!(body["action"], expected, "{name}: {body}");
        match expected {
            "opened" => {
                open.insert(id, (1, level));
            }
            "joined" => {
                let e = open.get_mut(&id).expect("open");
                e.0 += 1;
                e.1 = level;
            }
            "resolved" => {
                let (n, _) = open.remove(&id).expect("open");
                resolved.push((id, n));
            }
            "test" => tests += 1,
            _ => {}
        }
    }

    let incidents = server.incidents(&svc).await;
    assert_eq!(
        incidents.len(),
        open.len() + resolved.len(),
        "{incidents:#?}"
    );
    for inc in &incidents {
        let key = inc["dedup_key"].as_str().expect("key");
        assert_eq!(inc["alert_source"], "kapacitor");
        if let Some((count, level)) = open.get(key) {
            assert_eq!(inc["status"], "triggered", "{inc}");
            assert_eq!(inc["event_count"], *count, "{inc}");
            assert_eq!(inc["severity"], level.to_lowercase(), "{inc}");
            assert!(inc["title"].as_str().is_some_and(|t| !t.is_empty()));
        } else {
            let (_, count) = resolved
                .iter()
                .find(|(k, _)| k == key)
                .expect("resolved in model");
            assert_eq!(inc["status"], "resolved", "{inc}");
            assert_eq!(inc["resolved_by"], "kapacitor", "{inc}");
            assert_eq!(inc["event_count"], *count, "{inc}");
        }
    }
    // Every body is kept verbatim in some timeline.
    for inc in &incidents {
        for ev in server.timeline(inc["id"].as_str().expect("id")).await {
            assert!(ev["payload"].is_null(), "no body in a timeline: {ev}");
            let payload = server.payload(&ev).await;
            assert!(serde_json::from_str::<Value>(&payload).is_ok());
        }
    }
    // Connectivity tests show on the alert source, not as incidents.
    let (_, sources) = server
        .get(&format!("/api/v1/services/{svc}/alert-sources"))
        .await;
    let k = &sources[0];
    assert_eq!(k["last_test_at"].is_null(), tests == 0, "{k}");
    assert_eq!(k["active"], true, "{k}");
}
