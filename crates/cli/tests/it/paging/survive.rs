//! Paging survives `kill -9`: the binary is killed between two steps and in the middle of a
//! delivery, restarted on the same database, and every page still goes out — once, or again
//! with the same delivery id when it may already have arrived.

use std::time::Duration;

use serde_json::json;
use tocsin_server::notify::testing::Answer;

use super::engine::{oncall, policy, webhook};
use super::receiver;
use crate::support::{alert, Server};

/// A fixed node id (a restart frees its old claims at once) and public URL (messages link to
/// it; the restarted server listens on another port).
const NODE: [&str; 4] = [
    "--node-id",
    "survivor",
    "--public-url",
    "http://tocsin.test",
];

/// The Default Service's webhook at this server's address (its public URL is not resolvable).
async fn local_webhook(server: &Server) -> String {
    let public = server.default_webhook().await;
    let path = public.find("/v1/").map_or("", |i| &public[i..]);
    server.url(path)
}

/// Step 2 waits a minute: the server is killed before it is due, and the restarted server
/// sends it when it is, exactly once, without repeating step 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_pending_at_a_crash_is_sent_once_after_the_restart() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start_with(tmp.path(), &NODE).await;
    let (user, team, service) = oncall(&server).await;
    let first = receiver(Answer::Status(200)).await;
    let second = receiver(Answer::Status(200)).await;
    webhook(&server, &user, "pager", &first.url("/")).await;
    let ops = server
        .admin(
            "POST",
            &format!("/teams/{team}/channels"),
            Some(json!({"type": "webhook", "name": "ops", "url": second.url("/")})),
        )
        .await;
    policy(
        &server,
        &team,
        &service,
        json!([
            {"delay_minutes": 0, "targets": [{"type": "user", "id": user}]},
            {"delay_minutes": 1, "targets": [{"type": "channel", "id": ops["id"]}]},
        ]),
    )
    .await;
    let (st, v) = server
        .send(&local_webhook(&server).await, alert("cpu", "CRITICAL"))
        .await;
    assert_eq!(st, 202);
    let inc = v["incident_id"].as_str().expect("incident").to_owned();
    first
        .wait_for(1, Duration::from_secs(10))
        .await
        .expect("step 1 at once");
    // Between the steps: step 1 is recorded, step 2 is a row due in a minute.
    crate::support::eventually("step 1 recorded as sent", || async {
        let (_, v) = server
            .get(&format!("/api/v1/incidents/{inc}/notifications"))
            .await;
        v.as_array()
            .and_then(|l| l.first().cloned())
            .filter(|n| n["status"] == "sent")
            .ok_or_else(|| format!("{v}"))
    })
    .await;
    server.kill();

    let server = Server::start_with(tmp.path(), &NODE).await;
    let got = second
        .wait_for(1, Duration::from_secs(90))
        .await
        .expect("step 2 after the restart");
    assert_eq!(
        got[0].header("x-tocsin-delivery").len(),
        "ntf_".len() + 26,
        "a delivery id"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(second.received().len(), 1, "step 2 once");
    assert_eq!(first.received().len(), 1, "step 1 not repeated");
    let (_, list) = server
        .get(&format!("/api/v1/incidents/{inc}/notifications"))
        .await;
    let kinds: Vec<_> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|n| (n["kind"].clone(), n["step"].clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (json!("triggered"), json!(0)),
            (json!("escalated"), json!(1))
        ]
    );
    server.kill();
}

/// The receiver holds the request when the server is killed: nobody knows whether it
/// arrived. The restarted node sends it again at once, with the same delivery id, and the
/// timeline says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_cut_by_a_crash_is_sent_again_with_the_same_id() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start_with(tmp.path(), &NODE).await;
    let (user, team, service) = oncall(&server).await;
    let hook = receiver(Answer::Hang).await;
    webhook(&server, &user, "pager", &hook.url("/")).await;
    policy(
        &server,
        &team,
        &service,
        json!([{"delay_minutes": 0, "targets": [{"type": "user", "id": user}]}]),
    )
    .await;
    let (_, v) = server
        .send(&local_webhook(&server).await, alert("cpu", "CRITICAL"))
        .await;
    let inc = v["incident_id"].as_str().expect("incident").to_owned();
    hook.wait_for(1, Duration::from_secs(10))
        .await
        .expect("the first attempt, held");
    server.kill();

    hook.answer(Answer::Status(200));
    let server = Server::start_with(tmp.path(), &NODE).await;
    let got = hook
        .wait_for(2, Duration::from_secs(30))
        .await
        .expect("sent again after the restart");
    let ids: Vec<&str> = got.iter().map(|r| r.header("x-tocsin-delivery")).collect();
    assert_eq!(ids[0], ids[1], "the same delivery id");
    assert_eq!(got[0].body, got[1].body, "the same bytes");
    let n = crate::support::eventually("recorded as sent", || async {
        let (_, v) = server
            .get(&format!("/api/v1/incidents/{inc}/notifications"))
            .await;
        v.as_array()
            .and_then(|l| l.first().cloned())
            .filter(|n| n["status"] == "sent")
            .ok_or_else(|| format!("{v}"))
    })
    .await;
    assert_eq!(n["id"], ids[0]);
    let texts: Vec<String> = server
        .timeline(&inc)
        .await
        .iter()
        .filter_map(|e| e["text"].as_str().map(str::to_owned))
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("again with the same delivery id")),
        "{texts:?}"
    );
    server.kill();
}
