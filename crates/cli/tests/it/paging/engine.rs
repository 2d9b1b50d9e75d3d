//! The paging engine end to end, in process: a policy assigned to a service pages its first
//! step as soon as the alert is committed, on every kind of contact method (a signed webhook,
//! email through a loopback SMTP server, a Slack-shaped channel), an acknowledgement stops
//! the escalation and tells whoever was paged, and a resolve tells them again. Delays,
//! retries and leases under an injected clock are in the store's conformance suite.

use std::time::Duration;

use serde_json::{json, Value};
use tocsin_core::paging::message::verify;
use tocsin_server::notify::testing::{Answer, HttpReceiver, Received, SmtpReceiver, SmtpReply};

use super::{receiver, PASSWORD, WAIT};
use crate::support::{alert, eventually, Server};

/// A user `oncall` in the Default Team; returns (user id, team id, service id).
pub async fn oncall(server: &Server) -> (String, String, String) {
    let svc = server.default_service().await;
    let team = svc["team_id"].as_str().expect("team").to_owned();
    let user = server.new_user("oncall", PASSWORD, false).await;
    server.add_member(&team, &user, "responder").await;
    (user, team, svc["id"].as_str().expect("service").to_owned())
}

pub async fn webhook(server: &Server, user: &str, name: &str, url: &str) -> (String, String) {
    let cm = server
        .admin(
            "POST",
            &format!("/users/{user}/contact-methods"),
            Some(json!({"type": "webhook", "name": name, "url": url})),
        )
        .await;
    (
        cm["id"].as_str().expect("id").to_owned(),
        cm["signing_secret"].as_str().expect("secret").to_owned(),
    )
}

pub async fn policy(server: &Server, team: &str, service: &str, steps: Value) -> String {
    let p = server
        .admin(
            "POST",
            "/escalation-policies",
            Some(json!({"team_id": team, "name": "primary", "repeat": 0, "steps": steps})),
        )
        .await;
    let id = p["id"].as_str().expect("policy").to_owned();
    server
        .admin(
            "PATCH",
            &format!("/services/{service}"),
            Some(json!({"escalation_policy_id": id})),
        )
        .await;
    id
}

fn event(r: &Received) -> Value {
    serde_json::from_slice(&r.body).expect("a JSON body")
}

/// The webhook as a receiver checks it: signed with the secret shown at creation, the
/// delivery id in the header and the body.
fn check_signed(r: &Received, secret: &str, event_type: &str) -> String {
    assert!(
        verify(secret, &r.body, r.header("x-tocsin-signature")),
        "signature {:?}",
        r.header("x-tocsin-signature")
    );
    assert_eq!(r.header("content-type"), "application/json");
    assert!(r.header("user-agent").starts_with("Tocsin/"));
    let e = event(r);
    assert_eq!(e["event"]["event_type"], event_type, "{e}");
    let delivery = r.header("x-tocsin-delivery").to_owned();
    assert_eq!(e["event"]["id"], delivery.as_str());
    assert!(e["event"]["data"]["incident"]["html_url"]
        .as_str()
        .is_some_and(|u| u.contains("/incidents/inc_")));
    delivery
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_pages_at_once_and_acknowledge_and_resolve_tell_everyone_paged() {
    let smtp = SmtpReceiver::start(SmtpReply::Accept).await.expect("smtp");
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app_with(tmp.path(), &["--smtp-url", &smtp.url()]).await;
    let (user, team, service) = oncall(&server).await;
    let hook = receiver(Answer::Status(200)).await;
    let slack = receiver(Answer::Status(200)).await;
    let (_, secret) = webhook(&server, &user, "pager", &hook.url("/hook")).await;
    server
        .admin(
            "POST",
            &format!("/users/{user}/contact-methods"),
            Some(json!({"type": "email", "name": "mail", "address": "oncall@example.com"})),
        )
        .await;
    let ops = server
        .admin(
            "POST",
            &format!("/teams/{team}/channels"),
            Some(json!({"type": "slack", "name": "ops", "url": slack.url("/slack")})),
        )
        .await;
    policy(
        &server,
        &team,
        &service,
        json!([
            {"delay_minutes": 0, "targets": [{"type": "user", "id": user}]},
            {"delay_minutes": 10, "targets": [{"type": "channel", "id": ops["id"]}]},
        ]),
    )
    .await;

    let (st, opened) = server
        .send(&server.default_webhook().await, alert("cpu", "CRITICAL"))
        .await;
    assert_eq!(st, 202, "{opened}");
    let inc = opened["incident_id"].as_str().expect("incident").to_owned();

    // Step 1 at once, on both of the user's contact methods.
    let got = hook.wait_for(1, WAIT).await.expect("the webhook page");
    let delivery = check_signed(&got[0], &secret, "incident.triggered");
    assert_eq!(event(&got[0])["event"]["data"]["step"], 0);
    let mails = smtp.wait_for(1, WAIT).await.expect("the email page");
    assert!(mails[0].to.iter().any(|t| t.contains("oncall@example.com")));
    assert!(mails[0].data.contains("[Tocsin #"), "{}", mails[0].data);
    assert!(
        mails[0].data.contains("Message-ID: <ntf_"),
        "{}",
        mails[0].data
    );
    assert!(
        mails[0].data.contains("multipart/alternative"),
        "text and HTML parts"
    );
    assert!(mails[0].data.contains("text/html") && mails[0].data.contains("text/plain"));
    let sent = eventually("both notifications recorded as sent", || async {
        let (_, v) = server
            .get(&format!("/api/v1/incidents/{inc}/notifications"))
            .await;
        let list = v.as_array().cloned().unwrap_or_default();
        if list.len() == 2 && list.iter().all(|n| n["status"] == "sent") {
            Ok(list)
        } else {
            Err(format!("{v}"))
        }
    })
    .await;
    assert!(sent.iter().any(|n| n["id"] == delivery.as_str()));
    for n in &sent {
        assert_eq!(
            (&n["kind"], &n["step"], &n["loop"], &n["attempts"]),
            (&json!("triggered"), &json!(0), &json!(0), &json!(1))
        );
        assert_eq!(n["user_id"], user.as_str());
    }

    // Acknowledged: escalation stops (step 2, the channel, is never paged), the user hears.
    let (st, _) = server
        .post(&format!("/api/v1/incidents/{inc}/acknowledge"), json!({}))
        .await;
    assert_eq!(st, 200);
    let got = hook
        .wait_for(2, WAIT)
        .await
        .expect("the acknowledged notice");
    check_signed(&got[1], &secret, "incident.acknowledged");
    smtp.wait_for(2, WAIT)
        .await
        .expect("the acknowledged email");

    // Resolved: everyone paged is told, once.
    let (st, _) = server
        .post(&format!("/api/v1/incidents/{inc}/resolve"), json!({}))
        .await;
    assert_eq!(st, 200);
    let got = hook.wait_for(3, WAIT).await.expect("the resolved notice");
    check_signed(&got[2], &secret, "incident.resolved");
    smtp.wait_for(3, WAIT).await.expect("the resolved email");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(hook.received().len(), 3, "no repeats");
    assert!(slack.received().is_empty(), "step 2 never fired");

    // The timeline tells the story.
    let texts: Vec<String> = server
        .timeline(&inc)
        .await
        .iter()
        .filter(|e| e["kind"] == "paging")
        .filter_map(|e| e["text"].as_str().map(str::to_owned))
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("Escalation step 1") && t.contains("oncall")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.starts_with("Notified oncall")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("was resolved")),
        "{texts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_receiver_delays_nobody_else() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (user, team, service) = oncall(&server).await;
    let stuck = receiver(Answer::Hang).await;
    let fine = receiver(Answer::Status(204)).await;
    let (_, _) = webhook(&server, &user, "stuck", &stuck.url("/")).await;
    let (_, secret) = webhook(&server, &user, "fine", &fine.url("/")).await;
    policy(
        &server,
        &team,
        &service,
        json!([{"delay_minutes": 0, "targets": [{"type": "user", "id": user}]}]),
    )
    .await;
    let url = server.default_webhook().await;
    for key in ["a", "b", "c"] {
        let (st, _) = server.send(&url, alert(key, "CRITICAL")).await;
        assert_eq!(st, 202);
    }
    // The hanging receiver holds its requests until the sender's timeout (10 s); the other
    // gets all three long before.
    let got = fine
        .wait_for(3, Duration::from_secs(5))
        .await
        .expect("the healthy receiver is not held up");
    for r in &got {
        check_signed(r, &secret, "incident.triggered");
    }
    assert!(
        !stuck.received().is_empty(),
        "the stuck receiver was tried too"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_without_a_policy_pages_nobody_and_its_alerts_are_still_accepted() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (user, _, _) = oncall(&server).await;
    let hook = receiver(Answer::Status(200)).await;
    webhook(&server, &user, "pager", &hook.url("/")).await;
    let (st, v) = server
        .send(&server.default_webhook().await, alert("cpu", "CRITICAL"))
        .await;
    assert_eq!(st, 202);
    let inc = v["incident_id"].as_str().expect("incident");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(hook.received().is_empty());
    let (st, list) = server
        .get(&format!("/api/v1/incidents/{inc}/notifications"))
        .await;
    assert_eq!((st, list), (200, json!([])));
}

/// The receiver answers 500 first: the attempt is recorded as failed and retried later with
/// the same delivery id (the retry's wait, a minute, is checked with an injected clock in the
/// store conformance suite and `core::paging::delivery`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_attempt_is_on_the_timeline_and_scheduled_again() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (user, team, service) = oncall(&server).await;
    let hook = HttpReceiver::start(Answer::Status(500))
        .await
        .expect("receiver");
    webhook(&server, &user, "pager", &hook.url("/")).await;
    policy(
        &server,
        &team,
        &service,
        json!([{"delay_minutes": 0, "targets": [{"type": "user", "id": user}]}]),
    )
    .await;
    let (_, v) = server
        .send(&server.default_webhook().await, alert("cpu", "CRITICAL"))
        .await;
    let inc = v["incident_id"].as_str().expect("incident").to_owned();
    hook.wait_for(1, WAIT).await.expect("the first attempt");
    let n = eventually("the failed attempt recorded", || async {
        let (_, v) = server
            .get(&format!("/api/v1/incidents/{inc}/notifications"))
            .await;
        v.as_array()
            .and_then(|l| l.first().cloned())
            .filter(|n| n["attempts"] == 1)
            .ok_or_else(|| format!("{v}"))
    })
    .await;
    assert_eq!(n["status"], "pending", "{n}");
    assert!(
        n["error"].as_str().is_some_and(|e| e.contains("500")),
        "{n}"
    );
    assert!(n["next_attempt_at"].is_string(), "{n}");
    let texts: Vec<String> = server
        .timeline(&inc)
        .await
        .iter()
        .filter_map(|e| e["text"].as_str().map(str::to_owned))
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("attempt 1 of 5") && t.contains("retrying")),
        "{texts:?}"
    );
}

/// A team's Slack-compatible channel gets `{text, blocks}` with the severity, the title, the
/// service, the number and a link (Slack, Mattermost and Rocket.Chat read this shape).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slack_channel_gets_text_and_blocks() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (_, team, service) = oncall(&server).await;
    let slack = receiver(Answer::Status(200)).await;
    let ops = server
        .admin(
            "POST",
            &format!("/teams/{team}/channels"),
            Some(json!({"type": "slack", "name": "ops", "url": slack.url("/services/T/B/x")})),
        )
        .await;
    assert!(
        ops.get("signing_secret").is_none_or(Value::is_null),
        "{ops}"
    );
    policy(
        &server,
        &team,
        &service,
        json!([{"delay_minutes": 0, "targets": [{"type": "channel", "id": ops["id"]}]}]),
    )
    .await;
    let (_, v) = server
        .send(&server.default_webhook().await, alert("disk", "CRITICAL"))
        .await;
    let number = v["incident_number"].as_i64().expect("number");
    let got = slack.wait_for(1, WAIT).await.expect("the channel is paged");
    let body = event(&got[0]);
    let text = body["text"].as_str().expect("text");
    assert!(
        text.contains(&format!("#{number}")) && text.contains("critical"),
        "{text}"
    );
    assert!(text.contains("/incidents/inc_"), "a link: {text}");
    let blocks = body["blocks"].to_string();
    assert!(blocks.contains("Default Service"), "{blocks}");
    assert!(
        got[0].header("x-tocsin-signature").is_empty(),
        "Slack bodies are not signed"
    );
}
