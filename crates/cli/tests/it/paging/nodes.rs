//! Two nodes on one PostgreSQL share the paging work: every node sends, no notification goes
//! out twice (the claim is `FOR UPDATE SKIP LOCKED` with a lease), and when a node dies its
//! claims are taken over once their lease runs out — nothing is lost.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::json;
use tocsin_server::notify::testing::{Answer, HttpReceiver};

use super::engine::{oncall, policy, webhook};
use super::receiver;
use crate::pg_cluster::PgCluster;
use crate::support::{alert, Server};

const PER_RUN: usize = 500;

/// How many times each delivery id arrived.
fn tally(hook: &HttpReceiver) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for r in hook.received() {
        *seen
            .entry(r.header("x-tocsin-delivery").to_owned())
            .or_default() += 1;
    }
    seen
}

async fn wait_distinct(hook: &HttpReceiver, n: usize, within: Duration) -> HashMap<String, usize> {
    let deadline = Instant::now() + within;
    loop {
        let t = tally(hook);
        if t.len() >= n || Instant::now() > deadline {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Post `PER_RUN` new incidents, alternating between the nodes' webhook URLs.
async fn burst(nodes: [&Server; 2], run: &str) {
    let urls = [
        nodes[0].default_webhook().await,
        nodes[1].default_webhook().await,
    ];
    for i in 0..PER_RUN {
        let (st, v) = nodes[i % 2]
            .send(&urls[i % 2], alert(&format!("{run}-{i}"), "CRITICAL"))
            .await;
        assert_eq!(st, 202, "{v}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_page_each_incident_once_and_survive_one_dying() {
    let pg = PgCluster::start();
    let dirs = [
        tempfile::tempdir().expect("tmp"),
        tempfile::tempdir().expect("tmp"),
    ];
    let a = Server::start_pg_with(dirs[0].path(), &pg.url, &["--node-id", "a"]).await;
    let b = Server::start_pg_with(dirs[1].path(), &pg.url, &["--node-id", "b"]).await;
    let (user, team, service) = oncall(&a).await;
    let hook = receiver(Answer::Status(200)).await;
    webhook(&a, &user, "pager", &hook.url("/")).await;
    policy(
        &a,
        &team,
        &service,
        json!([{"delay_minutes": 0, "targets": [{"type": "user", "id": user}]}]),
    )
    .await;

    // Both nodes running: each incident's page arrives exactly once.
    burst([&a, &b], "calm").await;
    let seen = wait_distinct(&hook, PER_RUN, Duration::from_secs(60)).await;
    assert_eq!(seen.len(), PER_RUN, "every incident paged");
    let dupes: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dupes.is_empty(), "sent twice: {dupes:?}");
    let logs = [a.log(), b.log()];

    // A node dies mid-burst: every page still arrives (the dead node's claims after their
    // lease), any repeat with the same delivery id.
    let posting = tokio::spawn({
        let (a_url, b_url) = (a.default_webhook().await, b.default_webhook().await);
        let client = reqwest::Client::new();
        async move {
            let mut ok = 0;
            for i in 0..PER_RUN {
                let url = if i % 2 == 0 { &b_url } else { &a_url };
                let r = client
                    .post(url.as_str())
                    .body(alert(&format!("storm-{i}"), "CRITICAL"))
                    .send()
                    .await;
                // The dead node's half is refused (connection refused), as a crash is.
                if r.is_ok_and(|r| r.status().as_u16() == 202) {
                    ok += 1;
                }
            }
            ok
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    a.kill();
    let accepted = posting.await.expect("poster");
    assert!(
        accepted >= PER_RUN / 2,
        "the live node accepted its half: {accepted}"
    );
    let seen = wait_distinct(&hook, PER_RUN + accepted, Duration::from_secs(120)).await;
    // At least: an alert the dead node committed without its answer getting out pages too.
    assert!(
        seen.len() >= PER_RUN + accepted,
        "{} of {} accepted incidents paged; b's log:\n{}",
        seen.len(),
        PER_RUN + accepted,
        b.log()
    );
    assert!(
        logs.iter().all(|l| !l.contains("panicked")),
        "a node panicked"
    );
    b.kill();
}
