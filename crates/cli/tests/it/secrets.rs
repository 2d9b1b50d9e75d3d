//! Secrets stay secret: webhook keys and bearer tokens never reach the log, and API tokens are
//! stored only as hashes.

use crate::support::{alert, Server, ADMIN_TOKEN};

#[tokio::test]
async fn keys_and_tokens_never_reach_the_log_or_the_disk() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(tmp.path()).await;
    let (svc, url) = server.new_service("secretive").await;
    let key = url.rsplit('/').next().expect("key").to_owned();
    let base = url.trim_end_matches(&key).to_owned();
    let unknown_key = "tocsin_unknown_webhook_key_5f1d2c3b4a59687766";
    let wrong_token = "tocsin_wrong_bearer_token_0a1b2c3d4e5f60718293";

    // Good and bad traffic, each carrying a secret somewhere.
    assert_eq!(server.send(&url, alert("s:1", "CRITICAL")).await.0, 202);
    assert_eq!(server.send(&url, alert("s:1", "OK")).await.0, 202);
    assert_eq!(server.send(&url, "{not json").await.0, 400);
    assert_eq!(
        server.send(&url, r#"{"id":"a","level":"PANIC"}"#).await.0,
        400
    );
    assert_eq!(
        server
            .send(&format!("{base}{unknown_key}"), alert("s:2", "CRITICAL"))
            .await
            .0,
        404
    );
    let other_source = url.replace("/kapacitor/", "/nagios/");
    assert_eq!(
        server.send(&other_source, alert("s:3", "CRITICAL")).await.0,
        404
    );
    let deeper = format!("{url}/extra/{key}");
    assert_eq!(server.send(&deeper, alert("s:4", "CRITICAL")).await.0, 404);
    let r = server
        .http
        .get(server.url("/api/v1/incidents"))
        .bearer_auth(wrong_token)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 401);
    let r = server
        .http
        .get(server.url(&format!("/api/v1/incidents?q={wrong_token}")))
        .header("authorization", format!("Basic {wrong_token}"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 401);
    assert_eq!(server.incidents(&svc).await.len(), 1);
    // Webhook URLs are shown to admins on purpose; just not logged.
    assert_eq!(server.kapacitor_url(&svc).await, url);

    let log = server.log();
    assert!(
        log.contains("/v1/incidents/kapacitor/<key>"),
        "requests are logged:\n{log}"
    );
    for (what, secret) in [
        ("webhook key", key.as_str()),
        ("unknown webhook key", unknown_key),
        ("admin token", ADMIN_TOKEN),
        ("wrong bearer token", wrong_token),
    ] {
        assert!(!log.contains(secret), "the {what} is in the log:\n{log}");
    }

    // At rest: the database and its WAL never hold the token itself.
    let mut found = Vec::new();
    for f in ["tocsin.db", "tocsin.db-wal"] {
        let path = tmp.path().join(f);
        if let Ok(bytes) = std::fs::read(&path) {
            found.push(f);
            assert!(
                !bytes
                    .windows(ADMIN_TOKEN.len())
                    .any(|w| w == ADMIN_TOKEN.as_bytes()),
                "{f} holds the admin token in plain text"
            );
        }
    }
    assert!(found.contains(&"tocsin.db"), "no database file found");
}

#[tokio::test]
async fn a_key_in_a_mistyped_path_is_not_logged() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(tmp.path()).await;
    let (_, url) = server.new_service("mistyped").await;
    let key = url.rsplit('/').next().expect("key").to_owned();
    let upper = key.to_uppercase();
    for path in [
        format!("/api/v1/incidents/kapacitor/{key}"),
        format!("/V1/incidents/kapacitor/{key}"),
        format!("/v1/INCIDENTS/kapacitor/{upper}"),
        format!("/v1/incidents/kapacitor%2F{key}"),
        format!("/v1/incidents/kapacitor%252F{key}"),
        format!("/services/{key}"),
    ] {
        let (st, _) = server
            .send(&server.url(&path), alert("m:1", "CRITICAL"))
            .await;
        assert!(st == 404 || st == 405, "{path}: {st}");
    }
    let log = server.log().to_lowercase();
    assert!(
        !log.contains(&key.to_lowercase()[..32]),
        "the webhook key is in the log:\n{log}"
    );
    assert!(log.matches("<key>").count() >= 6, "{log}");
}

#[tokio::test]
async fn a_rotation_without_grace_stops_every_earlier_key_at_once() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::spawn_app(tmp.path()).await;
    let (svc, first) = s.new_service("rotated-twice").await;
    assert_eq!(s.send(&first, alert("k:1", "CRITICAL")).await.0, 202);
    let rotate = |grace: u32| {
        let path = format!("/api/v1/services/{svc}/rotate-key");
        let s = &s;
        async move {
            let (st, v) = s
                .post(&path, serde_json::json!({"grace_seconds": grace}))
                .await;
            assert_eq!(st, 200, "{v}");
            v["webhook_url"].as_str().expect("url").to_owned()
        }
    };
    let second = rotate(3600).await;
    // Both keys work, and this node has both cached now.
    assert_eq!(s.send(&first, alert("k:2", "CRITICAL")).await.0, 202);
    assert_eq!(s.send(&second, alert("k:3", "CRITICAL")).await.0, 202);
    let third = rotate(0).await;
    // Straight after, on the same node: neither earlier key works (the first one used to
    // work for up to the cache's 5 s).
    assert_eq!(s.send(&first, alert("k:4", "CRITICAL")).await.0, 404);
    assert_eq!(s.send(&second, alert("k:5", "CRITICAL")).await.0, 404);
    assert_eq!(s.send(&third, alert("k:6", "CRITICAL")).await.0, 202);
}
