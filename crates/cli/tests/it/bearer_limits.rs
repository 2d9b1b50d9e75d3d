//! The bearer token is the API's only credential: a weak admin token is refused at start, and
//! guessing tokens is slowed per client address, logged and counted.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{bin, client_from, metric, Server, ADMIN_TOKEN};

#[test]
fn a_weak_admin_token_stops_the_start_with_a_clear_error() {
    for weak in ["admin", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"] {
        let tmp = tempfile::tempdir().expect("tmp");
        let data = tmp.path().join("data");
        let mut child = Command::new(bin())
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data)
            .env("TOCSIN_ADMIN_TOKEN", weak)
            .env_remove("TOCSIN_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(st) = child.try_wait().expect("wait") {
                break st;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the server started with TOCSIN_ADMIN_TOKEN={weak:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let out = child.wait_with_output().expect("output");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!status.success());
        assert!(
            stderr.contains("TOCSIN_ADMIN_TOKEN is too weak") && stderr.contains("32 characters"),
            "{stderr}"
        );
        assert!(
            !stderr.contains(&format!("{weak}.")),
            "the error repeats the token"
        );
        assert!(!data.join("tocsin.db").exists(), "a database was created");
    }
}

#[tokio::test]
async fn bearer_guesses_are_throttled_per_address_logged_and_counted() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start(tmp.path()).await;
    let guesser = client_from("127.0.0.2");
    let guesses: Vec<String> = (0..30).map(|i| format!("tocsin_guess_{i:038}")).collect();
    for g in &guesses {
        let (st, v) = s
            .call_with(&guesser, Some(g), "GET", "/api/v1/teams", None)
            .await;
        assert_eq!(st, 401, "{v}");
    }
    // Past the limit even the right token from that address waits, unlooked-at.
    let r = guesser
        .get(s.url("/api/v1/teams"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 429);
    let secs: u64 = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=2).contains(&secs), "Retry-After {secs}");
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["code"], "too_many_attempts", "{v}");
    // Another address is served as usual.
    let (st, _) = s.get("/api/v1/teams").await;
    assert_eq!(st, 200);
    // Each failure is logged with its address, never its token; all are counted.
    let log = s.log();
    let failures = log
        .lines()
        .filter(|l| l.contains("bearer authentication failed") && l.contains("127.0.0.2"))
        .count();
    assert_eq!(failures, 30, "{log}");
    for g in &guesses {
        assert!(!log.contains(g.as_str()), "a guessed token is in the log");
    }
    assert_eq!(
        metric(&s, "tocsin_bearer_failures_total").await,
        "tocsin_bearer_failures_total 30"
    );
    assert_eq!(
        metric(&s, "tocsin_bearer_throttled_total").await,
        "tocsin_bearer_throttled_total 1"
    );
}
