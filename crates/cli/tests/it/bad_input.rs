//! The bad-input matrix: every refusal has the right status and a `{code, detail}` body,
//! stores nothing, and leaves the server serving.

use serde_json::Value;

use crate::support::{alert, Server, ADMIN_TOKEN};

struct Case {
    name: &'static str,
    method: &'static str,
    /// Replaces the webhook URL's key when set.
    key: Option<&'static str>,
    source: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
    /// A word the detail must contain, naming the problem.
    mentions: &'static str,
}

fn case(
    name: &'static str, body: impl Into<Vec<u8>>, status: u16, code: &'static str,
    mentions: &'static str,
) -> Case {
    Case {
        name,
        method: "POST",
        key: None,
        source: "kapacitor",
        content_type: "application/json",
        body: body.into(),
        status,
        code,
        mentions,
    }
}

fn cases() -> Vec<Case> {
    let good = alert("cpu:host=a", "CRITICAL");
    let mut invalid_utf8 = good.clone().into_bytes();
    invalid_utf8.splice(10..10, [0xff, 0xfe, 0xc3]);
    vec![
        Case {
            key: Some("no-such-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            ..case("unknown key", good.clone(), 404, "unknown_key", "key")
        },
        Case {
            source: "nagios",
            ..case(
                "unknown source",
                good.clone(),
                404,
                "unknown_source",
                "nagios",
            )
        },
        Case {
            method: "GET",
            ..case("wrong method", "", 405, "method_not_allowed", "method")
        },
        case(
            "malformed JSON",
            r#"{"id": "a", "level": "#,
            400,
            "invalid_json",
            "JSON",
        ),
        case(
            "truncated body",
            good[..good.len() / 2].to_owned(),
            400,
            "invalid_json",
            "JSON",
        ),
        case("empty body", "", 400, "empty_body", "empty"),
        case(
            "id is a number",
            r#"{"id": 42, "level": "CRITICAL"}"#,
            400,
            "invalid_field",
            "id",
        ),
        case(
            "level is a number",
            r#"{"id": "a", "level": 2}"#,
            400,
            "invalid_field",
            "level",
        ),
        case(
            "series is a string",
            r#"{"id": "a", "level": "CRITICAL", "data": {"series": "x"}}"#,
            400,
            "invalid_field",
            "data.series",
        ),
        case(
            "tag value is an object",
            r#"{"id": "a", "level": "CRITICAL", "data": {"series": [{"tags": {"h": {}}}]}}"#,
            400,
            "invalid_field",
            "tags",
        ),
        case(
            "time is a number",
            r#"{"id": "a", "level": "CRITICAL", "time": 5}"#,
            400,
            "invalid_field",
            "time",
        ),
        case(
            "time is not RFC 3339",
            r#"{"id": "a", "level": "CRITICAL", "time": "yesterday"}"#,
            400,
            "invalid_field",
            "time",
        ),
        case(
            "missing level",
            r#"{"id": "a", "message": "m"}"#,
            400,
            "missing_field",
            "level",
        ),
        case(
            "missing id",
            r#"{"level": "CRITICAL"}"#,
            400,
            "missing_field",
            "id",
        ),
        case(
            "unknown level",
            r#"{"id": "a", "level": "DISASTER"}"#,
            400,
            "unknown_level",
            "DISASTER",
        ),
        case(
            "empty id on a trigger",
            r#"{"id": "", "level": "CRITICAL"}"#,
            400,
            "invalid_field",
            "id",
        ),
        case("invalid UTF-8", invalid_utf8, 400, "invalid_utf8", "UTF-8"),
        case("a JSON array", "[1, 2, 3]", 400, "invalid_json", "object"),
        case(
            "two JSON values",
            format!("{good} {good}"),
            400,
            "invalid_json",
            "trailing",
        ),
        Case {
            content_type: "application/x-www-form-urlencoded",
            ..case(
                "form-encoded",
                "id=a&level=CRITICAL",
                400,
                "invalid_json",
                "JSON",
            )
        },
        Case {
            content_type: "application/xml",
            ..case(
                "XML",
                "<alert><id>a</id></alert>",
                400,
                "invalid_json",
                "JSON",
            )
        },
        Case {
            method: "PUT",
            ..case("PUT", good.clone(), 405, "method_not_allowed", "method")
        },
        Case {
            method: "DELETE",
            ..case("DELETE", "", 405, "method_not_allowed", "method")
        },
        case("whitespace only", " \n\t ", 400, "empty_body", "empty"),
        case("not JSON at all", "hello", 400, "invalid_json", "JSON"),
        case(
            "a JSON string",
            r#""CRITICAL""#,
            400,
            "invalid_json",
            "object",
        ),
        case("JSON null", "null", 400, "invalid_json", "object"),
        case("an empty object", "{}", 400, "missing_field", "id"),
        case(
            "unknown lowercase level",
            r#"{"id": "a", "level": "fatal"}"#,
            400,
            "unknown_level",
            "fatal",
        ),
        case(
            "empty level",
            r#"{"id": "a", "level": ""}"#,
            400,
            "unknown_level",
            "level",
        ),
        case(
            "level is null",
            r#"{"id": "a", "level": null}"#,
            400,
            "invalid_field",
            "level",
        ),
        case(
            "message is a number",
            r#"{"id": "a", "level": "CRITICAL", "message": 1}"#,
            400,
            "invalid_field",
            "message",
        ),
        case(
            "details is an array",
            r#"{"id": "a", "level": "CRITICAL", "details": []}"#,
            400,
            "invalid_field",
            "details",
        ),
        case(
            "duration is a string",
            r#"{"id": "a", "level": "CRITICAL", "duration": "5s"}"#,
            400,
            "invalid_field",
            "duration",
        ),
        case(
            "data is a string",
            r#"{"id": "a", "level": "CRITICAL", "data": "x"}"#,
            400,
            "invalid_field",
            "data",
        ),
        case(
            "tags is a list",
            r#"{"id": "a", "level": "CRITICAL", "data": {"series": [{"tags": ["h"]}]}}"#,
            400,
            "invalid_field",
            "tags",
        ),
        case(
            "previousLevel is a number",
            r#"{"id": "a", "level": "OK", "previousLevel": 3}"#,
            400,
            "invalid_field",
            "previousLevel",
        ),
        case(
            "recoverable is a string",
            r#"{"id": "a", "level": "OK", "recoverable": "yes"}"#,
            400,
            "invalid_field",
            "recoverable",
        ),
        case(
            "id is an object",
            r#"{"id": {}, "level": "CRITICAL"}"#,
            400,
            "invalid_field",
            "id",
        ),
        case(
            "id is a huge number",
            r#"{"id": 1e400, "level": "CRITICAL"}"#,
            400,
            "invalid_json",
            "number",
        ),
        case(
            "duration beyond f64",
            r#"{"id": "a", "level": "CRITICAL", "duration": 1e400}"#,
            400,
            "invalid_json",
            "number",
        ),
        case(
            "100k-deep unclosed nesting in a field",
            format!(
                r#"{{"id": "a", "level": "CRITICAL", "extra": {}"#,
                "[".repeat(100_000)
            ),
            400,
            "invalid_json",
            "EOF",
        ),
        case(
            "100k-deep nesting at the top",
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
            400,
            "invalid_json",
            "object",
        ),
        case(
            "100k-deep nesting in data.series",
            format!(
                r#"{{"id": "a", "level": "CRITICAL", "data": {{"series": {}{}}}}}"#,
                "[".repeat(100_000),
                "]".repeat(100_000)
            ),
            400,
            "invalid_field",
            "data.series",
        ),
        case(
            "a raw NUL in a string",
            "{\"id\": \"a\u{0}b\", \"level\": \"CRITICAL\"}",
            400,
            "invalid_json",
            "control character",
        ),
        case(
            "a raw NUL before the body",
            format!("\u{0}{good}"),
            400,
            "invalid_json",
            "JSON",
        ),
        case("only NUL bytes", vec![0u8; 64], 400, "invalid_json", "JSON"),
        case(
            "invalid UTF-8 only",
            vec![0xffu8; 16],
            400,
            "invalid_utf8",
            "UTF-8",
        ),
        Case {
            content_type: "text/xml",
            ..case(
                "XML with an XML content type",
                r#"<?xml version="1.0"?><alert id="a" level="CRITICAL"/>"#,
                400,
                "invalid_json",
                "JSON",
            )
        },
        Case {
            content_type: "multipart/form-data; boundary=x",
            ..case(
                "multipart form",
                "--x\r\nContent-Disposition: form-data; name=\"id\"\r\n\r\na\r\n--x--\r\n",
                400,
                "invalid_json",
                "JSON",
            )
        },
        case(
            "body over 256 KiB",
            format!(
                r#"{{"id": "a", "level": "CRITICAL", "details": "{}"}}"#,
                "x".repeat(300 * 1024)
            ),
            413,
            "payload_too_large",
            "limit",
        ),
    ]
}

#[tokio::test]
async fn refusals_are_clear_and_store_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (svc, url) = server.new_service("bad-input").await;
    let base = url
        .rsplit_once("/kapacitor/")
        .map(|(b, _)| b)
        .expect("url shape")
        .to_owned();
    let key = url.rsplit('/').next().expect("key").to_owned();
    let all = cases();
    for c in &all {
        let target = format!("{base}/{}/{}", c.source, c.key.unwrap_or(&key));
        let method = reqwest::Method::from_bytes(c.method.as_bytes()).expect("method");
        let req = server.http.request(method, &target);
        let r = req
            .header("content-type", c.content_type)
            .body(c.body.clone())
            .send()
            .await
            .expect("send");
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(status, c.status, "{}: {body}", c.name);
        assert_eq!(body["code"], c.code, "{}: {body}", c.name);
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(c.mentions),
            "{}: detail {detail:?} should mention {:?}",
            c.name,
            c.mentions
        );
    }
    eprintln!("bad-input matrix: {} cases", all.len());

    // Nothing was stored: no incident, no event on the source.
    assert!(server.incidents(&svc).await.is_empty());
    let (_, sources) = server
        .get(&format!("/api/v1/services/{svc}/alert-sources"))
        .await;
    assert_eq!(sources[0]["last_event_at"], Value::Null, "{sources}");
    // The refusals are counted by reason.
    let metrics = server.metrics().await;
    assert!(
        metrics.contains(r#"tocsin_alerts_total{source="kapacitor",outcome="invalid_json"}"#),
        "{metrics}"
    );

    // Deep nesting where unknown fields are skipped: serde_json skips them iteratively (no
    // recursion, so no stack to overflow) and the alert is taken like any other.
    let deep = format!(
        r#"{{"id": "deep", "level": "CRITICAL", "extra": {}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let (s, b) = server.send(&url, deep).await;
    assert_eq!((s, b["action"].as_str()), (202, Some("opened")), "{b}");

    // And good input after all that is taken as usual.
    let (s, b) = server.send(&url, alert("cpu:host=a", "CRITICAL")).await;
    assert_eq!((s, b["action"].as_str()), (202, Some("opened")), "{b}");
}

#[tokio::test]
async fn api_refusals_are_json_too() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let checks: Vec<(&str, u16, &str)> = vec![
        ("/api/v1/incidents?limit=501", 400, "invalid_query"),
        ("/api/v1/incidents?limit=abc", 400, "invalid_query"),
        ("/api/v1/incidents?status=sleeping", 400, "invalid_query"),
        (
            "/api/v1/incidents?service_id=inc_01J00000000000000000000000",
            400,
            "invalid_id",
        ),
        (
            "/api/v1/incidents/svc_01J00000000000000000000000",
            400,
            "invalid_id",
        ),
        (
            "/api/v1/incidents/inc_01J00000000000000000000000",
            404,
            "not_found",
        ),
        (
            "/api/v1/services/svc_01J00000000000000000000000",
            404,
            "not_found",
        ),
        ("/api/v1/nothing-here", 404, "not_found"),
    ];
    for (path, status, code) in checks {
        let (s, b) = server.get(path).await;
        assert_eq!((s, b["code"].as_str()), (status, Some(code)), "{path}: {b}");
    }
    // Bodies: wrong field types and unknown fields are named.
    let (s, b) = server
        .post("/api/v1/teams", serde_json::json!({"name": 5}))
        .await;
    assert_eq!((s, b["code"].as_str()), (400, Some("invalid_field")), "{b}");
    assert!(b["detail"].as_str().is_some_and(|d| d.contains("name")));
    let (s, b) = server
        .post("/api/v1/teams", serde_json::json!({"name": "  "}))
        .await;
    assert_eq!((s, b["code"].as_str()), (400, Some("invalid_field")), "{b}");
    // Authentication.
    for auth in [
        None,
        Some("Bearer nope"),
        Some("Basic abc"),
        Some("Bearer "),
    ] {
        let mut req = server.http.get(server.url("/api/v1/incidents"));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let r = req.send().await.expect("send");
        assert_eq!(r.status().as_u16(), 401, "{auth:?}");
        let b: Value = r.json().await.expect("json");
        assert_eq!(b["code"], "unauthorized");
    }
}

/// Every API body goes through the alert decoder's JSON rules, with its codes: data after
/// the object is refused (the API used to take the first value and drop the rest), and
/// nothing is created. Every typed id in a path is refused alike (400 `invalid_id`), on the
/// API and on pages.
#[tokio::test]
async fn api_bodies_and_path_ids_are_refused_like_alerts() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(tmp.path()).await;
    let (_, teams_before) = server.get("/api/v1/teams").await;
    let raw = |path: &str, body: &'static str| {
        server
            .http
            .post(server.url(path))
            .bearer_auth(ADMIN_TOKEN)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for (body, code, mentions) in [
        (r#"{"name": "a"} {"name": "b"}"#, "invalid_json", "trailing"),
        (r#"{"name": "a"}]"#, "invalid_json", "trailing"),
        ("", "empty_body", "empty"),
        ("[]", "invalid_json", "object"),
        ("{}", "missing_field", "name"),
        (
            r#"{"name": "a", "colour": "red"}"#,
            "invalid_field",
            "colour",
        ),
        (r#"{"name": 5}"#, "invalid_field", "name"),
    ] {
        let r = raw("/api/v1/teams", body).await.expect("send");
        let status = r.status().as_u16();
        let b: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(
            (status, b["code"].as_str()),
            (400, Some(code)),
            "{body:?}: {b}"
        );
        let detail = b["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(mentions), "{body:?}: {detail:?}");
    }
    // An optional body is refused by the same rules when it is there.
    let (svc, _) = server.new_service("ids").await;
    let r = raw(
        &format!("/api/v1/services/{svc}/rotate-key"),
        r#"{"grace_seconds": 0} {}"#,
    )
    .await
    .expect("send");
    let status = r.status().as_u16();
    let b: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(
        (status, b["code"].as_str()),
        (400, Some("invalid_json")),
        "{b}"
    );
    let (_, teams_after) = server.get("/api/v1/teams").await;
    assert_eq!(teams_before, teams_after, "a refused body created nothing");

    let team = teams_after[0]["id"].as_str().expect("team id").to_owned();
    for (method, path, prefix) in [
        ("GET", "/api/v1/teams/nope".to_owned(), "team_"),
        ("GET", format!("/api/v1/teams/{svc}/members"), "team_"),
        (
            "DELETE",
            format!("/api/v1/teams/{team}/members/{team}"),
            "usr_",
        ),
        ("GET", format!("/api/v1/services/{team}"), "svc_"),
        (
            "POST",
            "/api/v1/services/svc_x/alert-sources/kapacitor/test".to_owned(),
            "svc_",
        ),
        (
            "POST",
            "/api/v1/incidents/inc_/acknowledge".to_owned(),
            "inc_",
        ),
        (
            "GET",
            "/api/v1/incidents/inc_01J00000000000000000000000/events/x/payload".to_owned(),
            "evt_",
        ),
        ("DELETE", "/api/v1/tokens/tok_".to_owned(), "tok_"),
        ("POST", "/api/v1/users/me/disable".to_owned(), "usr_"),
        ("DELETE", "/api/v1/session/sessions/1".to_owned(), "ses_"),
    ] {
        let (s, b) = server.call(Some(ADMIN_TOKEN), method, &path, None).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (400, Some("invalid_id")),
            "{method} {path}: {b}"
        );
        let detail = b["detail"].as_str().unwrap_or_default();
        assert!(detail.contains(prefix), "{method} {path}: {detail:?}");
    }
    for page in [
        "/incidents/nope",
        "/services/inc_01J00000000000000000000000",
    ] {
        let (s, content_type, html) = server.get_text(page).await;
        assert_eq!(s, 400, "{page}");
        assert!(
            content_type.starts_with("text/html"),
            "{page}: {content_type}"
        );
        assert!(html.contains("invalid"), "{page}: {html}");
    }
}

/// A team token for a team that does not exist: 404 like any other unknown team, nothing
/// created, and no database detail (it was a 409 quoting the foreign-key constraint).
#[tokio::test]
async fn a_token_for_a_team_that_does_not_exist_is_not_found() {
    let dir = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(dir.path()).await;
    let (_, before) = server.get("/api/v1/tokens").await;
    let ghost = tocsin_core::TeamId::new().to_string();
    let (status, body) = server
        .post(
            "/api/v1/tokens",
            serde_json::json!({"name": "ghost", "team_id": ghost, "role": "observer"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let detail = body["detail"].as_str().unwrap_or_default().to_lowercase();
    assert!(
        !detail.contains("constraint") && !detail.contains("foreign"),
        "{body}"
    );
    let (_, after) = server.get("/api/v1/tokens").await;
    assert_eq!(
        before.as_array().map(Vec::len),
        after.as_array().map(Vec::len),
        "nothing created: {after}"
    );
}
