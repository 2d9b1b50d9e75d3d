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
