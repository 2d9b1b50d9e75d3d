//! The benchmark tooling against the real server: the load generator for a second (no timing
//! asserted, only that it measured and nothing failed), and `tocsin seed`'s history being
//! what real ingest would have left.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tocsin_bench::{Endpoint, Kind, Plan, Progress};

use crate::support::{alert, bin, Server, ADMIN_TOKEN};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generator_measures_a_real_tocsin_without_errors() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (svc, url) = server.new_service("bench").await;
    let plan = Arc::new(Plan {
        kind: Kind::Tocsin,
        endpoint: Endpoint::parse(&url, Kind::Tocsin).expect("loopback webhook URL"),
        concurrency: 8,
        rate: None,
        requests: None,
        duration: Duration::from_secs(1),
        keys: 20,
        ok_fraction: 0.3,
        seed: 3,
    });
    let report = tocsin_bench::measure(plan, Progress::new()).await;
    assert!(report.accepted > 0, "{report:?}");
    assert_eq!(report.error_count, 0, "{report:?}");
    assert!(
        !report.url.contains(url.rsplit('/').next().unwrap_or("?")),
        "key leaked into the report"
    );

    // What it sent was stored: incidents opened, and some resolved by the OK share.
    let incidents = server.incidents(&svc).await;
    assert!(!incidents.is_empty());
    assert!(
        incidents.iter().any(|i| i["status"] == "resolved"),
        "no recovery resolved anything"
    );
    let events: u64 = incidents
        .iter()
        .filter_map(|i| i["event_count"].as_u64())
        .sum();
    assert!(
        events <= report.accepted,
        "{events} events for {} accepted alerts",
        report.accepted
    );
}

#[tokio::test]
async fn seeded_history_is_what_ingest_leaves_and_numbering_continues() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = std::process::Command::new(bin())
        .args(["seed", "--incidents", "1200", "--data-dir"])
        .arg(tmp.path())
        .env("TOCSIN_ADMIN_TOKEN", ADMIN_TOKEN)
        .env_remove("TOCSIN_DATABASE_URL")
        .output()
        .expect("run tocsin seed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let server = Server::spawn_app(tmp.path()).await;
    let svc = server.default_service().await;
    let svc_id = svc["id"].as_str().expect("service id").to_owned();
    let incidents = server.incidents(&svc_id).await;
    assert_eq!(incidents.len(), 1200);
    assert!(incidents
        .iter()
        .all(|i| i["status"] == "resolved" && i["event_count"] == 2));
    // Newest first by id, and numbers follow creation order like real ingest's.
    let numbers: Vec<i64> = incidents
        .iter()
        .filter_map(|i| i["number"].as_i64())
        .collect();
    assert_eq!(numbers.first(), Some(&1200));
    assert_eq!(numbers.last(), Some(&1));

    let newest = incidents[0]["id"].as_str().expect("id");
    let (s, detail) = server.get(&format!("/api/v1/incidents/{newest}")).await;
    assert_eq!(s, 200, "{detail}");
    let kinds: Vec<&str> = detail["timeline"]
        .as_array()
        .map(|t| t.iter().filter_map(|e| e["kind"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(kinds, ["opened", "auto_resolved"]);
    let payload = server.payload(&detail["timeline"][0]).await;
    let body: Value = serde_json::from_str(&payload).expect("payload is a Kapacitor body");
    assert_eq!(body["level"], "CRITICAL");

    // A live alert on a seeded key opens a new incident, numbered after the history.
    let url = server.kapacitor_url(&svc_id).await;
    let key = detail["dedup_key"].as_str().expect("dedup key");
    let (s, b) = server.send(&url, alert(key, "CRITICAL")).await;
    assert_eq!((s, b["action"].as_str()), (202, Some("opened")), "{b}");
    assert_eq!(b["incident_number"], 1201);
}
