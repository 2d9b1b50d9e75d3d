//! `tocsin schedule …` and `tocsin oncall`, as a person runs them against a server process;
//! and that the server's log never holds a calendar feed's token.

use serde_json::{json, Value};

use super::daily;
use crate::paging::{teams, PASSWORD};
use crate::support::{bin, Server, ADMIN_TOKEN};

/// `tocsin <args>` against `server` with the admin token: whether it worked, stdout, stderr.
async fn cli(server: &Server, args: &[&str]) -> (bool, String, String) {
    let mut cmd = std::process::Command::new(bin());
    cmd.args(args)
        .env("TOCSIN_SERVER", &server.base)
        .env("TOCSIN_TOKEN", ADMIN_TOKEN);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("run tocsin");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn ok(server: &Server, args: &[&str]) -> String {
    let (worked, stdout, stderr) = cli(server, args).await;
    assert!(worked, "{args:?}: {stdout}{stderr}");
    stdout
}

async fn ok_json(server: &Server, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    serde_json::from_str(&ok(server, &all).await).expect("--json prints JSON")
}

#[tokio::test]
async fn the_cli_manages_schedules_and_says_who_is_on_call() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(tmp.path()).await;
    let ann = server.new_user("ann", PASSWORD, false).await;
    let bob = server.new_user("bob", PASSWORD, false).await;
    let [(team, _), _] = teams(&server).await;
    let file = tmp.path().join("s.json");
    std::fs::write(
        &file,
        daily("", "Payments", &[&ann, &bob], "2027-03-01T09:00:00").to_string(),
    )
    .expect("write");
    let path = file.to_str().expect("utf-8 path");

    let created = ok(
        &server,
        &["schedule", "create", "--file", path, "--team", &team],
    )
    .await;
    assert!(
        created.contains("Payments") && created.contains("Europe/Berlin"),
        "{created}"
    );
    assert!(
        created.contains("layer 1: \"primary\", every 1 day(s)"),
        "{created}"
    );
    let list = ok_json(&server, &["schedule", "list", "--team", &team]).await;
    let id = list[0]["id"].as_str().expect("id").to_owned();
    assert!(ok(&server, &["schedule", "show", &id])
        .await
        .contains("Payments"));

    // Who is on call, on each side of the hand-off on 2 March 2027 at 09:00 CET (08:00Z).
    let before = ok_json(
        &server,
        &["oncall", "--schedule", &id, "--at", "2027-03-02T07:59:59Z"],
    )
    .await;
    assert_eq!(before[0]["users"], "ann", "{before}");
    assert_eq!(before[0]["until"], "2027-03-02T08:00:00Z");
    let after = ok(&server, &["oncall", "--at", "2027-03-02T08:00:00+00:00"]).await;
    assert!(
        after
            .lines()
            .any(|l| l.contains(&id) && l.contains("bob") && l.contains("2027-03-03T08:00:00Z")),
        "{after}"
    );

    let shifts = ok_json(
        &server,
        &[
            "schedule",
            "shifts",
            &id,
            "--from",
            "2027-03-02T00:00:00Z",
            "--to",
            "2027-03-03T00:00:00Z",
        ],
    )
    .await;
    assert_eq!(
        shifts
            .as_array()
            .expect("shifts")
            .iter()
            .map(|s| (s["user_id"].clone(), s["start"].clone()))
            .collect::<Vec<_>>(),
        vec![
            (json!(ann), json!("2027-03-02T00:00:00Z")),
            (json!(bob), json!("2027-03-02T08:00:00Z"))
        ]
    );

    // Overrides: add, see it win, list, remove.
    let o = ok_json(
        &server,
        &[
            "schedule",
            "override",
            "add",
            &id,
            "--user",
            &ann,
            "--start",
            "2027-03-02T10:00:00Z",
            "--end",
            "2027-03-02T11:00:00Z",
        ],
    )
    .await;
    let oid = o["id"].as_str().expect("override id").to_owned();
    let during = ok_json(
        &server,
        &["oncall", "--schedule", &id, "--at", "2027-03-02T10:30:00Z"],
    )
    .await;
    assert_eq!(during[0]["users"], "ann", "{during}");
    assert!(ok(&server, &["schedule", "override", "list", &id])
        .await
        .contains(&oid));
    ok(&server, &["schedule", "override", "remove", &id, &oid]).await;
    assert_eq!(
        ok_json(&server, &["schedule", "override", "list", &id]).await,
        json!([])
    );

    // Bad input: the server's {code, detail} reaches the person, naming the field.
    let (worked, out, err) = cli(
        &server,
        &[
            "schedule",
            "shifts",
            &id,
            "--from",
            "2027-03-02T00:00:00Z",
            "--to",
            "2027-03-01T00:00:00Z",
        ],
    )
    .await;
    assert!(!worked, "{out}");
    assert!(err.contains("`to`"), "{err}");

    // A feed's secret URL is served, and its token never reaches the log.
    let (st, feed) = server
        .post(&format!("/api/v1/schedules/{id}/calendar-feed"), json!({}))
        .await;
    assert_eq!(st, 201, "{feed}");
    let url = feed["url"].as_str().expect("url");
    assert_eq!(reqwest::get(url).await.expect("GET").status().as_u16(), 200);
    let token = url
        .rsplit('/')
        .next()
        .and_then(|f| f.strip_suffix(".ics"))
        .expect("token");
    let log = server.log();
    assert!(
        log.contains("/calendar/<key>.ics"),
        "the request is logged, redacted"
    );
    assert!(!log.contains(token), "the token is not in the log");

    ok(&server, &["schedule", "remove", &id]).await;
    assert_eq!(ok_json(&server, &["schedule", "list"]).await, json!([]));
    assert!(ok(&server, &["oncall"]).await.starts_with("SCHEDULE_ID"));
}
