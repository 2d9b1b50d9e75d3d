//! The bad-input matrix of each source: every refusal has the right status and a
//! `{code, detail}` body naming the problem, and nothing of it is stored — in particular a
//! group whose last alert is bad stores none of the good ones before it.

use serde_json::Value;

use crate::support::Server;

struct Case {
    source: &'static str,
    name: &'static str,
    /// Appended to the source's webhook URL (alerta's `/alert`, opsgenie2's recoveries).
    suffix: &'static str,
    method: &'static str,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
    mentions: &'static str,
}

fn case(
    source: &'static str, name: &'static str, body: impl Into<Vec<u8>>, status: u16,
    code: &'static str, mentions: &'static str,
) -> Case {
    Case {
        source,
        name,
        suffix: "",
        method: "POST",
        body: body.into(),
        status,
        code,
        mentions,
    }
}

const GOOD_ALERT: &str =
    r#"{"status":"firing","labels":{"alertname":"A","instance":"h"},"fingerprint":"aa11"}"#;

fn group(alerts: &str) -> String {
    format!(r#"{{"receiver":"tocsin","status":"firing","alerts":[{alerts}],"version":"4"}}"#)
}

fn groups(source: &'static str) -> Vec<Case> {
    vec![
        case(source, "empty body", "", 400, "empty_body", "empty"),
        case(
            source,
            "malformed JSON",
            r#"{"alerts": ["#,
            400,
            "invalid_json",
            "JSON",
        ),
        case(source, "a JSON array", "[]", 400, "invalid_json", "object"),
        case(
            source,
            "no alerts field",
            r#"{"status":"firing"}"#,
            400,
            "missing_field",
            "alerts",
        ),
        case(
            source,
            "alerts is an object",
            r#"{"alerts":{}}"#,
            400,
            "invalid_field",
            "alerts",
        ),
        case(
            source,
            "no alert at all",
            group(""),
            400,
            "invalid_field",
            "alerts",
        ),
        case(
            source,
            "alert without status",
            group(r#"{"fingerprint":"x"}"#),
            400,
            "missing_field",
            "status",
        ),
        case(
            source,
            "unknown status",
            group(r#"{"status":"pending","fingerprint":"x"}"#),
            400,
            "unknown_status",
            "alerts[0].status",
        ),
        case(
            source,
            "label value is a number",
            group(r#"{"status":"firing","labels":{"a":1},"fingerprint":"x"}"#),
            400,
            "invalid_field",
            "alerts[0].labels.a",
        ),
        case(
            source,
            "nothing identifies the alert",
            group(r#"{"status":"firing"}"#),
            400,
            "missing_field",
            "fingerprint",
        ),
        case(
            source,
            "startsAt is not a time",
            group(r#"{"status":"firing","fingerprint":"x","startsAt":"now"}"#),
            400,
            "invalid_field",
            "alerts[0].startsAt",
        ),
        case(
            source,
            "a good alert, then a bad one",
            group(&format!(
                r#"{GOOD_ALERT},{{"status":"firing","labels":{{"a":[]}},"fingerprint":"bb"}}"#
            )),
            400,
            "invalid_field",
            "alerts[1].labels.a",
        ),
        case(
            source,
            "trailing data",
            format!("{} {{}}", group(GOOD_ALERT)),
            400,
            "invalid_json",
            "trailing",
        ),
        case(
            source,
            "body over 256 KiB",
            group(&format!(
                r#"{{"status":"firing","fingerprint":"x","annotations":{{"d":"{}"}}}}"#,
                "x".repeat(300 * 1024)
            )),
            413,
            "payload_too_large",
            "limit",
        ),
        Case {
            method: "GET",
            ..case(
                source,
                "wrong method",
                "",
                405,
                "method_not_allowed",
                "method",
            )
        },
    ]
}

fn cases() -> Vec<Case> {
    let mut all = groups("prometheus");
    all.extend(groups("grafana"));
    let alerta = |name, body: &str, status, code, mentions| Case {
        suffix: "/alert",
        ..case("alerta", name, body.to_owned(), status, code, mentions)
    };
    all.extend([
        alerta("empty body", "", 400, "empty_body", "empty"),
        alerta(
            "no resource",
            r#"{"event":"e","severity":"critical"}"#,
            400,
            "missing_field",
            "resource",
        ),
        alerta(
            "no event",
            r#"{"resource":"r","severity":"critical"}"#,
            400,
            "missing_field",
            "event",
        ),
        alerta(
            "no severity",
            r#"{"resource":"r","event":"e"}"#,
            400,
            "missing_field",
            "severity",
        ),
        alerta(
            "empty event",
            r#"{"resource":"r","event":"","severity":"critical"}"#,
            400,
            "invalid_field",
            "event",
        ),
        alerta(
            "unknown severity",
            r#"{"resource":"r","event":"e","severity":"apocalyptic"}"#,
            400,
            "unknown_severity",
            "apocalyptic",
        ),
        alerta(
            "tags is an object",
            r#"{"resource":"r","event":"e","severity":"critical","tags":{"a":"b"}}"#,
            400,
            "invalid_field",
            "tags",
        ),
        case(
            "alerta",
            "on the base URL too",
            r#"{"resource":"r"}"#,
            400,
            "missing_field",
            "event",
        ),
        Case {
            suffix: "/alerts",
            ..case("alerta", "another path", "{}", 404, "not_found", "")
        },
    ]);
    let og = |name, suffix, body: &str, status, code, mentions| Case {
        suffix,
        ..case("opsgenie2", name, body.to_owned(), status, code, mentions)
    };
    all.extend([
        og("empty body", "", "", 400, "empty_body", "empty"),
        og(
            "no alias",
            "",
            r#"{"message":"m","priority":"P1"}"#,
            400,
            "missing_field",
            "alias",
        ),
        og(
            "no message",
            "",
            r#"{"alias":"a","priority":"P1"}"#,
            400,
            "missing_field",
            "message",
        ),
        og(
            "empty alias",
            "",
            r#"{"alias":" ","message":"m"}"#,
            400,
            "invalid_field",
            "alias",
        ),
        og(
            "unknown priority",
            "",
            r#"{"alias":"a","message":"m","priority":"P0"}"#,
            400,
            "unknown_priority",
            "P0",
        ),
        og(
            "details value is a list",
            "",
            r#"{"alias":"a","message":"m","details":{"k":[]}}"#,
            400,
            "invalid_field",
            "details.k",
        ),
        og(
            "recovery body is not JSON",
            "/YQ==/close?identifierType=alias",
            "note",
            400,
            "invalid_json",
            "JSON",
        ),
        og(
            "recovery note is a number",
            "/YQ==/close?identifierType=alias",
            r#"{"note":1}"#,
            400,
            "invalid_field",
            "note",
        ),
        og(
            "recovery by id",
            "/YQ==/close?identifierType=id",
            r#"{"note":"n"}"#,
            400,
            "invalid_query",
            "identifierType",
        ),
        og(
            "unknown recovery action",
            "/YQ==/acknowledge?identifierType=alias",
            r#"{"note":"n"}"#,
            404,
            "unknown_action",
            "acknowledge",
        ),
    ]);
    all
}

#[tokio::test]
async fn refusals_are_clear_and_store_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (svc, _) = server.new_service("sources bad input").await;
    let mut urls = std::collections::HashMap::new();
    for slug in ["prometheus", "grafana", "alerta", "opsgenie2"] {
        urls.insert(slug, server.webhook_url(&svc, slug).await);
    }
    let all = cases();
    for c in &all {
        let url = &urls[c.source];
        let method = reqwest::Method::from_bytes(c.method.as_bytes()).expect("method");
        // A fresh connection per case: a 413 refused unread closes its connection.
        let r = reqwest::Client::new()
            .request(method, format!("{url}{}", c.suffix))
            .header("content-type", "application/json")
            .body(c.body.clone())
            .send()
            .await
            .expect("send");
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        let what = format!("{} / {}", c.source, c.name);
        assert_eq!(status, c.status, "{what}: {body}");
        assert_eq!(body["code"], c.code, "{what}: {body}");
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(c.mentions),
            "{what}: {detail:?} should mention {:?}",
            c.mentions
        );
    }
    eprintln!("sources bad-input matrix: {} cases", all.len());

    // Nothing was stored: no incident, no event on any source.
    assert!(server.incidents(&svc).await.is_empty());
    let (_, sources) = server
        .get(&format!("/api/v1/services/{svc}/alert-sources"))
        .await;
    for s in sources.as_array().expect("sources") {
        assert_eq!(s["last_event_at"], Value::Null, "{s}");
    }
    // Refusals are counted under each source's own label, as Kapacitor's are.
    let metrics = server.metrics().await;
    for (source, code) in [
        ("prometheus", "invalid_field"),
        ("grafana", "unknown_status"),
        ("alerta", "unknown_severity"),
        ("opsgenie2", "invalid_query"),
        ("prometheus", "payload_too_large"),
    ] {
        let line = format!(r#"tocsin_alerts_total{{source="{source}",outcome="{code}"}}"#);
        assert!(metrics.contains(&line), "{line} in {metrics}");
    }
}
