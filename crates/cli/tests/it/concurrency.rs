//! Dedup must hold when alerts race, and distinct alerts must all land.

use std::sync::Arc;

use crate::support::{alert, Server};

#[tokio::test]
async fn identical_triggers_racing_make_one_incident() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Arc::new(Server::spawn_app(tmp.path()).await);
    let (svc, url) = server.new_service("race").await;
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (server, url) = (server.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            server.send(&url, alert("disk:host=db-1", "CRITICAL")).await
        }));
    }
    let mut opened = 0;
    for t in tasks {
        let (s, b) = t.await.expect("task");
        assert_eq!(s, 202, "{b}");
        if b["action"] == "opened" {
            opened += 1;
        }
    }
    assert_eq!(opened, 1);
    let incidents = server.incidents(&svc).await;
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0]["event_count"], 64);
}

#[tokio::test]
async fn a_thousand_distinct_alerts_in_parallel_make_a_thousand_incidents() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Arc::new(Server::spawn_app(tmp.path()).await);
    let (svc, url) = server.new_service("distinct").await;
    let sem = Arc::new(tokio::sync::Semaphore::new(128));
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let (server, url, sem) = (server.clone(), url.clone(), sem.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire().await.expect("permit");
            server
                .send(&url, alert(&format!("cpu:host=h{i}"), "CRITICAL"))
                .await
        }));
    }
    for t in tasks {
        let (s, b) = t.await.expect("task");
        assert_eq!((s, b["action"].as_str()), (202, Some("opened")), "{b}");
    }
    let incidents = server.incidents(&svc).await;
    assert_eq!(incidents.len(), 1000);
    let mut numbers: Vec<i64> = incidents
        .iter()
        .filter_map(|i| i["number"].as_i64())
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), 1000, "incident numbers are unique per team");
}
