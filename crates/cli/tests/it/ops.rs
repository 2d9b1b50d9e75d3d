//! Operations: backup while serving, restore into a fresh data directory, and the metrics an
//! operator watches.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::support::{alert, bin, metric_value, Server, ADMIN_TOKEN};

fn backup(data_dir: &std::path::Path, to: &std::path::Path) -> std::process::Output {
    Command::new(bin())
        .args(["backup", "--data-dir"])
        .arg(data_dir)
        .arg("--to")
        .arg(to)
        .env_remove("TOCSIN_DATABASE_URL")
        .output()
        .expect("run tocsin backup")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_serving_then_restore() {
    let tmp = tempfile::tempdir().expect("tmp");
    let live = tmp.path().join("live");
    std::fs::create_dir_all(&live).expect("mkdir");
    let server = Server::start(&live).await;
    let (svc, url) = server.new_service("backed-up").await;
    for i in 0..30 {
        let (s, _) = server
            .send(&url, alert(&format!("b:{i}"), "CRITICAL"))
            .await;
        assert_eq!(s, 202);
    }
    assert_eq!(server.send(&url, alert("b:0", "OK")).await.0, 202);

    // Back up while alerts keep arriving.
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let (http, url, stop) = (server.http.clone(), url.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) && n < 5_000 {
                let r = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(alert(&format!("during:{}", n % 10), "WARNING"))
                    .send()
                    .await
                    .expect("send");
                assert_eq!(r.status(), 202);
                n += 1;
            }
            n
        })
    };
    let file = tmp.path().join("tocsin-backup.db");
    let out = tokio::task::spawn_blocking({
        let (live, file) = (live.clone(), file.clone());
        move || backup(&live, &file)
    })
    .await
    .expect("backup task");
    stop.store(true, Ordering::Relaxed);
    let during = load.await.expect("load");
    assert!(
        out.status.success(),
        "backup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("To restore"));
    eprintln!("backup taken with {during} alerts arriving around it");

    // A second backup to the same file is refused rather than overwriting it.
    let again = backup(&live, &file);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    // A data directory with no database is an error, and creates nothing.
    let empty = tmp.path().join("empty");
    let none = backup(&empty, &tmp.path().join("nothing.db"));
    assert!(!none.status.success());
    assert!(!tmp.path().join("nothing.db").exists());

    // The original keeps serving.
    assert_eq!(
        server.send(&url, alert("after-backup", "CRITICAL")).await.0,
        202
    );
    drop(server);

    // Restore: copy the file into a fresh data directory as tocsin.db and start.
    let restored = tmp.path().join("restored");
    std::fs::create_dir_all(&restored).expect("mkdir");
    std::fs::copy(&file, restored.join("tocsin.db")).expect("copy");
    let server = Server::start(&restored).await;
    let incidents = server.incidents(&svc).await;
    let keys: Vec<&str> = incidents
        .iter()
        .filter_map(|i| i["dedup_key"].as_str())
        .collect();
    for i in 0..30 {
        assert!(keys.contains(&format!("b:{i}").as_str()), "b:{i} missing");
    }
    let b0 = incidents
        .iter()
        .find(|i| i["dedup_key"] == "b:0")
        .expect("b:0");
    assert_eq!(b0["status"], "resolved");
    // Same admin token, same webhook key: nothing was re-created.
    let new_url = server.kapacitor_url(&svc).await;
    assert_eq!(new_url.rsplit('/').next(), url.rsplit('/').next());
    let r = server
        .http
        .get(server.url("/api/v1/teams"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("teams");
    assert_eq!(r.status(), 200);
    let (s, b) = server.send(&new_url, alert("b:1", "CRITICAL")).await;
    assert_eq!((s, b["action"].as_str()), (202, Some("joined")), "{b}");
}

#[tokio::test]
async fn metrics_count_incidents_and_commits() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (_, url) = server.new_service("metered").await;
    for key in ["m:1", "m:2", "m:3"] {
        assert_eq!(server.send(&url, alert(key, "CRITICAL")).await.0, 202);
    }
    assert_eq!(server.send(&url, alert("m:1", "CRITICAL")).await.0, 202);
    assert_eq!(server.send(&url, alert("m:1", "OK")).await.0, 202);
    let (_, list) = server.get("/api/v1/incidents?dedup_key=m:2").await;
    let m2 = list["incidents"][0]["id"].as_str().expect("m:2").to_owned();
    let (s, _) = server
        .post(
            &format!("/api/v1/incidents/{m2}/resolve"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(server.send(&url, "nope").await.0, 400);

    let text = server.metrics().await;
    assert_eq!(metric_value(&text, "tocsin_incidents_opened_total"), 3.0);
    assert_eq!(metric_value(&text, "tocsin_incidents_resolved_total"), 2.0);
    assert_eq!(
        metric_value(
            &text,
            r#"tocsin_alerts_total{source="kapacitor",outcome="joined"}"#
        ),
        1.0
    );
    assert_eq!(
        metric_value(
            &text,
            r#"tocsin_alerts_total{source="kapacitor",outcome="invalid_json"}"#
        ),
        1.0
    );
    assert_eq!(metric_value(&text, "tocsin_ingest_seconds_count"), 5.0);
    // Every write commits: bootstrap, service, five alerts, the resolve, token touches.
    assert!(
        metric_value(&text, "tocsin_store_commit_seconds_count") >= 8.0,
        "{text}"
    );
    assert!(
        metric_value(&text, "tocsin_store_committed_writes_total") >= 8.0,
        "{text}"
    );
    assert!(metric_value(&text, r#"tocsin_store_commit_seconds_bucket{le="+Inf"}"#) >= 8.0);
    assert!(text.contains("tocsin_store_queue_depth "));
}
