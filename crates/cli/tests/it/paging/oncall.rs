//! A policy step that names a schedule pages whoever is on call, through the API end to end:
//! the layer's participant, then the override's user while the override runs.

use chrono::{Duration, Utc};
use serde_json::json;
use tocsin_server::notify::testing::Answer;

use super::engine::{oncall, policy, webhook};
use super::{receiver, PASSWORD, WAIT};
use crate::support::{alert, Server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_step_pages_the_on_call_user_and_an_override_takes_over() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (first, team, service) = oncall(&server).await;
    let second = server.new_user("backup", PASSWORD, false).await;
    server.add_member(&team, &second, "responder").await;
    let first_hook = receiver(Answer::Status(200)).await;
    let second_hook = receiver(Answer::Status(200)).await;
    webhook(&server, &first, "pager", &first_hook.url("/")).await;
    webhook(&server, &second, "pager", &second_hook.url("/")).await;
    // One week-long shift that started an hour ago: `first` is on call all week.
    let start = (Utc::now() - Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let sch = server
        .admin(
            "POST",
            "/schedules",
            Some(json!({
                "team_id": team, "name": "primary", "time_zone": "UTC",
                "layers": [{"name": "weekly", "participants": [first, second],
                            "rotation": {"unit": "week", "length": 1}, "start": start}]
            })),
        )
        .await;
    let sch = sch["id"].as_str().expect("schedule").to_owned();
    policy(
        &server,
        &team,
        &service,
        json!([{"delay_minutes": 0, "targets": [{"type": "schedule", "id": sch}]}]),
    )
    .await;
    let url = server.default_webhook().await;
    let (st, _) = server.send(&url, alert("one", "CRITICAL")).await;
    assert_eq!(st, 202);
    first_hook
        .wait_for(1, WAIT)
        .await
        .expect("the on-call user is paged");
    assert!(second_hook.received().is_empty());

    // `backup` instead, for the next hour: the next incident pages them.
    let (now, end) = (Utc::now(), Utc::now() + Duration::hours(1));
    server
        .admin(
            "POST",
            &format!("/schedules/{sch}/overrides"),
            Some(json!({"user_id": second, "start": now - Duration::seconds(1), "end": end})),
        )
        .await;
    let (st, _) = server.send(&url, alert("two", "CRITICAL")).await;
    assert_eq!(st, 202);
    second_hook
        .wait_for(1, WAIT)
        .await
        .expect("the override's user is paged");
    assert_eq!(first_hook.received().len(), 1, "not the layer's user");
}
