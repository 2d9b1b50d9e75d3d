//! What was answered 2xx is on disk: a restart, graceful or not, keeps it.

use crate::support::{alert, Server};

#[tokio::test]
async fn restarts_keep_every_accepted_alert() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(tmp.path()).await;
    let (svc, url) = server.new_service("durable").await;
    let key = url.rsplit('/').next().expect("key").to_owned();
    for i in 0..20 {
        let (s, _) = server.send(&url, alert(&format!("k{i}"), "CRITICAL")).await;
        assert_eq!(s, 202);
    }
    let (s, _) = server.send(&url, alert("k0", "OK")).await;
    assert_eq!(s, 202);
    // Crash: no graceful shutdown, no chance to flush anything not already committed.
    server.kill();

    let server = Server::start(tmp.path()).await;
    let incidents = server.incidents(&svc).await;
    assert_eq!(incidents.len(), 20);
    assert_eq!(
        incidents
            .iter()
            .filter(|i| i["status"] == "resolved")
            .count(),
        1
    );
    // Same key, same URL: nothing was re-bootstrapped.
    let url2 = server.kapacitor_url(&svc).await;
    assert!(url2.ends_with(&key));
    let (s, b) = server.send(&url2, alert("k1", "CRITICAL")).await;
    assert_eq!((s, b["action"].as_str()), (202, Some("joined")));

    // Graceful stop (SIGTERM) exits 0 and keeps everything too.
    let status = server.stop();
    assert!(status.success(), "{status:?}");
    let server = Server::start(tmp.path()).await;
    let incidents = server.incidents(&svc).await;
    assert_eq!(incidents.len(), 20);
    let k1 = incidents
        .iter()
        .find(|i| i["dedup_key"] == "k1")
        .expect("k1");
    assert_eq!(k1["event_count"], 2);
}
