//! `tocsin contact-method|notification-rule|channel|policy` and `service set-policy`, as a
//! person runs them against a server.

use serde_json::{json, Value};
use tocsin_core::paging::message::verify;
use tocsin_server::notify::testing::Answer;

use super::{ann, receiver, teams, WAIT};
use crate::support::{bin, Server, ADMIN_TOKEN};

/// `tocsin <args>` against `server` with the admin token: whether it worked, its stdout
/// and stderr. Off the test's runtime, which serves the loopback receiver meanwhile.
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
async fn the_cli_configures_paging() {
    let (tmp, server, ann, _) = ann().await;
    let [(team, svc), _] = teams(&server).await;
    let rx = receiver(Answer::Status(204)).await;

    // Contact methods and rules.
    let url = rx.url("/cli");
    let added = ok(
        &server,
        &[
            "contact-method",
            "add",
            &ann,
            "--type",
            "webhook",
            "--name",
            "pager",
            "--url",
            &url,
        ],
    )
    .await;
    let secret = added
        .lines()
        .find_map(|l| l.strip_prefix("Signing secret (shown once, store it now): "))
        .unwrap_or_else(|| panic!("no secret in {added}"))
        .to_owned();
    let listed = ok_json(&server, &["contact-method", "list", &ann]).await;
    let cm = listed[0]["id"].as_str().expect("id").to_owned();
    assert!(ok(&server, &["contact-method", "list", &ann])
        .await
        .contains("pager"));
    let tested = ok_json(&server, &["contact-method", "test", &ann, &cm]).await;
    assert_eq!(tested["status"], "sent", "{tested}");
    let got = rx.wait_for(1, WAIT).await.expect("the CLI's test");
    assert!(verify(
        &secret,
        &got[0].body,
        got[0].header("x-tocsin-signature")
    ));
    let rule = ok_json(
        &server,
        &[
            "notification-rule",
            "add",
            &ann,
            "--contact-method",
            &cm,
            "--delay",
            "5",
        ],
    )
    .await;
    assert_eq!(rule["delay_minutes"], 5);
    assert!(ok(&server, &["notification-rule", "list", &ann])
        .await
        .contains(&cm));
    let rule_id = rule["id"].as_str().expect("id");
    ok(&server, &["notification-rule", "remove", &ann, rule_id]).await;
    assert_eq!(
        ok_json(&server, &["notification-rule", "list", &ann]).await,
        json!([])
    );

    // A channel, a one-step policy from flags, another from a file; the service runs one.
    let ch = ok_json(
        &server,
        &[
            "channel",
            "add",
            &team,
            "--type",
            "email",
            "--name",
            "desk",
            "--address",
            "desk@example.com",
        ],
    )
    .await;
    let ch = ch["id"].as_str().expect("id").to_owned();
    assert!(ok(&server, &["channel", "list", &team])
        .await
        .contains("desk"));
    let simple = ok(
        &server,
        &[
            "policy",
            "create",
            "--team",
            &team,
            "--name",
            "Simple",
            "--user",
            &ann,
            "--channel",
            &ch,
            "--repeat",
            "until_acknowledged",
        ],
    )
    .await;
    assert!(simple.contains("Simple"), "{simple}");
    assert!(
        simple.contains(&format!("step 1: after 0 min: user {ann}, channel {ch}")),
        "{simple}"
    );
    let file = tmp.path().join("policy.json");
    std::fs::write(
        &file,
        json!({"team_id": team, "name": "From file", "repeat": 1, "ack_timeout_minutes": 60, "steps": [
            {"delay_minutes": 0, "targets": [{"type": "user", "id": ann}]},
            {"delay_minutes": 10, "round_robin": true, "targets": [{"type": "channel", "id": ch}]}
        ]})
        .to_string(),
    )
    .expect("write the policy");
    let p = ok_json(
        &server,
        &["policy", "create", "--file", file.to_str().expect("path")],
    )
    .await;
    let pid = p["id"].as_str().expect("id").to_owned();
    assert_eq!(p["steps"][1]["round_robin"], true);
    let shown = ok(&server, &["policy", "show", &pid]).await;
    assert!(
        shown.contains("step 2: after 10 min (in turn): channel"),
        "{shown}"
    );
    assert_eq!(
        ok_json(&server, &["policy", "list", "--team", &team])
            .await
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let set = ok_json(&server, &["service", "set-policy", &svc, &pid]).await;
    assert_eq!(set["escalation_policy_id"], pid);
    // Refusals come back as the server's code and detail, and fail the command.
    let (worked, _, err) = cli(&server, &["policy", "remove", &pid]).await;
    assert!(!worked && err.contains("409 conflict"), "{err}");
    let (worked, _, err) = cli(&server, &["channel", "remove", &team, &ch]).await;
    assert!(!worked && err.contains("409 conflict"), "{err}");
    let (worked, _, err) = cli(
        &server,
        &[
            "policy",
            "create",
            "--team",
            &team,
            "--name",
            "Ghost",
            "--user",
            "usr_01J00000000000000000000000",
        ],
    )
    .await;
    assert!(!worked && err.contains("steps[0].targets[0]"), "{err}");
    let cleared = ok_json(&server, &["service", "set-policy", &svc, "--none"]).await;
    assert_eq!(cleared["escalation_policy_id"], Value::Null);
    ok(&server, &["policy", "remove", &pid]).await;
    let (worked, _, _) = cli(&server, &["policy", "show", &pid]).await;
    assert!(!worked);
    ok(&server, &["contact-method", "remove", &ann, &cm]).await;
    assert_eq!(
        ok_json(&server, &["contact-method", "list", &ann]).await,
        json!([])
    );
}
