//! `POST /api/v1/kapacitor/check` in process: the findings' shape, URLs compared with the
//! caller's services, the optional kapacitor.conf, bad input, no anonymous callers; and the
//! service page's box that calls it.

use serde_json::{json, Value};

use crate::support::{has_all, page_ok, Server};

fn script(id: &str, post: &str) -> String {
    format!(
        "stream\n    |from()\n        .measurement('cpu')\n        .groupBy('host')\n    |alert()\n        .id('{id}')\n        .crit(lambda: \"usage_idle\" < 10)\n        {post}\n"
    )
}

fn codes(v: &Value) -> Vec<&str> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect()
}

#[tokio::test]
async fn findings_for_a_script() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (_, url) = server.new_service("checkout").await;

    let (st, v) = server
        .post(
            "/api/v1/kapacitor/check",
            json!({"script": script("{{ .TaskName }}", &format!(".post('{url}')"))}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let f = &v["findings"][0];
    assert_eq!(f["code"], "id-without-group", "{v}");
    assert_eq!(f["severity"], "error");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(6), Some(10))
    );
    for k in ["message", "fix"] {
        assert!(f[k].as_str().is_some_and(|s| !s.is_empty()), "{k}: {v}");
    }
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(1), "{v}");

    // The corrected script posting to this service: nothing.
    let good = script("{{ .TaskName }}:{{ .Group }}", &format!(".post('{url}')"));
    let (st, v) = server
        .post("/api/v1/kapacitor/check", json!({"script": good}))
        .await;
    assert_eq!((st, codes(&v)), (200, vec![]), "{v}");

    // A rotated key is not this Tocsin's.
    let old = format!("{}x", url);
    let (_, v) = server
        .post(
            "/api/v1/kapacitor/check",
            json!({"script": script("{{ .TaskName }}:{{ .Group }}", &format!(".post('{old}')"))}),
        )
        .await;
    assert_eq!(codes(&v), vec!["url-not-tocsin"], "{v}");

    // Endpoints are checked against the config when one is given.
    let by_endpoint = script(
        "{{ .TaskName }}:{{ .Group }}",
        ".post()\n            .endpoint('tocsin')",
    );
    let (_, v) = server
        .post("/api/v1/kapacitor/check", json!({"script": by_endpoint}))
        .await;
    assert_eq!(codes(&v), Vec::<&str>::new(), "no config: not checked");
    let conf = format!("[[httppost]]\n  endpoint = \"squadcast\"\n  url = \"{url}\"\n");
    let (_, v) = server
        .post(
            "/api/v1/kapacitor/check",
            json!({"script": by_endpoint, "kapacitor_conf": conf}),
        )
        .await;
    assert_eq!(codes(&v), vec!["unknown-endpoint"], "{v}");
    let conf = conf.replace("squadcast", "tocsin");
    let (_, v) = server
        .post(
            "/api/v1/kapacitor/check",
            json!({"script": by_endpoint, "kapacitor_conf": conf}),
        )
        .await;
    assert_eq!(codes(&v), Vec::<&str>::new(), "{v}");

    // A syntax error is a finding, not a failure.
    let (st, v) = server
        .post(
            "/api/v1/kapacitor/check",
            json!({"script": "stream|alert().id('x"}),
        )
        .await;
    assert_eq!((st, codes(&v)), (200, vec!["syntax"]), "{v}");
}

#[tokio::test]
async fn bad_input_and_no_anonymous_callers() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    for (body, code) in [
        (json!({}), "missing_field"),
        (json!({"script": 5}), "invalid_field"),
        (json!({"script": "", "other": 1}), "invalid_field"),
        (
            json!({"script": "stream", "kapacitor_conf": "[[httppost]"}),
            "invalid_field",
        ),
    ] {
        let (st, v) = server.post("/api/v1/kapacitor/check", body.clone()).await;
        assert_eq!((st, v["code"].as_str()), (400, Some(code)), "{body}: {v}");
        assert!(v["detail"].as_str().is_some_and(|d| !d.is_empty()), "{v}");
    }
    let (st, v) = server
        .call(
            None,
            "POST",
            "/api/v1/kapacitor/check",
            Some(json!({"script": "stream"})),
        )
        .await;
    assert_eq!(st, 401, "{v}");
}

#[tokio::test]
async fn the_service_page_has_the_check_box() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let svc = server.default_service().await;
    let id = svc["id"].as_str().expect("id");
    let team = svc["team_id"].as_str().expect("team").to_owned();
    server.new_user("ann", "correct horse battery", true).await;
    let obs = server.new_user("obs", "correct horse battery", false).await;
    server.add_member(&team, &obs, "observer").await;
    let path = format!("/services/{id}");
    // The guide (with the webhook URL) for those who may see it; the box for everyone.
    let html = page_ok(
        &server,
        &server.session("ann", "correct horse battery").await,
        &path,
    )
    .await;
    has_all(&html, &path, &[".id('{{ .TaskName }}:{{ .Group }}')"]);
    for who in ["ann", "obs"] {
        let html = page_ok(
            &server,
            &server.session(who, "correct horse battery").await,
            &path,
        )
        .await;
        has_all(
            &html,
            &path,
            &[
                "Check a TICKscript",
                r#"data-tick-check="/api/v1/kapacitor/check""#,
                r#"<textarea id="tick-script" name="script""#,
                "/assets/kapacitor.js",
            ],
        );
    }
}

#[tokio::test]
async fn the_teams_kapacitor_url_is_checked_and_called_only_through_the_guard() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (_, teams) = server.get("/api/v1/teams").await;
    let team = teams[0]["id"].as_str().expect("team").to_owned();
    let path = format!("/api/v1/teams/{team}/kapacitor");

    let (st, v) = server.get(&path).await;
    assert_eq!((st, &v), (200, &json!({"kapacitor_url": null})));
    let (st, v) = server.get(&format!("{path}/tasks")).await;
    assert_eq!(
        (st, v["code"].as_str()),
        (409, Some("no_kapacitor_url")),
        "{v}"
    );

    for bad in ["ftp://k:21", "not a url", "http://"] {
        let (st, v) = server
            .call(
                Some(crate::support::ADMIN_TOKEN),
                "PUT",
                &path,
                Some(json!({"kapacitor_url": bad})),
            )
            .await;
        assert_eq!(
            (st, v["code"].as_str()),
            (400, Some("invalid_field")),
            "{bad}: {v}"
        );
    }
    let (st, v) = server.get(&path).await;
    assert_eq!(
        (st, &v),
        (200, &json!({"kapacitor_url": null})),
        "unchanged"
    );

    // The metadata address is stored (it is a URL) but never called: the guard refuses it.
    let (st, v) = server
        .call(
            Some(crate::support::ADMIN_TOKEN),
            "PUT",
            &path,
            Some(json!({"kapacitor_url": "http://169.254.169.254/"})),
        )
        .await;
    assert_eq!(
        (st, &v),
        (200, &json!({"kapacitor_url": "http://169.254.169.254"}))
    );
    // An answer, not a server error (the refusal is out there, as with "send test").
    let (st, v) = server.get(&format!("{path}/tasks")).await;
    assert_eq!(st, 200, "{v}");
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|d| d.contains("link-local")),
        "{v}"
    );
    assert_eq!(
        (&v["tasks"], &v["silent_services"]),
        (&json!([]), &json!([]))
    );
    // The team's page says the same, in place of the listing.
    let session = {
        server.new_user("ann", "correct horse battery", true).await;
        server.session("ann", "correct horse battery").await
    };
    let page = format!("/kapacitor?team={team}");
    let html = page_ok(&server, &session, &page).await;
    has_all(
        &html,
        &page,
        &[
            "Kapacitor URL",
            "http://169.254.169.254",
            "link-local",
            "kapacitor_url",
        ],
    );

    // Nothing listens on port 9 of loopback: unreachable, quickly.
    let (st, _) = server
        .call(
            Some(crate::support::ADMIN_TOKEN),
            "PUT",
            &path,
            Some(json!({"kapacitor_url": "http://127.0.0.1:9"})),
        )
        .await;
    assert_eq!(st, 200);
    let (st, v) = server.get(&format!("{path}/tasks")).await;
    assert_eq!(st, 200, "{v}");
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|d| d.contains("could not connect")),
        "{v}"
    );
}
