//! The per-service-key rate limit: refusals are 429 with Retry-After and `{code, detail}`,
//! counted in /metrics and logged, never silent; other keys are unaffected.

use std::time::Instant;

use serde_json::Value;

use crate::support::{alert, Server};

#[tokio::test]
async fn a_flooding_key_is_refused_429_and_counted() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start_with(
        tmp.path(),
        &["--rate-limit-per-key", "5", "--rate-limit-burst", "5"],
    )
    .await;
    let (noisy, noisy_url) = server.new_service("noisy").await;
    let (_, quiet_url) = server.new_service("quiet").await;
    let started = Instant::now();
    let (mut accepted, mut refused) = (0u64, 0u64);
    for i in 0..40 {
        let r = server
            .http
            .post(&noisy_url)
            .header("content-type", "application/json")
            .body(alert(&format!("flood-{}", i % 4), "CRITICAL"))
            .send()
            .await
            .expect("send");
        match r.status().as_u16() {
            202 => accepted += 1,
            429 => {
                refused += 1;
                let retry: u64 = r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .expect("a numeric Retry-After");
                assert!(retry >= 1, "{retry}");
                let b: Value = r.json().await.expect("json");
                assert_eq!(b["code"], "rate_limited", "{b}");
                assert!(
                    b["detail"]
                        .as_str()
                        .is_some_and(|d| d.contains("per second")),
                    "{b}"
                );
            }
            other => panic!("unexpected {other}"),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    // The burst, plus what the elapsed time refilled at 5/s, plus one for rounding.
    assert!(accepted >= 5, "{accepted}");
    assert!(
        accepted as f64 <= 5.0 + 5.0 * elapsed + 1.0,
        "{accepted} accepted in {elapsed:.2} s"
    );
    assert!(refused > 0);
    eprintln!("rate limit: {accepted} accepted, {refused} refused in {elapsed:.2} s");

    // Each accepted alert is stored; nothing refused is.
    let stored: i64 = server
        .incidents(&noisy)
        .await
        .iter()
        .map(|i| i["event_count"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(stored as u64, accepted);

    // Another key has its own budget.
    let (s, _) = server.send(&quiet_url, alert("quiet", "CRITICAL")).await;
    assert_eq!(s, 202);

    // Counted by reason, and logged.
    let metrics = server.metrics().await;
    let line =
        format!(r#"tocsin_alerts_total{{source="kapacitor",outcome="rate_limited"}} {refused}"#);
    assert!(metrics.contains(&line), "want {line} in\n{metrics}");
    assert!(server.log().contains("rate limit"), "{}", server.log());
}
