//! Heartbeats on the other surfaces (issue 18): the CLI, the service page's card, and the
//! check-in route's rate limit (the service's per-key bucket, shared with its alerts).

use serde_json::{json, Value};

use crate::heartbeats::{check_in, create, local};
use crate::support::{alert, Server};

/// `tocsin heartbeat create|list|delete`, as a person runs them; a refusal names the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_creates_lists_and_deletes_heartbeats() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let svc = server.default_service().await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let run = |args: Vec<String>| {
        let mut cmd = std::process::Command::new(crate::support::bin());
        cmd.args(args)
            .env("TOCSIN_SERVER", &server.base)
            .env("TOCSIN_TOKEN", crate::support::ADMIN_TOKEN);
        async move {
            let out = tokio::task::spawn_blocking(move || cmd.output())
                .await
                .expect("join")
                .expect("run tocsin");
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned()
                    + &String::from_utf8_lossy(&out.stderr),
            )
        }
    };
    let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();

    let (ok, out) = run(args(&[
        "heartbeat",
        "create",
        &svc,
        "--name",
        "etl",
        "--interval",
        "600",
        "--grace",
        "60",
        "--json",
    ]))
    .await;
    assert!(ok, "{out}");
    let made: Value = serde_json::from_str(&out).expect("--json prints JSON");
    assert_eq!(made["name"], "etl");
    assert!(made["checkin_url"]
        .as_str()
        .is_some_and(|u| u.contains("/v1/heartbeats/")));

    let (ok, out) = run(args(&[
        "heartbeat",
        "create",
        &svc,
        "--name",
        "x",
        "--interval",
        "5",
    ]))
    .await;
    assert!(!ok, "{out}");
    assert!(out.contains("interval_seconds"), "{out}");

    let (ok, out) = run(args(&["heartbeat", "list", &svc])).await;
    assert!(ok && out.contains("etl") && out.contains("600"), "{out}");

    let id = made["id"].as_str().expect("id");
    let (ok, out) = run(args(&["heartbeat", "delete", &svc, id])).await;
    assert!(ok && out.contains("deleted heartbeat"), "{out}");
    let (_, list) = server
        .get(&format!("/api/v1/services/{svc}/heartbeats"))
        .await;
    assert_eq!(list, json!([]));
}

/// The service page's Heartbeats card: an org admin sees the check-in URL with a copy button,
/// the form and the delete button; a responder sees the heartbeat and its state, and none of
/// the key or the controls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_page_shows_heartbeats_and_the_url_only_to_admins() {
    use crate::support::{has_all, has_none, page_ok};
    const PW: &str = "a long enough password";
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::spawn_app(tmp.path()).await;
    let svc = s.default_service().await;
    let (svc, team) = (
        svc["id"].as_str().expect("id").to_owned(),
        svc["team_id"].as_str().expect("team").to_owned(),
    );
    s.new_user("ann", PW, true).await;
    let bob = s.new_user("bob", PW, false).await;
    s.add_member(&team, &bob, "responder").await;
    let (st, hb) = create(
        &s,
        &svc,
        json!({"name": "nightly-backup", "interval_seconds": 86400, "grace_seconds": 3600}),
    )
    .await;
    assert_eq!(st, 201, "{hb}");
    let url = hb["checkin_url"].as_str().expect("url").to_owned();
    let path = format!("/services/{svc}");

    let ann = s.session("ann", PW).await;
    let html = page_ok(&s, &ann, &path).await;
    has_all(
        &html,
        &path,
        &[
            "Heartbeats",
            "nightly-backup",
            "1 d",
            "1 h",
            "never",
            &url,
            "data-copy=\"heartbeat-url-",
            "id=\"new-heartbeat\"",
            &format!("data-action-url=\"/api/v1/services/{svc}/heartbeats/"),
        ],
    );

    let bob = s.session("bob", PW).await;
    let html = page_ok(&s, &bob, &path).await;
    has_all(
        &html,
        &path,
        &["Heartbeats", "nightly-backup", "data-state=\"ok\""],
    );
    let key = url.rsplit('/').next().expect("key");
    has_none(
        &html,
        &path,
        &[key, "id=\"new-heartbeat\"", "data-action-method=\"DELETE\""],
    );
}

/// Check-ins spend the service's per-key tokens, as its alerts do: over the limit, 429
/// `rate_limited` with Retry-After, and the heartbeat is not checked in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_ins_share_the_services_rate_limit() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::spawn_app_with(
        tmp.path(),
        &["--rate-limit-per-key", "1", "--rate-limit-burst", "2"],
    )
    .await;
    let svc = s.default_service().await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (st, hb) = create(&s, &svc, json!({"name": "tick", "interval_seconds": 60})).await;
    assert_eq!(st, 201, "{hb}");
    let url = local(&s, hb["checkin_url"].as_str().expect("url"));
    // The burst: one alert and one check-in.
    let (st, v) = s
        .send(&s.default_webhook().await, alert("rl", "CRITICAL"))
        .await;
    assert_eq!(st, 202, "{v}");
    let (st, first) = check_in(&url, reqwest::Method::POST).await;
    assert_eq!(st, 200, "{first}");
    let show = format!(
        "/api/v1/services/{svc}/heartbeats/{}",
        hb["id"].as_str().expect("id")
    );
    // Tokens come back one a second: check in until one is refused (a slow machine may
    // earn a token or two on the way), then nothing was changed by the refused one.
    for _ in 0..20 {
        let (_, before) = s.get(&show).await;
        assert!(before["last_checkin_at"].is_string(), "{before}");
        let r = reqwest::Client::new()
            .post(&url)
            .send()
            .await
            .expect("check in");
        if r.status().as_u16() == 200 {
            continue;
        }
        assert_eq!(r.status().as_u16(), 429);
        assert!(r.headers().get("retry-after").is_some());
        let v: Value = r.json().await.expect("JSON");
        assert_eq!(v["code"], "rate_limited", "{v}");
        let (_, after) = s.get(&show).await;
        assert_eq!(
            after["last_checkin_at"], before["last_checkin_at"],
            "the refused check-in changed nothing"
        );
        return;
    }
    panic!("no check-in was ever refused");
}
