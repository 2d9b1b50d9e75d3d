//! Kapacitor's `alerta` and `opsgenie2` handlers with only their `url` pointed at Tocsin (the
//! service's alerta / opsgenie2 webhook URL from the catalogue): a critical alert opens an
//! incident, its repeat joins it, OK resolves it, and Kapacitor's own service test is recorded
//! as a connectivity test. Kapacitor logs an error for any answer but the one each API gives
//! (201 for Alerta, 202 for OpsGenie), so a clean log proves the answers.

use serde_json::{json, Value};

use crate::kapacitord::Kapacitor;
use crate::support::Server;
use crate::{by_key, cpu, incidents_until};

fn script(handler: &str) -> String {
    format!(
        r#"stream
    |from()
        .measurement('cpu')
        .groupBy('host')
    |alert()
        .warn(lambda: "usage_idle" < 20)
        .crit(lambda: "usage_idle" < 10)
        .message('CPU idle {{{{ index .Fields "usage_idle" }}}} on {{{{ index .Tags "host" }}}}')
        .{handler}
"#
    )
}

/// Trigger twice, then recover, and wait for Tocsin to hold `key`'s incident resolved.
async fn trigger_repeat_resolve(server: &Server, svc: &str, kap: &Kapacitor, key: &str) -> Value {
    kap.write(&cpu("web-1", 5.0, 0)).await;
    let list = incidents_until(server, svc, "an incident", |l| by_key(l, key).is_some()).await;
    let inc = by_key(&list, key).expect("incident");
    assert_eq!(inc["severity"], "critical", "{inc}");
    assert_eq!(inc["status"], "triggered", "{inc}");
    assert_eq!(inc["title"], "CPU idle 5 on web-1", "{inc}");

    kap.write(&cpu("web-1", 15.0, 10)).await;
    incidents_until(server, svc, "the repeat joined", |l| {
        by_key(l, key).is_some_and(|i| i["event_count"] == 2 && i["severity"] == "warning")
    })
    .await;

    kap.write(&cpu("web-1", 80.0, 20)).await;
    let list = incidents_until(server, svc, "resolved by OK", |l| {
        by_key(l, key).is_some_and(|i| i["status"] == "resolved")
    })
    .await;
    assert_eq!(list.len(), 1, "{list:#?}");
    by_key(&list, key).cloned().expect("incident")
}

#[tokio::test]
async fn alerta_handler_opens_joins_and_resolves() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(tmp.path()).await;
    let (svc, _) = server.new_service("alerta").await;
    let url = server.webhook_url(&svc, "alerta").await;
    let kap = Kapacitor::start(&format!(
        "[alerta]\n  enabled = true\n  url = \"{url}\"\n  token = \"unused\"\n  environment = \"production\"\n  origin = \"kapacitor\"\n"
    ))
    .await;
    kap.define_task("cpu_alert", &script("alerta()")).await;
    // Alerta's identity: environment / resource ({{ .Name }}) / event ({{ .ID }}).
    let inc = trigger_repeat_resolve(&server, &svc, &kap, "production/cpu/cpu:host=web-1").await;
    assert_eq!(inc["alert_source"], "alerta", "{inc}");
    assert_eq!(inc["resolved_by"], "alerta", "{inc}");

    let answer = kap.service_test_of("alerta", json!({})).await;
    assert_eq!(answer, json!({"success": true, "message": ""}));
    let (_, sources) = server
        .get(&format!("/api/v1/services/{svc}/alert-sources"))
        .await;
    let a = sources
        .as_array()
        .and_then(|l| l.iter().find(|s| s["source"] == "alerta"))
        .cloned()
        .unwrap_or_default();
    assert!(
        a["last_test_at"].is_string(),
        "the service test is a test: {a}"
    );
    assert_eq!(
        server.incidents(&svc).await.len(),
        1,
        "and never an incident"
    );
    let log = kap.log();
    assert!(!log.contains("failed to send event to Alerta"), "{log}");
}

#[tokio::test]
async fn opsgenie2_handler_opens_joins_and_closes_by_alias() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(tmp.path()).await;
    let (svc, _) = server.new_service("opsgenie").await;
    let url = server.webhook_url(&svc, "opsgenie2").await;
    let kap = Kapacitor::start(&format!(
        "[opsgenie2]\n  enabled = true\n  url = \"{url}\"\n  api-key = \"unused\"\n  recovery_action = \"close\"\n"
    ))
    .await;
    kap.define_task("cpu_alert", &script("opsGenie2()")).await;
    // The alias is the URL-safe base64 of the alert id, cpu:host=web-1.
    let inc = trigger_repeat_resolve(&server, &svc, &kap, "Y3B1Omhvc3Q9d2ViLTE=").await;
    assert_eq!(inc["alert_source"], "opsgenie2", "{inc}");
    assert_eq!(inc["resolved_by"], "opsgenie2", "{inc}");
    let d = crate::detail(&server, &inc).await;
    assert!(
        d.to_string().contains("cpu:host=web-1"),
        "the id is a tag: {d}"
    );

    let answer = kap.service_test_of("opsgenie2", json!({})).await;
    assert_eq!(answer, json!({"success": true, "message": ""}));
    let answer = kap
        .service_test_of("opsgenie2", json!({"message-type": "RECOVERY"}))
        .await;
    assert_eq!(answer, json!({"success": true, "message": ""}));
    assert_eq!(
        server.incidents(&svc).await.len(),
        1,
        "tests are never incidents"
    );
    let log = kap.log();
    assert!(!log.contains("failed to send event to OpsGenie"), "{log}");
}
