//! Several nodes on one PostgreSQL: dedup across nodes, an outage, restarts.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::pg_cluster::PgCluster;
use crate::support::{alert, bin, Server};

/// Two nodes on the cluster, started at the same moment (so their migrations and first-start
/// bootstraps race), each with its own log directory.
async fn two_nodes(pg: &PgCluster) -> (Server, Server, [tempfile::TempDir; 2]) {
    let dirs = [
        tempfile::tempdir().expect("tmp"),
        tempfile::tempdir().expect("tmp"),
    ];
    let (a, b) = tokio::join!(
        Server::start_pg(dirs[0].path(), &pg.url),
        Server::start_pg(dirs[1].path(), &pg.url),
    );
    (a, b, dirs)
}

async fn poll_status(server: &Server, path: &str, want: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = match server.http.get(server.url(path)).send().await {
            Ok(r) => r.status().as_u16(),
            Err(_) => 0,
        };
        if status == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{path} stayed {status}, wanted {want}; log:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn identical_triggers_racing_over_two_nodes_make_one_incident() {
    let pg = PgCluster::start();
    let (a, b, _dirs) = two_nodes(&pg).await;
    let (_, teams) = a.get("/api/v1/teams").await;
    assert_eq!(
        teams.as_array().map(Vec::len),
        Some(1),
        "one bootstrap: {teams}"
    );
    let (svc, url_a) = a.new_service("race").await;
    // Same key, the other node's address.
    let url_b = url_a.replacen(&a.base, &b.base, 1);
    let nodes = [Arc::new(a), Arc::new(b)];
    let mut tasks = Vec::new();
    for i in 0..64 {
        let node = nodes[i % 2].clone();
        let url = if i % 2 == 0 {
            url_a.clone()
        } else {
            url_b.clone()
        };
        tasks.push(tokio::spawn(async move {
            node.send(&url, alert("disk:host=db-1", "CRITICAL")).await
        }));
    }
    let mut opened = 0;
    for t in tasks {
        let (s, body) = t.await.expect("task");
        assert_eq!(s, 202, "{body}");
        assert_eq!(body["incident_number"], 1, "{body}");
        if body["action"] == "opened" {
            opened += 1;
        }
    }
    assert_eq!(opened, 1);
    for node in &nodes {
        let incidents = node.incidents(&svc).await;
        assert_eq!(incidents.len(), 1);
        assert_eq!(incidents[0]["event_count"], 64);
    }
}

#[tokio::test]
async fn an_outage_answers_503_loses_nothing_and_recovers_by_itself() {
    let pg = PgCluster::start();
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start_pg(tmp.path(), &pg.url).await;
    let (svc, url) = server.new_service("outage").await;
    let (s, _) = server.send(&url, alert("before", "CRITICAL")).await;
    assert_eq!(s, 202);

    pg.pause();
    poll_status(&server, "/readyz", 503).await;
    let (s, _) = server.get("/healthz").await;
    assert_eq!(s, 200, "liveness does not depend on the database");
    let mut accepted = vec!["before".to_owned()];
    let mut refused = Vec::new();
    let started = Instant::now();
    for i in 0..20 {
        let key = format!("during-{i}");
        let r = server
            .http
            .post(&url)
            .body(alert(&key, "CRITICAL"))
            .send()
            .await
            .expect("POST");
        match r.status().as_u16() {
            202 => accepted.push(key),
            503 => {
                assert_eq!(
                    r.headers().get("retry-after").map(|v| v.as_bytes()),
                    Some(&b"1"[..])
                );
                let body: serde_json::Value = r.json().await.expect("json");
                assert_eq!(body["code"], "store_unavailable", "{body}");
                refused.push(key);
            }
            other => panic!("unexpected status {other} during the outage"),
        }
    }
    eprintln!(
        "20 alerts during the outage answered in {:?}",
        started.elapsed()
    );
    assert_eq!(
        refused.len(),
        20,
        "nothing can commit while the database is down"
    );

    pg.resume();
    // No restart of tocsin: the pool reconnects on its own.
    poll_status(&server, "/readyz", 200).await;
    for key in &refused {
        let (s, body) = server.send(&url, alert(key, "CRITICAL")).await;
        assert_eq!(
            (s, body["action"].as_str()),
            (202, Some("opened")),
            "{body}"
        );
    }
    let (s, body) = server.send(&url, alert("before", "CRITICAL")).await;
    assert_eq!(
        (s, body["action"].as_str()),
        (202, Some("joined")),
        "{body}"
    );
    let incidents = server.incidents(&svc).await;
    assert_eq!(incidents.len(), 21);
    for key in &accepted {
        assert!(
            incidents.iter().any(|i| i["dedup_key"] == key.as_str()),
            "{key} was accepted and must be kept"
        );
    }
    let before = incidents
        .iter()
        .find(|i| i["dedup_key"] == "before")
        .expect("before");
    assert_eq!(
        before["event_count"], 2,
        "refused alerts left no partial writes"
    );
}

#[tokio::test]
async fn restarting_both_nodes_keeps_everything() {
    let pg = PgCluster::start();
    // Migrations can also run on their own, and twice is harmless.
    for _ in 0..2 {
        let out = Command::new(bin())
            .args(["migrate", "--database-url", &pg.url])
            .output()
            .expect("tocsin migrate");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));
    }
    let (a, b, dirs) = two_nodes(&pg).await;
    let (svc, url_a) = a.new_service("durable").await;
    let url_b = url_a.replacen(&a.base, &b.base, 1);
    for i in 0..10 {
        let (node, url) = if i % 2 == 0 {
            (&a, &url_a)
        } else {
            (&b, &url_b)
        };
        let (s, _) = node.send(url, alert(&format!("k{i}"), "CRITICAL")).await;
        assert_eq!(s, 202);
    }
    let (s, _) = b.send(&url_b, alert("k0", "OK")).await;
    assert_eq!(s, 202);
    let k1 = a
        .incidents(&svc)
        .await
        .into_iter()
        .find(|i| i["dedup_key"] == "k1")
        .expect("k1");
    let k1_id = k1["id"].as_str().expect("id").to_owned();
    let (s, body) = b
        .post(
            &format!("/api/v1/incidents/{k1_id}/acknowledge"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    // Crash both: nothing but what PostgreSQL committed survives.
    a.kill();
    b.kill();

    let a = Server::start_pg(dirs[0].path(), &pg.url).await;
    let b = Server::start_pg(dirs[1].path(), &pg.url).await;
    let (_, teams) = b.get("/api/v1/teams").await;
    assert_eq!(
        teams.as_array().map(Vec::len),
        Some(1),
        "not re-bootstrapped"
    );
    let incidents = b.incidents(&svc).await;
    assert_eq!(incidents.len(), 10);
    let mut numbers: Vec<i64> = incidents
        .iter()
        .filter_map(|i| i["number"].as_i64())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=10).collect::<Vec<_>>());
    let status = |key: &str| {
        incidents
            .iter()
            .find(|i| i["dedup_key"] == key)
            .map(|i| i["status"].clone())
    };
    assert_eq!(status("k0"), Some("resolved".into()));
    assert_eq!(status("k1"), Some("acknowledged".into()));
    // The same webhook key still works on either node, and repeats join.
    let key = url_a.rsplit('/').next().expect("key");
    assert!(a.kapacitor_url(&svc).await.ends_with(key));
    let url_b = b.kapacitor_url(&svc).await;
    let (s, body) = b.send(&url_b, alert("k1", "CRITICAL")).await;
    assert_eq!(
        (s, body["action"].as_str()),
        (202, Some("joined")),
        "{body}"
    );
    let (s, body) = a
        .send(
            &url_b.replacen(&b.base, &a.base, 1),
            alert("k0", "CRITICAL"),
        )
        .await;
    assert_eq!(
        (s, body["action"].as_str()),
        (202, Some("opened")),
        "{body}"
    );
    assert_eq!(body["incident_number"], 11);
}
