//! Paging in the web UI (issue 14): the account page's contact methods and rules, a team's
//! paging page (policies, channels), the policy editor, a service's policy and an incident's
//! notifications. Pages render for admins with their controls; others see what they may
//! read and no control the API would refuse them. Writes go through the API, as the browser's
//! script does (the browser suite clicks them).

use std::time::Duration;

use serde_json::{json, Value};
use tocsin_server::notify::testing::{Answer, HttpReceiver};

use crate::support::{alert, eventually_within, has_all, has_none, page, page_ok, Server, Session};

const PW: &str = "a long enough password";

struct World {
    _tmp: tempfile::TempDir,
    s: Server,
    /// An org admin, and their id.
    ann: Session,
    ann_id: String,
    /// A responder in the Default Team.
    bob: Session,
    team: String,
    svc: String,
}

async fn world() -> World {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::spawn_app(tmp.path()).await;
    let ann_id = s.new_user("ann", PW, true).await;
    let bob_id = s.new_user("bob", PW, false).await;
    let team = s.get("/api/v1/teams").await.1[0]["id"]
        .as_str()
        .expect("team")
        .to_owned();
    s.add_member(&team, &bob_id, "responder").await;
    let svc = s.default_service().await["id"]
        .as_str()
        .expect("svc")
        .to_owned();
    let ann = s.session("ann", PW).await;
    let bob = s.session("bob", PW).await;
    World {
        _tmp: tmp,
        s,
        ann,
        ann_id,
        bob,
        team,
        svc,
    }
}

/// A page as the session sees it: status and HTML.
/// What only a team admin may do on the paging and service pages.
const ADMIN_CONTROLS: [&str; 5] = [
    "New escalation policy",
    "Add channel",
    "data-destination-api=\"/api/v1/teams/",
    "service-policy-select",
    "data-action-url=\"/api/v1/escalation-policies/",
];

#[tokio::test]
async fn paging_pages_show_team_admins_their_controls_and_others_none() {
    let w = world().await;
    let url = w.s.kapacitor_url(&w.svc).await;
    let (st, opened) = w.s.send(&url, alert("cpu:web-1", "CRITICAL")).await;
    assert_eq!(st, 202, "{opened}");
    let inc = opened["incident_id"].as_str().expect("incident");

    let paging = page_ok(&w.s, &w.ann, "/paging").await;
    has_all(
        &paging,
        "/paging",
        &[
            "Escalation policies",
            "No escalation policies yet",
            "New escalation policy",
            "Add channel",
            &format!("/paging/policies/new?team={}", w.team),
        ],
    );
    let editor = page_ok(
        &w.s,
        &w.ann,
        &format!("/paging/policies/new?team={}", w.team),
    )
    .await;
    has_all(
        &editor,
        "the editor",
        &[
            "id=\"policy-form\"",
            "data-policy-method=\"POST\"",
            "Create policy",
            "Add step",
            // Its people: the team's member, and the org admin looking at it.
            &format!("data-target-id=\"{}\"", w.ann_id),
            ">bob<",
        ],
    );
    let service = page_ok(&w.s, &w.ann, &format!("/services/{}", w.svc)).await;
    has_all(
        &service,
        "the service",
        &[
            "No escalation policy",
            "service-policy-select",
            "data-method=\"PATCH\"",
        ],
    );
    let account = page_ok(&w.s, &w.ann, "/account").await;
    has_all(
        &account,
        "/account",
        &[
            "Contact methods",
            "Add contact method",
            "Notification rules",
            &format!("/api/v1/users/{}/contact-methods", w.ann_id),
        ],
    );
    let incident = page_ok(&w.s, &w.ann, &format!("/incidents/{inc}")).await;
    has_all(
        &incident,
        "the incident",
        &["Notifications", "Paging has sent nothing"],
    );

    // A responder reads the team's paging but gets no control to change it.
    let paging = page_ok(&w.s, &w.bob, "/paging").await;
    has_all(
        &paging,
        "bob's /paging",
        &["Escalation policies", "Only the team's admins"],
    );
    has_none(&paging, "bob's /paging", &ADMIN_CONTROLS);
    let service = page_ok(&w.s, &w.bob, &format!("/services/{}", w.svc)).await;
    has_all(
        &service,
        "bob's service",
        &["Only the team's admins and owners can choose"],
    );
    has_none(&service, "bob's service", &ADMIN_CONTROLS);
    let (st, _) = page(
        &w.s,
        &w.bob,
        &format!("/paging/policies/new?team={}", w.team),
    )
    .await;
    assert_eq!(st, 403, "the editor is for team admins");
    // Their own contact methods are theirs to change.
    let account = page_ok(&w.s, &w.bob, "/account").await;
    has_all(&account, "bob's /account", &["Add contact method"]);
    has_none(&account, "bob's /account", &[&w.ann_id]);
}

/// `data-notification="ntf_…"` of every notification row, with its status.
fn notification_rows(html: &str) -> Vec<(String, String)> {
    html.split("data-notification=\"")
        .skip(1)
        .filter_map(|rest| {
            let (id, rest) = rest.split_once('"')?;
            let status = rest.split("data-status=\"").nth(1)?.split('"').next()?;
            Some((id.to_owned(), status.to_owned()))
        })
        .collect()
}

#[tokio::test]
async fn configured_paging_shows_on_the_pages_and_its_deliveries_on_the_incident() {
    let w = world().await;
    let hook = HttpReceiver::start(Answer::Status(204))
        .await
        .expect("receiver");
    let room = HttpReceiver::start(Answer::Status(200))
        .await
        .expect("receiver");
    // As the pages' script does: the session with its CSRF header.
    let (st, cm) =
        w.s.call_as(
            &w.ann,
            "POST",
            &format!("/api/v1/users/{}/contact-methods", w.ann_id),
            Some(json!({"type": "webhook", "name": "pager hook", "url": hook.url("/page")})),
        )
        .await;
    assert_eq!(st, 201, "{cm}");
    let secret = cm["signing_secret"].as_str().expect("secret").to_owned();
    let (st, ch) =
        w.s.call_as(
            &w.ann,
            "POST",
            &format!("/api/v1/teams/{}/channels", w.team),
            Some(json!({"type": "slack", "name": "ops room", "url": room.url("/slack")})),
        )
        .await;
    assert_eq!(st, 201, "{ch}");
    let body = json!({"team_id": w.team, "name": "Web on-call", "repeat": 0, "steps": [
        {"delay_minutes": 0, "targets": [{"type": "user", "id": w.ann_id}, {"type": "channel", "id": ch["id"]}]}
    ]});
    let (st, policy) =
        w.s.call_as(&w.ann, "POST", "/api/v1/escalation-policies", Some(body))
            .await;
    assert_eq!(st, 201, "{policy}");
    let pid = policy["id"].as_str().expect("policy").to_owned();
    let (st, v) =
        w.s.call_as(
            &w.ann,
            "PATCH",
            &format!("/api/v1/services/{}", w.svc),
            Some(json!({"escalation_policy_id": pid})),
        )
        .await;
    assert_eq!(st, 200, "{v}");

    let account = page_ok(&w.s, &w.ann, "/account").await;
    has_all(&account, "/account", &["pager hook", &hook.url("/page")]);
    has_none(&account, "/account", &[&secret]);
    let paging = page_ok(&w.s, &w.ann, "/paging").await;
    has_all(
        &paging,
        "/paging",
        &[
            "Web on-call",
            "Step 1, after 0 min: ann, channel ops room",
            "ops room",
            "Runs once",
            "Default Service",
        ],
    );
    has_none(&paging, "/paging", &[&secret]);
    let editor = page_ok(&w.s, &w.ann, &format!("/paging/policies/{pid}")).await;
    has_all(
        &editor,
        "the editor",
        &[
            "data-policy-method=\"PUT\"",
            "value=\"Web on-call\"",
            "Save policy",
        ],
    );
    assert_eq!(
        editor.matches("checked").count(),
        2,
        "ann and the room are checked"
    );
    let service = page_ok(&w.s, &w.ann, &format!("/services/{}", w.svc)).await;
    has_all(
        &service,
        "the service",
        &["Escalation policy: <strong>Web on-call</strong>"],
    );
    let (st, _) = page(&w.s, &w.bob, &format!("/paging/policies/{pid}")).await;
    assert_eq!(st, 403, "the editor is for team admins");
    let bobs = page_ok(&w.s, &w.bob, &format!("/services/{}", w.svc)).await;
    has_all(
        &bobs,
        "bob's service",
        &["Escalation policy: <strong>Web on-call</strong>"],
    );
    has_none(&bobs, "bob's service", &ADMIN_CONTROLS);
    let bobs = page_ok(&w.s, &w.bob, "/paging").await;
    has_all(&bobs, "bob's /paging", &["Web on-call", "ops room"]);
    has_none(&bobs, "bob's /paging", &ADMIN_CONTROLS);
    has_none(&bobs, "bob's /paging", &["Send test"]);

    // An alert pages ann on her webhook and the team's room; the page shows both as sent,
    // with the delivery ids the receivers got.
    let url = w.s.kapacitor_url(&w.svc).await;
    let (st, opened) = w.s.send(&url, alert("cpu:web-1", "CRITICAL")).await;
    assert_eq!(st, 202, "{opened}");
    let inc = opened["incident_id"].as_str().expect("incident").to_owned();
    let got = hook
        .wait_for(1, Duration::from_secs(20))
        .await
        .expect("the webhook was paged");
    let delivery = got[0].header("x-tocsin-delivery").to_owned();
    room.wait_for(1, Duration::from_secs(20))
        .await
        .expect("the room was paged");
    let path = format!("/incidents/{inc}");
    let html = eventually_within(
        "both notifications sent",
        Duration::from_secs(20),
        || async {
            let html = page_ok(&w.s, &w.ann, &path).await;
            let rows = notification_rows(&html);
            if rows.len() == 2 && rows.iter().all(|(_, st)| st == "sent") {
                Ok(html)
            } else {
                Err(format!("{rows:?}"))
            }
        },
    )
    .await;
    let rows = notification_rows(&html);
    assert!(
        rows.iter().any(|(id, _)| *id == delivery),
        "{delivery} in {rows:?}"
    );
    has_all(
        &html,
        "the incident",
        &["ann · pager hook", "channel ops room", "triggered"],
    );
    // The timeline says what paging did.
    has_all(
        &html,
        "the incident",
        &["class=\"paging\"", "Escalation step 1 (pass 1) fired"],
    );
    let v: Value =
        w.s.get(&format!("/api/v1/incidents/{inc}/notifications"))
            .await
            .1;
    assert_eq!(v.as_array().map(Vec::len), Some(2), "{v}");

    // A contact method removed since is said to be, and the page still renders.
    let cm_path = format!(
        "/api/v1/users/{}/contact-methods/{}",
        w.ann_id,
        cm["id"].as_str().expect("cm")
    );
    let (st, v) = w.s.call_as(&w.ann, "DELETE", &cm_path, None).await;
    assert_eq!(st, 204, "{v}");
    let html = page_ok(&w.s, &w.ann, &path).await;
    // The notifications only: the timeline's notes keep the name paging used then.
    let section = html
        .split("id=\"notifications\"")
        .nth(1)
        .and_then(|rest| rest.split("id=\"timeline\"").next())
        .expect("the notifications section");
    has_all(
        section,
        "the notifications",
        &["ann · a removed contact method", "channel ops room"],
    );
    has_none(section, "the notifications", &["pager hook"]);
}
