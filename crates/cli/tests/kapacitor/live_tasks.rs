//! `tocsin kapacitor tasks` against a real Kapacitor with tasks defined through its API: two
//! post to Tocsin (one by URL, one through an `[[httppost]]` endpoint), one posts elsewhere,
//! one posting to Tocsin is disabled, one only logs. The listing finds exactly the two, with
//! their findings and when they last alerted, and names the services that heard from
//! Kapacitor before but that no enabled task feeds.

use std::process::Command;

use serde_json::{json, Value};

use crate::kapacitord::Kapacitor;
use crate::support::{bin, eventually, page_ok, Server, ADMIN_TOKEN};
use crate::{cpu, httppost_block};

fn alert(id: &str, extra: &str, post: &str) -> String {
    format!(
        "stream\n    |from()\n        .measurement('cpu')\n        .groupBy('host')\n    |alert()\n        .id('{id}')\n        .crit(lambda: \"usage_idle\" < 10)\n{extra}        {post}\n"
    )
}

const ID: &str = "{{ .TaskName }}:{{ .Group }}";

fn tasks(server: &Server, data_dir: &std::path::Path, kap: &Kapacitor, extra: &[&str]) -> Value {
    let out = Command::new(bin())
        .args(["kapacitor", "tasks", "--json", "--kapacitor-url", &kap.base])
        .args(extra)
        .args(["--public-url", &server.base, "--data-dir"])
        .arg(data_dir)
        .env_remove("TOCSIN_DATABASE_URL")
        .output()
        .expect("run tocsin kapacitor tasks");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[tokio::test]
async fn lists_exactly_the_enabled_tasks_posting_to_tocsin() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(tmp.path()).await;
    let (checkout, checkout_url) = server.new_service("checkout").await;
    let (inventory, inventory_url) = server.new_service("inventory").await;
    let (payments, payments_url) = server.new_service("payments").await;
    let (_, quiet_url) = server.new_service("quiet").await;
    // payments heard from Kapacitor before; its only task is disabled below: silent.
    let body = r#"{"id":"x:nil","message":"m","details":"","time":"2023-11-14T22:13:30Z","duration":0,"level":"CRITICAL","data":{"series":null},"previousLevel":"OK","recoverable":true}"#;
    assert_eq!(server.send(&payments_url, body).await.0, 202);
    // quiet never did: not flagged.
    let _ = quiet_url;

    let kap = Kapacitor::start_with_config_api(&format!(
        "{}{}",
        httppost_block("tocsin", &inventory_url),
        httppost_block("other", "http://127.0.0.1:9/hook")
    ))
    .await;
    kap.define_task(
        "by_url",
        &alert(
            ID,
            "        .stateChangesOnly()\n",
            &format!(".post('{checkout_url}')"),
        ),
    )
    .await;
    kap.define_task(
        "by_endpoint",
        &alert(ID, "", ".post()\n            .endpoint('tocsin')"),
    )
    .await;
    kap.define_task(
        "elsewhere",
        &alert(ID, "", ".post()\n            .endpoint('other')"),
    )
    .await;
    kap.define_task("logs_only", &alert(ID, "", ".log('/tmp/alerts.log')"))
        .await;
    kap.define_task(
        "disabled",
        &alert(ID, "", &format!(".post('{payments_url}')")),
    )
    .await;
    let r = reqwest::Client::new()
        .patch(format!("{}/kapacitor/v1/tasks/disabled", kap.base))
        .json(&json!({"status": "disabled"}))
        .send()
        .await
        .expect("PATCH task");
    assert_eq!(r.status(), 200);

    // Before any point: listed, never alerted.
    let v = tasks(&server, tmp.path(), &kap, &[]);
    let ids: Vec<&str> = v["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(ids, vec!["by_endpoint", "by_url"], "{v:#}");
    let by_url = &v["tasks"][1];
    assert_eq!(by_url["services"][0]["id"], checkout.as_str(), "{v:#}");
    assert_eq!(by_url["services"][0]["name"], "checkout");
    assert_eq!(by_url["last_alerted_at"], Value::Null, "{v:#}");
    let codes: Vec<&str> = by_url["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert_eq!(codes, vec!["state-changes-only-without-interval"], "{v:#}");
    assert_eq!(v["tasks"][0]["services"][0]["id"], inventory.as_str());
    assert_eq!(v["tasks"][0]["findings"], json!([]), "{v:#}");
    let silent: Vec<&str> = v["silent_services"]
        .as_array()
        .expect("silent")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(silent, vec![payments.as_str()], "{v:#}");
    // The endpoints from the config file instead of Kapacitor's API: the same listing.
    let conf = kap.dir().join("kapacitor.conf");
    let from_file = tasks(
        &server,
        tmp.path(),
        &kap,
        &["--kapacitor-conf", conf.to_str().expect("path")],
    );
    assert_eq!(from_file, v);

    // An alert: by_url's last alert is Kapacitor's time for it (the point's time).
    kap.write(&cpu("serverA", 5.0, 10)).await;
    let when = eventually("by_url's alert recorded by Kapacitor", || async {
        let v = tasks(&server, tmp.path(), &kap, &[]);
        match v["tasks"][1]["last_alerted_at"].as_str() {
            Some(t) => Ok(t.to_string()),
            None => Err(format!("{v:#}")),
        }
    })
    .await;
    assert!(when.starts_with("2023-11-14T22:13:30"), "{when}");

    // The text form says the same.
    let out = Command::new(bin())
        .args(["kapacitor", "tasks", "--kapacitor-url", &kap.base])
        .args(["--public-url", &server.base, "--data-dir"])
        .arg(tmp.path())
        .env_remove("TOCSIN_DATABASE_URL")
        .output()
        .expect("run tocsin kapacitor tasks");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("task by_url  →  checkout"), "{text}");
    assert!(
        text.contains("warning[state-changes-only-without-interval]"),
        "{text}"
    );
    assert!(text.contains("silent: service payments"), "{text}");
    assert!(
        !text.contains("elsewhere") && !text.contains("disabled"),
        "{text}"
    );

    // The team's setting and page: the server reads the same Kapacitor through its outbound
    // guard and lists the same tasks.
    let (_, teams) = server.get("/api/v1/teams").await;
    let team = teams[0]["id"].as_str().expect("team").to_owned();
    let (st, v) = server
        .call(
            Some(ADMIN_TOKEN),
            "PUT",
            &format!("/api/v1/teams/{team}/kapacitor"),
            Some(json!({"kapacitor_url": kap.base})),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = server
        .get(&format!("/api/v1/teams/{team}/kapacitor/tasks"))
        .await;
    assert_eq!(st, 200, "{v}");
    let ids: Vec<&str> = v["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(ids, vec!["by_endpoint", "by_url"], "{v:#}");
    assert_eq!(v["error"], Value::Null, "{v:#}");
    assert!(v["tasks"][1]["last_alerted_at"]
        .as_str()
        .is_some_and(|t| t.starts_with("2023-11-14T22:13:30")));
    assert_eq!(
        v["tasks"][1]["findings"][0]["code"],
        "state-changes-only-without-interval"
    );
    assert_eq!(v["silent_services"][0]["name"], "payments", "{v:#}");
    assert_eq!(v["silent_services"].as_array().map(Vec::len), Some(1));

    server.new_user("ann", "correct horse battery", true).await;
    let session = server.session("ann", "correct horse battery").await;
    let html = page_ok(&server, &session, &format!("/kapacitor?team={team}")).await;
    for want in [
        r#"data-task="by_url""#,
        r#"data-task="by_endpoint""#,
        r#"data-code="state-changes-only-without-interval""#,
        "Silent services",
        "2023-11-14 22:13:30 UTC",
    ] {
        assert!(html.contains(want), "the page should have {want:?}");
    }
    for unwanted in [
        r#"data-task="elsewhere""#,
        r#"data-task="disabled""#,
        r#"data-task="logs_only""#,
    ] {
        assert!(
            !html.contains(unwanted),
            "the page should not have {unwanted:?}"
        );
    }
}

/// With Kapacitor's config API off (`[config-override] enabled = false`), the endpoints cannot
/// be read from it: the command says so and how to give them, rather than guessing.
#[tokio::test]
async fn a_kapacitor_without_its_config_api_asks_for_the_config_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(tmp.path()).await;
    let kap = Kapacitor::start("").await;
    let out = Command::new(bin())
        .args(["kapacitor", "tasks", "--kapacitor-url", &kap.base])
        .args(["--public-url", &server.base, "--data-dir"])
        .arg(tmp.path())
        .env_remove("TOCSIN_DATABASE_URL")
        .output()
        .expect("run tocsin kapacitor tasks");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("config API is off") && err.contains("--kapacitor-conf"),
        "{err}"
    );
}
