//! The account lifecycle end to end through the API: changing and resetting passwords,
//! disabling users, listing and ending sessions, the last owner of a team. The CLI, the web
//! page, `/metrics` and the team cookie are in `account_surfaces`.

use serde_json::{json, Value};

use crate::support::{eventually, Server, Session, ADMIN_TOKEN};

const PW: &str = "ann's first password";

/// The status a session gets for a plain read.
async fn reads(s: &Server, session: &Session) -> u16 {
    s.call_as(session, "GET", "/api/v1/teams", None).await.0
}

async fn audit_actions(s: &Server) -> String {
    s.admin("GET", "/audit", None).await.to_string()
}

#[tokio::test]
async fn changing_ones_password_ends_the_other_sessions_but_not_this_one() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::spawn_app(tmp.path()).await;
    let ann = s.new_user("ann", PW, false).await;
    let here = s.session("ann", PW).await;
    let elsewhere = s.session("ann", PW).await;
    let token = s.user_token("ann", PW).await;
    let path = format!("/api/v1/users/{ann}/password");

    // Refusals change nothing.
    for (body, status, code) in [
        (
            json!({"new_password": "a new password"}),
            400,
            "invalid_field",
        ),
        (
            json!({"current_password": "not it at all", "new_password": "a new password"}),
            403,
            "wrong_password",
        ),
        (
            json!({"current_password": PW, "new_password": "short"}),
            400,
            "invalid_field",
        ),
        (
            json!({"current_password": PW, "new_password": "a new password", "x": 1}),
            400,
            "invalid_",
        ),
    ] {
        let (st, v) = s.call_as(&here, "POST", &path, Some(body)).await;
        assert_eq!(st, status, "{v}");
        assert!(
            v["code"].as_str().is_some_and(|c| c.starts_with(code)),
            "{v}"
        );
    }
    assert_eq!(reads(&s, &elsewhere).await, 200);

    let (st, v) = s
        .call_as(
            &here,
            "POST",
            &path,
            Some(json!({"current_password": PW, "new_password": "a new password"})),
        )
        .await;
    assert_eq!(st, 204, "{v}");
    assert_eq!(reads(&s, &here).await, 200, "this session stays");
    assert_eq!(reads(&s, &elsewhere).await, 401, "the other one ended");
    assert_eq!(s.sign_in("ann", PW).await.status(), 401, "old password");
    assert_eq!(s.sign_in("ann", "a new password").await.status(), 201);
    assert_eq!(
        s.call(Some(&token), "GET", "/api/v1/teams", None).await.0,
        200,
        "API tokens keep working"
    );
    // With a token there is no current session: every session ends.
    let (st, _) = s
        .call(
            Some(&token),
            "POST",
            &path,
            Some(json!({"current_password": "a new password", "new_password": "a third password"})),
        )
        .await;
    assert_eq!(st, 204);
    assert_eq!(reads(&s, &here).await, 401);
    assert!(audit_actions(&s).await.contains("user.password_change"));
}

#[tokio::test]
async fn an_org_admin_resets_a_password_and_ends_every_session() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::spawn_app(tmp.path()).await;
    let ann = s.new_user("ann", PW, false).await;
    let bob = s.new_user("bob", PW, false).await;
    let sess = s.session("ann", PW).await;
    let bob_token = s.user_token("bob", PW).await;
    let path = format!("/api/v1/users/{ann}/password");
    // Not an org admin: bob cannot even see ann (no shared team).
    let (st, v) = s
        .call(
            Some(&bob_token),
            "POST",
            &path,
            Some(json!({"new_password": "bob's choice!"})),
        )
        .await;
    assert_eq!((st, v["code"].as_str()), (404, Some("not_found")), "{v}");
    assert_eq!(reads(&s, &sess).await, 200);

    let (st, v) = s
        .call(
            Some(ADMIN_TOKEN),
            "POST",
            &path,
            Some(json!({"new_password": "set by the admin"})),
        )
        .await;
    assert_eq!(st, 204, "{v}");
    assert_eq!(reads(&s, &sess).await, 401, "every session of ann ended");
    assert_eq!(s.sign_in("ann", PW).await.status(), 401);
    assert_eq!(s.sign_in("ann", "set by the admin").await.status(), 201);
    let audit = audit_actions(&s).await;
    assert!(
        audit.contains("user.password_reset") && audit.contains(&ann),
        "{audit}"
    );
    let _ = bob;
}

#[tokio::test]
async fn a_disabled_users_cookie_and_token_stop_at_once() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::spawn_app(tmp.path()).await;
    let ann = s.new_user("ann", PW, false).await;
    let root = s.new_user("root", PW, true).await;
    let sess = s.session("ann", PW).await;
    let token = s.user_token("ann", PW).await;
    assert_eq!(reads(&s, &sess).await, 200);

    let v = s
        .admin("POST", &format!("/users/{ann}/disable"), None)
        .await;
    assert_eq!(v["disabled"], true, "{v}");
    assert!(v["disabled_at"].is_string(), "{v}");
    assert_eq!(reads(&s, &sess).await, 401, "the cookie stopped");
    let (st, v) = s.call(Some(&token), "GET", "/api/v1/teams", None).await;
    assert_eq!((st, v["code"].as_str()), (401, Some("account_disabled")));
    // A page sends the browser to sign in again.
    let page = s
        .http
        .get(s.url("/incidents"))
        .header("cookie", &sess.cookie)
        .send()
        .await
        .expect("page");
    assert!(
        page.url().path() == "/login" || page.status() == 303,
        "{page:?}"
    );
    // The right password says why; a wrong one says nothing more than before.
    let r = s.sign_in("ann", PW).await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.expect("json")["code"],
        "account_disabled"
    );
    let r = s.sign_in("ann", "a wrong password").await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.expect("json")["code"],
        "unauthorized"
    );

    // Nobody disables themselves, nor the last active org admin.
    let root_token = s.user_token("root", PW).await;
    let (st, v) = s
        .call(
            Some(&root_token),
            "POST",
            &format!("/api/v1/users/{root}/disable"),
            None,
        )
        .await;
    assert_eq!((st, v["code"].as_str()), (409, Some("cannot_disable_self")));
    let users = s.admin("GET", "/users", None).await;
    let first_admin = users
        .as_array()
        .and_then(|u| u.iter().find(|u| u["username"] == "admin"))
        .and_then(|u| u["id"].as_str())
        .expect("the first admin user")
        .to_owned();
    s.admin("POST", &format!("/users/{first_admin}/disable"), None)
        .await;
    let (st, v) = s
        .call(
            Some(ADMIN_TOKEN),
            "POST",
            &format!("/api/v1/users/{root}/disable"),
            None,
        )
        .await;
    assert_eq!(
        (st, v["code"].as_str()),
        (409, Some("last_org_admin")),
        "{v}"
    );

    // Enabled again: its tokens work again, its ended sessions stay ended.
    let v = s.admin("POST", &format!("/users/{ann}/enable"), None).await;
    assert_eq!(
        (v["disabled"].as_bool(), v["disabled_at"].is_null()),
        (Some(false), true)
    );
    assert_eq!(
        s.call(Some(&token), "GET", "/api/v1/teams", None).await.0,
        200
    );
    assert_eq!(reads(&s, &sess).await, 401);
    assert_eq!(s.sign_in("ann", PW).await.status(), 201);
    let audit = audit_actions(&s).await;
    assert!(
        audit.contains("user.disable") && audit.contains("user.enable"),
        "{audit}"
    );
}

#[tokio::test]
async fn sessions_are_listed_and_ended_one_or_all_others() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::spawn_app(tmp.path()).await;
    s.new_user("ann", PW, false).await;
    s.new_user("bob", PW, false).await;
    let (a, b, c) = (
        s.session("ann", PW).await,
        s.session("ann", PW).await,
        s.session("ann", PW).await,
    );
    let current = |list: &Value| -> String {
        let now: Vec<_> = list
            .as_array()
            .expect("list")
            .iter()
            .filter(|x| x["current"] == true)
            .collect();
        assert_eq!(now.len(), 1, "{list}");
        now[0]["id"].as_str().expect("id").to_owned()
    };
    let (st, list) = s.call_as(&a, "GET", "/api/v1/session/sessions", None).await;
    assert_eq!(st, 200, "{list}");
    assert_eq!(list.as_array().map(Vec::len), Some(3), "{list}");
    assert!(list[0]["created_at"].is_string() && list[0]["expires_at"].is_string());
    assert!(!list
        .to_string()
        .contains(a.cookie.trim_start_matches("tocsin_session=")));
    let a_id = current(&list);
    let b_id = current(
        &s.call_as(&b, "GET", "/api/v1/session/sessions", None)
            .await
            .1,
    );
    assert_ne!(a_id, b_id);
    // Using a session records when it was last seen (written in the background).
    eventually("last_seen_at set", || async {
        let list = s
            .call_as(&a, "GET", "/api/v1/session/sessions", None)
            .await
            .1;
        let mine = list
            .as_array()
            .and_then(|l| l.iter().find(|x| x["id"] == a_id.as_str()).cloned())
            .expect("listed");
        if mine["last_seen_at"].is_string() {
            Ok(())
        } else {
            Err(mine.to_string())
        }
    })
    .await;

    // Someone else's session is not found, whoever asks.
    let bob = s.session("bob", PW).await;
    let (st, _) = s
        .call_as(
            &bob,
            "DELETE",
            &format!("/api/v1/session/sessions/{b_id}"),
            None,
        )
        .await;
    assert_eq!(st, 404);
    assert_eq!(reads(&s, &b).await, 200);
    let (st, v) = s
        .call_as(&a, "DELETE", "/api/v1/session/sessions/ses_nonsense", None)
        .await;
    assert_eq!((st, v["code"].as_str()), (400, Some("invalid_id")));

    let (st, _) = s
        .call_as(
            &a,
            "DELETE",
            &format!("/api/v1/session/sessions/{b_id}"),
            None,
        )
        .await;
    assert_eq!(st, 204);
    assert_eq!(reads(&s, &b).await, 401);
    assert_eq!((reads(&s, &a).await, reads(&s, &c).await), (200, 200));
    let (st, v) = s
        .call_as(&a, "DELETE", "/api/v1/session/sessions", None)
        .await;
    assert_eq!((st, v["ended"].as_u64()), (200, Some(1)), "{v}");
    assert_eq!((reads(&s, &a).await, reads(&s, &c).await), (200, 401));
    assert_eq!(reads(&s, &bob).await, 200, "bob's session is his own");

    // A token without a user has no sessions.
    let (st, v) = s
        .call(Some(ADMIN_TOKEN), "GET", "/api/v1/session/sessions", None)
        .await;
    assert_eq!((st, v["code"].as_str()), (403, Some("forbidden")));
    let audit = audit_actions(&s).await;
    assert!(audit.contains("session.end_others") && audit.contains("\"session.end\""));
}

#[tokio::test]
async fn the_last_owner_of_a_team_cannot_step_down_or_be_removed() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::spawn_app(tmp.path()).await;
    let ann = s.new_user("ann", PW, false).await;
    let bob = s.new_user("bob", PW, false).await;
    let team = s
        .admin("POST", "/teams", Some(json!({"name": "Owned"})))
        .await["id"]
        .as_str()
        .expect("team")
        .to_owned();
    let members = format!("/api/v1/teams/{team}/members");
    s.admin(
        "POST",
        &format!("/teams/{team}/members"),
        Some(json!({"user_id": ann, "role": "owner"})),
    )
    .await;
    let ann_token = s.user_token("ann", PW).await;
    for (token, method, path, body) in [
        (
            ann_token.as_str(),
            "POST",
            members.clone(),
            Some(json!({"user_id": ann, "role": "admin"})),
        ),
        (
            ann_token.as_str(),
            "DELETE",
            format!("{members}/{ann}"),
            None,
        ),
        // Nor may anyone else, org admins included, take the last owner away.
        (ADMIN_TOKEN, "DELETE", format!("{members}/{ann}"), None),
        (
            ADMIN_TOKEN,
            "POST",
            members.clone(),
            Some(json!({"user_id": ann, "role": "observer"})),
        ),
    ] {
        let (st, v) = s.call(Some(token), method, &path, body).await;
        assert_eq!(
            (st, v["code"].as_str()),
            (409, Some("last_owner")),
            "{method} {path}: {v}"
        );
        assert!(v["detail"]
            .as_str()
            .is_some_and(|d| d.contains("last owner")));
    }
    let (_, list) = s.call(Some(&ann_token), "GET", &members, None).await;
    assert_eq!(list[0]["role"], "owner", "{list}");
    // With a second owner, ann may step down.
    let (st, _) = s
        .call(
            Some(&ann_token),
            "POST",
            &members,
            Some(json!({"user_id": bob, "role": "owner"})),
        )
        .await;
    assert_eq!(st, 201);
    let (st, v) = s
        .call(
            Some(&ann_token),
            "POST",
            &members,
            Some(json!({"user_id": ann, "role": "admin"})),
        )
        .await;
    assert_eq!((st, v["role"].as_str()), (201, Some("admin")), "{v}");
}
