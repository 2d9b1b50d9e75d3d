//! The account lifecycle's other surfaces: `/metrics` behind a token, the team cookie under
//! https, the CLI's user commands, and the "Your account" page.

use std::process::Command;

use serde_json::Value;

use crate::support::{bin, Server, ADMIN_TOKEN};

const PW: &str = "ann's first password";

#[tokio::test]
async fn metrics_need_the_token_when_one_is_set() {
    let tmp = tempfile::tempdir().expect("tmp");
    let open = Server::spawn_app(tmp.path()).await;
    let r = open
        .http
        .get(open.url("/metrics"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200, "open by default");
    drop(open);

    let secret = "metrics-secret-0123456789";
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start_with(tmp.path(), &["--metrics-token", secret]).await;
    for auth in [
        None,
        Some("Bearer wrong-token"),
        Some("Basic abc"),
        Some("Bearer "),
    ] {
        let mut req = s.http.get(s.url("/metrics"));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let r = req.send().await.expect("get");
        assert_eq!(r.status(), 401, "{auth:?}");
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["code"], "unauthorized");
        assert!(!v.to_string().contains(secret));
    }
    let r = s
        .http
        .get(s.url("/metrics"))
        .bearer_auth(secret)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("text").contains("tocsin_"));
    // /healthz stays open for probes.
    let r = s.http.get(s.url("/healthz")).send().await.expect("get");
    assert_eq!(r.status(), 200);

    // A token too short to be a secret is refused at start.
    let out = Command::new(bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(tmp.path())
        .env("TOCSIN_METRICS_TOKEN", "short")
        .env("TOCSIN_ADMIN_TOKEN", ADMIN_TOKEN)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--metrics-token") && err.contains("16"),
        "{err}"
    );
}

#[tokio::test]
async fn the_team_cookie_is_secure_under_https_only() {
    for (public, secure) in [(Some("https://tocsin.example"), true), (None, false)] {
        let tmp = tempfile::tempdir().expect("tmp");
        let extra: Vec<&str> = public.map(|p| vec!["--public-url", p]).unwrap_or_default();
        let s = Server::spawn_app_with(tmp.path(), &extra).await;
        s.new_user("ann", PW, true).await;
        let team = s.get("/api/v1/teams").await.1[0]["id"]
            .as_str()
            .expect("team")
            .to_owned();
        let sess = s.session("ann", PW).await;
        let r = s
            .http
            .get(s.url(&format!("/incidents?team={team}")))
            .header("cookie", &sess.cookie)
            .send()
            .await
            .expect("page");
        assert_eq!(r.status(), 200);
        let set = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("tocsin_team="))
            .expect("the team cookie")
            .to_owned();
        assert_eq!(set.contains("; Secure"), secure, "{public:?}: {set}");
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax"),
            "{set}"
        );
    }
}

#[tokio::test]
async fn the_cli_changes_passwords_and_disables_users() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::start(tmp.path()).await;
    let ann = s.new_user("ann", PW, false).await;
    let ann_token = s.user_token("ann", PW).await;
    let run = |token: &str, args: &[&str], env: &[(&str, &str)]| {
        let out = Command::new(bin())
            .args(args)
            .env("TOCSIN_SERVER", &s.base)
            .env("TOCSIN_TOKEN", token)
            .envs(env.iter().copied())
            .output()
            .expect("run tocsin");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, out) = run(&ann_token, &["user", "sessions"], &[]);
    assert!(
        ok && out.contains("LAST_SEEN_AT") && out.contains("ses_"),
        "{out}"
    );
    let (ok, out) = run(
        &ann_token,
        &["user", "passwd", &ann],
        &[
            ("TOCSIN_CURRENT_PASSWORD", "wrong wrong"),
            ("TOCSIN_NEW_PASSWORD", "ann's cli password"),
        ],
    );
    assert!(!ok && out.contains("403 wrong_password"), "{out}");
    let (ok, out) = run(
        &ann_token,
        &["user", "passwd", &ann],
        &[
            ("TOCSIN_CURRENT_PASSWORD", PW),
            ("TOCSIN_NEW_PASSWORD", "ann's cli password"),
        ],
    );
    assert!(ok, "{out}");
    assert_eq!(s.sign_in("ann", "ann's cli password").await.status(), 201);
    let (ok, out) = run(
        ADMIN_TOKEN,
        &[
            "user",
            "reset-password",
            &ann,
            "--new-password",
            "reset by the cli",
        ],
        &[],
    );
    assert!(ok, "{out}");
    assert_eq!(s.sign_in("ann", "reset by the cli").await.status(), 201);
    let (ok, out) = run(ADMIN_TOKEN, &["user", "disable", &ann], &[]);
    assert!(ok && out.contains("true"), "{out}");
    assert_eq!(
        s.call(Some(&ann_token), "GET", "/api/v1/teams", None)
            .await
            .0,
        401
    );
    let (ok, out) = run(ADMIN_TOKEN, &["user", "enable", &ann, "--json"], &[]);
    assert!(ok && out.contains("\"disabled\": false"), "{out}");
    assert_eq!(
        s.call(Some(&ann_token), "GET", "/api/v1/teams", None)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn the_account_page_lists_ones_sessions_and_offers_to_end_them() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::spawn_app(tmp.path()).await;
    let ann = s.new_user("ann", PW, false).await;
    let here = s.session("ann", PW).await;
    let other = s.session("ann", PW).await;
    let other_id = s
        .call_as(&other, "GET", "/api/v1/session/sessions", None)
        .await
        .1
        .as_array()
        .and_then(|l| l.iter().find(|x| x["current"] == true).cloned())
        .expect("current")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let page = s
        .http
        .get(s.url("/account"))
        .header("cookie", &here.cookie)
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    for want in [
        "Your sessions",
        "This session",
        &format!("/api/v1/session/sessions/{other_id}"),
        &format!("/api/v1/users/{ann}/password"),
        "End all other sessions (1)",
    ] {
        assert!(html.contains(want), "{want} in the page");
    }
    // A token acting for no user has no account page.
    let (st, _) = s.call(Some(ADMIN_TOKEN), "GET", "/account", None).await;
    assert_eq!(st, 403);
}
