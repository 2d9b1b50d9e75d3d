//! Accounts end to end: tokens refused when they should be, sessions and CSRF, webhook key
//! rotation, the audit log, the OpenAPI document, and the CLI against a live server.

use std::process::Command;

use serde_json::{json, Value};

use crate::support::{alert, bin, eventually, Server, ADMIN_TOKEN};

async fn team_token(s: &Server, team: &str, role: &str) -> (String, String) {
    let v = s
        .admin(
            "POST",
            "/tokens",
            Some(json!({"name": format!("{role} token"), "team_id": team, "role": role})),
        )
        .await;
    (
        v["token"].as_str().expect("secret").to_owned(),
        v["id"].as_str().expect("id").to_owned(),
    )
}

#[tokio::test]
async fn bad_tokens_are_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::spawn_app(tmp.path()).await;
    let a = s.admin("GET", "/teams", None).await[0]["id"]
        .as_str()
        .expect("team")
        .to_owned();
    let b = s.admin("POST", "/teams", Some(json!({"name": "B"}))).await["id"]
        .as_str()
        .expect("team")
        .to_owned();
    for bad in [
        "",
        "tocsin_",
        "not-a-token",
        "tocsin_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        &"x".repeat(5000),
    ] {
        let (st, v) = s.call(Some(bad), "GET", "/api/v1/teams", None).await;
        assert_eq!(
            (st, v["code"].as_str()),
            (401, Some("unauthorized")),
            "{bad:.20}: {v}"
        );
    }
    let (st, _) = s.call(None, "GET", "/api/v1/teams", None).await;
    assert_eq!(st, 401);

    // Revoked: works, then stops.
    let (secret, id) = team_token(&s, &a, "responder").await;
    assert_eq!(
        s.call(Some(&secret), "GET", "/api/v1/teams", None).await.0,
        200
    );
    s.admin("DELETE", &format!("/tokens/{id}"), None).await;
    assert_eq!(
        s.call(Some(&secret), "GET", "/api/v1/teams", None).await.0,
        401
    );
    let tokens = s.admin("GET", "/tokens", None).await;
    let t = tokens
        .as_array()
        .expect("list")
        .iter()
        .find(|t| t["id"] == id.as_str())
        .expect("listed");
    assert!(
        t["revoked_at"].is_string() && t["last_used_at"].is_string(),
        "{t}"
    );
    assert!(t.get("token").is_none() && !tokens.to_string().contains(&secret));

    // Expired: works until its time, then is refused.
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let v = s
        .admin(
            "POST",
            "/tokens",
            Some(json!({"name": "short", "team_id": a, "expires_at": soon})),
        )
        .await;
    let short = v["token"].as_str().expect("secret").to_owned();
    assert_eq!(
        s.call(Some(&short), "GET", "/api/v1/teams", None).await.0,
        200
    );
    eventually("the expired token refused", || async {
        match s.call(Some(&short), "GET", "/api/v1/teams", None).await.0 {
            401 => Ok(()),
            st => Err(format!("still {st}")),
        }
    })
    .await;
    let (st, _) = s
        .call(
            Some(ADMIN_TOKEN),
            "POST",
            "/api/v1/tokens",
            Some(json!({"name": "past", "expires_at": "2001-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(st, 400);

    // Wrong team: a team-B token sees nothing of team A, and cannot mint more than it has.
    let (b_tok, _) = team_token(&s, &b, "owner").await;
    let (st, _) = s
        .call(Some(&b_tok), "GET", &format!("/api/v1/teams/{a}"), None)
        .await;
    assert_eq!(st, 404);
    let teams = s.call(Some(&b_tok), "GET", "/api/v1/teams", None).await.1;
    assert_eq!(teams.as_array().map(Vec::len), Some(1));
    assert_eq!(teams[0]["id"], b.as_str());
    let (st, _) = s
        .call(
            Some(&b_tok),
            "POST",
            "/api/v1/tokens",
            Some(json!({"name": "x", "team_id": a})),
        )
        .await;
    assert_eq!(st, 404);
    let (st, _) = s
        .call(
            Some(&b_tok),
            "POST",
            "/api/v1/tokens",
            Some(json!({"name": "x", "role": "org_admin"})),
        )
        .await;
    assert_eq!(st, 403);
    let (st, _) = s
        .call(
            Some(&b_tok),
            "POST",
            "/api/v1/teams",
            Some(json!({"name": "mine"})),
        )
        .await;
    assert_eq!(st, 403);
}

#[tokio::test]
async fn sessions_need_csrf_for_changes_and_end_on_sign_out() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::spawn_app(tmp.path()).await;
    s.admin(
        "POST",
        "/users",
        Some(json!({"username": "ann", "email": "ann@example.com", "password": "ann's password"})),
    )
    .await;
    let (st, _) = s
        .call(
            None,
            "POST",
            "/api/v1/session",
            Some(json!({"username": "ann", "password": "wrong password"})),
        )
        .await;
    assert_eq!(st, 401);
    let (st, _) = s
        .call(
            None,
            "POST",
            "/api/v1/session",
            Some(json!({"username": "nobody", "password": "wrong password"})),
        )
        .await;
    assert_eq!(st, 401);
    let r = s
        .http
        .post(s.url("/api/v1/session"))
        .json(&json!({"username": "ann", "password": "ann's password"}))
        .send()
        .await
        .expect("sign in");
    assert_eq!(r.status(), 201);
    let set = r.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax") && !set.contains("Secure"),
        "{set}"
    );
    let cookie = set.split(';').next().expect("pair").to_owned();
    let csrf = r.json::<Value>().await.expect("json")["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_owned();
    let get = s
        .http
        .get(s.url("/api/v1/users"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(get.status(), 200);
    let post = |csrf: Option<&str>| {
        let mut req = s
            .http
            .post(s.url("/api/v1/tokens"))
            .header("cookie", &cookie)
            .json(&json!({"name": "cli"}));
        if let Some(c) = csrf {
            req = req.header("x-tocsin-csrf", c);
        }
        req.send()
    };
    assert_eq!(post(None).await.expect("post").status(), 403);
    assert_eq!(
        post(Some("tocsin_wrong")).await.expect("post").status(),
        403
    );
    assert_eq!(post(Some(&csrf)).await.expect("post").status(), 201);
    let out = s
        .http
        .delete(s.url("/api/v1/session"))
        .header("cookie", &cookie)
        .header("x-tocsin-csrf", &csrf)
        .send()
        .await
        .expect("sign out");
    assert_eq!(out.status(), 204);
    let after = s
        .http
        .get(s.url("/api/v1/users"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(after.status(), 401);
    let audit = s.admin("GET", "/audit", None).await.to_string();
    assert!(
        audit.contains("\"login\"") && audit.contains("token.create") && audit.contains("logout"),
        "{audit}"
    );
}

#[tokio::test]
async fn rotating_a_key_stops_the_old_url_or_keeps_it_for_the_grace() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::spawn_app(tmp.path()).await;
    let (svc, old_url) = s.new_service("rotating").await;
    let (st, _) = s.send(&old_url, alert("r:1", "CRITICAL")).await;
    assert_eq!(st, 202);
    let v = s
        .admin("POST", &format!("/services/{svc}/rotate-key"), None)
        .await;
    let new_url = v["webhook_url"].as_str().expect("url").to_owned();
    assert_ne!(new_url, old_url);
    assert!(v["previous_key_expires_at"].is_null());
    // Straight after, even though the old key was just cached by the request above.
    assert_eq!(s.send(&old_url, alert("r:2", "CRITICAL")).await.0, 404);
    assert_eq!(s.send(&new_url, alert("r:3", "CRITICAL")).await.0, 202);
    assert_eq!(s.kapacitor_url(&svc).await, new_url);

    let v = s
        .admin(
            "POST",
            &format!("/services/{svc}/rotate-key"),
            Some(json!({"grace_seconds": 3600})),
        )
        .await;
    let newest = v["webhook_url"].as_str().expect("url").to_owned();
    assert!(v["previous_key_expires_at"].is_string());
    assert_eq!(
        s.send(&new_url, alert("r:4", "CRITICAL")).await.0,
        202,
        "within grace"
    );
    assert_eq!(s.send(&newest, alert("r:5", "CRITICAL")).await.0, 202);
    assert_eq!(s.send(&old_url, alert("r:6", "CRITICAL")).await.0, 404);
    let (st, _) = s
        .call(
            Some(ADMIN_TOKEN),
            "POST",
            &format!("/api/v1/services/{svc}/rotate-key"),
            Some(json!({"grace_seconds": 99_999_999})),
        )
        .await;
    assert_eq!(st, 400);
    let audit = s.admin("GET", "/audit", None).await;
    let rotations = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "service.rotate_key" && e["target"] == svc.as_str())
        .count();
    assert_eq!(rotations, 2);
}

#[tokio::test]
async fn team_owners_read_their_teams_audit_only() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::spawn_app(tmp.path()).await;
    let a = s.admin("GET", "/teams", None).await[0]["id"]
        .as_str()
        .expect("a")
        .to_owned();
    let b = s.admin("POST", "/teams", Some(json!({"name": "B"}))).await["id"]
        .as_str()
        .expect("b")
        .to_owned();
    let (owner_a, _) = team_token(&s, &a, "owner").await;
    let svc = s
        .admin(
            "POST",
            "/services",
            Some(json!({"name": "audited", "team_id": a})),
        )
        .await;
    let url = s.kapacitor_url(svc["id"].as_str().expect("svc")).await;
    let (_, inc) = s.send(&url, alert("a:1", "CRITICAL")).await;
    let inc = inc["incident_id"].as_str().expect("inc").to_owned();
    let (st, _) = s
        .call(
            Some(&owner_a),
            "POST",
            &format!("/api/v1/incidents/{inc}/acknowledge"),
            None,
        )
        .await;
    assert_eq!(st, 200);
    team_token(&s, &b, "observer").await;
    let (st, mine) = s.call(Some(&owner_a), "GET", "/api/v1/audit", None).await;
    assert_eq!(st, 200, "{mine}");
    let entries = mine["entries"].as_array().expect("entries");
    assert!(entries
        .iter()
        .any(|e| e["action"] == "incident.acknowledge" && e["actor"] == "owner token"));
    assert!(entries.iter().all(|e| e["team_id"] == a.as_str()), "{mine}");
    let all = s.admin("GET", "/audit", None).await.to_string();
    assert!(all.contains(&b));
}

#[tokio::test]
async fn openapi_is_served_and_matches_the_committed_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::spawn_app(tmp.path()).await;
    let r = s
        .http
        .get(s.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    let served = r.text().await.expect("body");
    let spec = tocsin_server::api::openapi_json();
    assert!(served == spec, "the served document is not openapi_json()");
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/openapi.json"
    ))
    .expect("docs/openapi.json");
    assert!(
        spec == committed,
        "docs/openapi.json is out of date: run `cargo run -q -- openapi > docs/openapi.json`"
    );
    let doc: Value = serde_json::from_str(&spec).expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/services/{id}/rotate-key"]["post"].is_object());
}

#[tokio::test]
async fn the_cli_manages_users_teams_tokens_services_and_incidents() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start(tmp.path()).await;
    let run = |args: &[&str]| {
        let out = Command::new(bin())
            .args(args)
            .env("TOCSIN_SERVER", &s.base)
            .env("TOCSIN_TOKEN", ADMIN_TOKEN)
            .output()
            .expect("run tocsin");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{args:?}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    };
    let user: Value = serde_json::from_str(&run(&[
        "user",
        "add",
        "cli-user",
        "--email",
        "c@example.com",
        "--password",
        "password1234",
        "--json",
    ]))
    .expect("json");
    let uid = user["id"].as_str().expect("id").to_owned();
    assert!(run(&["user", "list"]).contains("cli-user"));
    let team: Value =
        serde_json::from_str(&run(&["team", "create", "Ops", "--json"])).expect("json");
    let tid = team["id"].as_str().expect("id").to_owned();
    assert!(run(&["team", "add-member", &tid, &uid, "--role", "admin"]).contains("admin"));
    assert!(run(&["team", "list"]).contains("Ops"));
    let svc: Value =
        serde_json::from_str(&run(&["service", "create", "db", "--team", &tid, "--json"]))
            .expect("json");
    let sid = svc["id"].as_str().expect("id").to_owned();
    assert!(run(&["service", "list", "--team", &tid]).contains("db"));
    let rotated = run(&["service", "rotate-key", &sid, "--grace", "60"]);
    assert!(rotated.contains("keeps working until"), "{rotated}");
    let url = s.kapacitor_url(&sid).await;
    let (_, b) = s.send(&url, alert("cli:1", "CRITICAL")).await;
    let inc = b["incident_id"].as_str().expect("inc").to_owned();
    assert!(run(&["incidents", "list", "--status", "open"]).contains(&inc));
    assert!(run(&["incidents", "ack", &inc]).contains("acknowledged"));
    assert!(run(&["incidents", "resolve", &inc]).contains("resolved"));
    let tok: Value = serde_json::from_str(&run(&[
        "token", "create", "ci", "--team", &tid, "--role", "observer", "--json",
    ]))
    .expect("json");
    assert!(tok["token"]
        .as_str()
        .is_some_and(|t| t.starts_with("tocsin_")));
    let tok_id = tok["id"].as_str().expect("id");
    assert!(run(&["token", "revoke", tok_id]).contains(tok_id));
    run(&["team", "remove-member", &tid, &uid]);
    assert!(!run(&["team", "members", &tid]).contains("cli-user"));
    // Refusals come back as the server's code, with a failing exit status.
    let out = Command::new(bin())
        .args(["team", "create", "Nope"])
        .env("TOCSIN_SERVER", &s.base)
        .env("TOCSIN_TOKEN", "tocsin_wrong")
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("401 unauthorized"));
    for shell in ["bash", "zsh", "fish"] {
        let c = run(&["completions", shell]);
        assert!(
            c.contains("rotate-key") && c.contains("add-member"),
            "{shell}"
        );
    }
}

#[tokio::test]
async fn first_start_creates_the_admin_user_with_a_given_or_printed_password() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (s, printed) = Server::spawn_app_with_env(tmp.path(), &[]).await;
    let line = printed
        .iter()
        .find(|l| l.contains("organisation admin user `admin`"))
        .expect("admin user line");
    let password = line
        .rsplit(": ")
        .next()
        .expect("password")
        .trim()
        .to_owned();
    assert!(password.len() >= 32, "{line}");
    let token = s.user_token("admin", &password).await;
    let (st, users) = s.call(Some(&token), "GET", "/api/v1/users", None).await;
    assert_eq!(st, 200);
    assert_eq!(users[0]["org_admin"], true);
    // A restart neither recreates nor prints it again.
    s.shut_down().await;
    let (s, printed) = Server::spawn_app_with_env(tmp.path(), &[]).await;
    assert!(
        !printed.iter().any(|l| l.contains("password")),
        "{printed:?}"
    );
    s.user_token("admin", &password).await;

    let tmp = tempfile::tempdir().expect("tmp");
    let (s, printed) = Server::spawn_app_with_env(
        tmp.path(),
        &[("TOCSIN_ADMIN_PASSWORD", "chosen by the operator")],
    )
    .await;
    assert!(printed.iter().any(|l| l.contains("TOCSIN_ADMIN_PASSWORD")));
    assert!(!printed.iter().any(|l| l.contains("chosen by the operator")));
    s.user_token("admin", "chosen by the operator").await;
}
