//! Schedules in the web UI (issue 15): the team's schedules page, the editor, a schedule's page,
//! "your upcoming shifts" on the account page and schedule targets in the policy editor. The
//! pages are shells the script fills from the schedules API (the browser suite drives it);
//! here: each renders for a team admin with its controls, and a responder gets none of the
//! controls the API would refuse them.

use serde_json::json;

use crate::support::{has_all, has_none, page, page_ok, Server, Session};

const PW: &str = "a long enough password";

struct World {
    _tmp: tempfile::TempDir,
    s: Server,
    ann: Session,
    ann_id: String,
    bob: Session,
    bob_id: String,
    team: String,
    schedule: String,
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
    let ann = s.session("ann", PW).await;
    let bob = s.session("bob", PW).await;
    let body = json!({"team_id": team, "name": "Primary rotation", "time_zone": "Europe/Berlin",
        "layers": [{"name": "Weekly", "participants": [ann_id, bob_id],
            "rotation": {"unit": "week", "length": 1}, "start": "2026-01-05T09:00:00"}]});
    let (st, v) = s
        .call_as(&ann, "POST", "/api/v1/schedules", Some(body))
        .await;
    assert_eq!(st, 201, "{v}");
    let schedule = v["id"].as_str().expect("schedule").to_owned();
    World {
        _tmp: tmp,
        s,
        ann,
        ann_id,
        bob,
        bob_id,
        team,
        schedule,
    }
}

/// What only a team admin may do on the schedule pages.
const ADMIN_CONTROLS: [&str; 6] = [
    "New schedule",
    "Add override",
    "override-form",
    "Edit schedule",
    "data-delete-schedule",
    "data-feed-create=\"/api/v1/schedules/",
];

#[tokio::test]
async fn schedule_pages_show_team_admins_their_controls_and_responders_none() {
    let w = world().await;
    let list = page_ok(&w.s, &w.ann, "/schedules").await;
    has_all(
        &list,
        "/schedules",
        &[
            "Schedules · ",
            &format!("data-schedule-list=\"{}\"", w.team),
            &format!("/schedules/new?team={}", w.team),
            "New schedule",
            "href=\"/schedules\" aria-current=\"page\"",
            "/assets/schedules.js",
        ],
    );
    let editor = page_ok(&w.s, &w.ann, &format!("/schedules/new?team={}", w.team)).await;
    has_all(
        &editor,
        "the editor",
        &[
            "id=\"schedule-form\"",
            &format!("data-team=\"{}\"", w.team),
            "Create schedule",
            "Add layer",
            "list=\"zones\"",
            "<option value=\"Europe/Berlin\">",
            "Restrict to certain days and times",
            // Participants are picked from the team: its member and the admin looking.
            &format!("<option value=\"{}\">bob</option>", w.bob_id),
            &format!("<option value=\"{}\">ann</option>", w.ann_id),
        ],
    );
    has_none(&editor, "the editor", &["data-schedule-id"]);
    let path = format!("/schedules/{}/edit", w.schedule);
    let edit = page_ok(&w.s, &w.ann, &path).await;
    has_all(
        &edit,
        "the editor",
        &[
            &format!("data-schedule-id=\"{}\"", w.schedule),
            "Save schedule",
        ],
    );
    let path = format!("/schedules/{}", w.schedule);
    let show = page_ok(&w.s, &w.ann, &path).await;
    has_all(
        &show,
        "the schedule",
        &[
            &format!("data-schedule=\"{}\"", w.schedule),
            "On call now",
            "The next two weeks",
            "Add override",
            &format!(
                "data-override-api=\"/api/v1/schedules/{}/overrides\"",
                w.schedule
            ),
            &format!(
                "data-feed-create=\"/api/v1/schedules/{}/calendar-feed\"",
                w.schedule
            ),
            "Edit schedule",
            // Names for the shifts' user ids, which the API answers without names.
            "&quot;bob&quot;",
        ],
    );
    let account = page_ok(&w.s, &w.ann, "/account").await;
    has_all(
        &account,
        "/account",
        &[
            "Your upcoming shifts",
            &format!("data-upcoming-user=\"{}\"", w.ann_id),
            &format!(
                "data-feed-create=\"/api/v1/users/{}/calendar-feed\"",
                w.ann_id
            ),
        ],
    );

    // A responder reads the schedules, gets no control to change them, and no editor.
    let list = page_ok(&w.s, &w.bob, "/schedules").await;
    has_all(
        &list,
        "bob's /schedules",
        &["Only the team's admins and owners"],
    );
    has_none(&list, "bob's /schedules", &ADMIN_CONTROLS);
    let path = format!("/schedules/{}", w.schedule);
    let show = page_ok(&w.s, &w.bob, &path).await;
    has_all(
        &show,
        "bob's schedule",
        &["On call now", "The next two weeks"],
    );
    has_none(&show, "bob's schedule", &ADMIN_CONTROLS);
    for path in [
        format!("/schedules/new?team={}", w.team),
        format!("/schedules/{}/edit", w.schedule),
    ] {
        let (st, _) = page(&w.s, &w.bob, &path).await;
        assert_eq!(st, 403, "{path} is for team admins");
    }
    // Their own shifts and their own feed are theirs.
    let account = page_ok(&w.s, &w.bob, "/account").await;
    has_all(
        &account,
        "bob's /account",
        &[
            "Your upcoming shifts",
            &format!(
                "data-feed-create=\"/api/v1/users/{}/calendar-feed\"",
                w.bob_id
            ),
        ],
    );
    has_none(&account, "bob's /account", &[&w.ann_id]);
}

#[tokio::test]
async fn a_policy_step_naming_a_schedule_keeps_it_checked_in_the_editor() {
    let w = world().await;
    let body = json!({"team_id": w.team, "name": "Follow the rotation", "repeat": 0, "steps": [
        {"delay_minutes": 0, "targets": [{"type": "schedule", "id": w.schedule}]}
    ]});
    let (st, policy) =
        w.s.call_as(&w.ann, "POST", "/api/v1/escalation-policies", Some(body))
            .await;
    assert_eq!(st, 201, "{policy}");
    let pid = policy["id"].as_str().expect("policy");
    let editor = page_ok(&w.s, &w.ann, &format!("/paging/policies/{pid}")).await;
    has_all(
        &editor,
        "the editor",
        &[
            &format!(
                "data-target-type=\"schedule\" data-target-id=\"{}\" checked",
                w.schedule
            ),
            "schedule Primary rotation",
        ],
    );
    let paging = page_ok(&w.s, &w.ann, "/paging").await;
    has_all(
        &paging,
        "/paging",
        &["Step 1, after 0 min: schedule Primary rotation"],
    );
}

#[tokio::test]
async fn another_teams_schedule_is_not_found_on_the_pages() {
    let w = world().await;
    let (st, team) = w.s.post("/api/v1/teams", json!({"name": "Payments"})).await;
    assert_eq!(st, 201, "{team}");
    let body = json!({"team_id": team["id"], "name": "Payments rotation", "time_zone": "UTC",
        "layers": [{"name": "Daily", "participants": [w.ann_id],
            "rotation": {"unit": "day", "length": 1}, "start": "2026-01-05T09:00:00"}]});
    let (st, v) = w.s.post("/api/v1/schedules", body).await;
    assert_eq!(st, 201, "{v}");
    let other = v["id"].as_str().expect("schedule");
    for path in [
        format!("/schedules/{other}"),
        format!("/schedules/{other}/edit"),
    ] {
        let (st, html) = page(&w.s, &w.bob, &path).await;
        assert_eq!(st, 404, "{path}: {html}");
        has_none(&html, &path, &["Payments rotation"]);
        // The org admin sees it, with its own team picked.
        let html = page_ok(&w.s, &w.ann, &path).await;
        has_all(
            &html,
            &path,
            &[&format!(
                "data-team=\"{}\"",
                team["id"].as_str().expect("id")
            )],
        );
    }
    let (st, _) = page(&w.s, &w.bob, "/schedules/sch_nonsense").await;
    assert_eq!(st, 400, "a malformed id");
}
