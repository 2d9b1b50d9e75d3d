//! The benchmark tooling against the real server: the load generator for a second (no timing
//! asserted, only that it measured and nothing failed), and `tocsin seed`'s history being
//! what real ingest would have left.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tocsin_bench::{page, Endpoint, Kind, Plan, Progress};

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
        new_incidents: false,
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

/// Page mode against the real server: the generator sets a service up with a policy paging
/// its own loopback receiver, opens new incidents at a fixed rate, and every one is paged
/// once and matched to its 202; without a policy nothing is paged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_mode_matches_every_page_to_the_alert_that_opened_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let base = Endpoint::parse(&server.base, Kind::Tocsin).expect("loopback base URL");
    let plan = |n: u64| Plan {
        kind: Kind::Tocsin,
        endpoint: base.clone(),
        concurrency: 4,
        rate: Some(50.0),
        requests: Some(n),
        duration: Duration::from_secs(10),
        keys: 1,
        ok_fraction: 0.0,
        seed: 1,
        new_incidents: true,
    };
    let mut opts = page::Options {
        base: base.clone(),
        admin_token: ADMIN_TOKEN.to_owned(),
        delay_minutes: Some(0),
        receiver_status: 204,
        settle: Duration::from_secs(10),
    };
    let r = page::run(&opts, plan(20), Progress::new())
        .await
        .expect("page run");
    assert_eq!((r.load.accepted, r.load.error_count), (20, 0), "{r:?}");
    let p = &r.page.tally;
    assert_eq!(
        (p.opened, p.paged, p.missing, p.duplicates, p.unmatched),
        (20, 20, 0, 0, 0),
        "{r:?}"
    );
    assert!(
        p.latency_us.max > 0 && p.latency_us.max < 10_000_000,
        "{r:?}"
    );
    let incidents = server.incidents(&r.page.service_id).await;
    assert_eq!(incidents.len(), 20);

    // A second run reuses the pager (its old receiver's contact method replaced); without a
    // policy, nothing is paged.
    let again = page::run(&opts, plan(5), Progress::new())
        .await
        .expect("second page run");
    assert_eq!((again.page.tally.paged, again.page.tally.missing), (5, 0));
    opts.delay_minutes = None;
    let off = page::run(&opts, plan(5), Progress::new())
        .await
        .expect("run without a policy");
    assert_eq!(
        (off.page.tally.opened, off.page.tally.webhooks),
        (5, 0),
        "{off:?}"
    );
}
