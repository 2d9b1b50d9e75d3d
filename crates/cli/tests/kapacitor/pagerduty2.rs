//! Kapacitor's `pagerduty2` handler pointed at Tocsin: `[pagerduty2]` with `url` = the
//! service's enqueue URL and `routing-key` = its key, and `.pagerDuty2()` in the TICKscript.
//! Kapacitor sends `dedup_key` = the alert id, `trigger` while not OK and `resolve` on OK
//! (`services/pagerduty2/service.go` in v1.5.9); Tocsin must answer as PagerDuty does, or
//! Kapacitor logs a failure.

use std::path::PathBuf;

use serde_json::Value;

use crate::kapacitord::Kapacitor;
use crate::support::Server;
use crate::{by_key, cpu, incidents_until};

const TICK: &str = r#"stream
    |from()
        .measurement('cpu')
        .groupBy('host')
    |alert()
        .id('cpu:{{ index .Tags "host" }}')
        .message('{{ .ID }} is {{ .Level }}: usage_idle={{ index .Fields "usage_idle" }}')
        .warn(lambda: "usage_idle" < 20)
        .crit(lambda: "usage_idle" < 10)
        .pagerDuty2()
"#;

#[tokio::test]
async fn pagerduty2_triggers_joins_and_resolves_an_incident() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(tmp.path()).await;
    let (svc, _) = server.new_service("payments").await;
    let src = server.alert_source(&svc, "pagerduty").await;
    let url = src["webhook_url"].as_str().expect("enqueue url");
    let key = src["routing_key"].as_str().expect("routing key");
    let conf =
        format!("[pagerduty2]\n  enabled = true\n  url = \"{url}\"\n  routing-key = \"{key}\"\n");
    let kap = Kapacitor::start(&conf).await;
    kap.define_task("cpu_pd", TICK).await;
    let id = "cpu:serverA";

    kap.write(&format!(
        "{}\n{}",
        cpu("serverA", 50.0, 0),
        cpu("serverA", 5.0, 10)
    ))
    .await;
    let list = incidents_until(&server, &svc, "an incident opened", |l| {
        by_key(l, id).is_some_and(|i| i["event_count"] == 1)
    })
    .await;
    let inc = &list[0];
    assert_eq!(
        (
            inc["alert_source"].as_str(),
            inc["status"].as_str(),
            inc["severity"].as_str()
        ),
        (Some("pagerduty"), Some("triggered"), Some("critical")),
        "{inc}"
    );
    assert_eq!(
        inc["title"], "cpu:serverA is CRITICAL: usage_idle=5",
        "{inc}"
    );
    assert_eq!(
        inc["tags"]["source"], "serverA",
        "Kapacitor's source is the host tag: {inc}"
    );

    kap.write(&cpu("serverA", 4.0, 20)).await;
    incidents_until(&server, &svc, "a repeat joined", |l| {
        l.len() == 1 && by_key(l, id).is_some_and(|i| i["event_count"] == 2)
    })
    .await;
    kap.write(&cpu("serverA", 15.0, 30)).await;
    incidents_until(&server, &svc, "a warning joined", |l| {
        l.len() == 1
            && by_key(l, id).is_some_and(|i| i["event_count"] == 3 && i["severity"] == "warning")
    })
    .await;
    kap.write(&format!(
        "{}\n{}",
        cpu("serverA", 80.0, 40),
        cpu("serverA", 90.0, 50)
    ))
    .await;
    let list = incidents_until(&server, &svc, "resolved by Kapacitor's OK", |l| {
        by_key(l, id).is_some_and(|i| i["status"] == "resolved")
    })
    .await;
    assert_eq!(list.len(), 1, "{list:#?}");
    assert_eq!(list[0]["resolved_by"], "pagerduty", "{}", list[0]);

    // What Kapacitor sent: PagerDuty's events, in our fixtures' shape.
    let inc_id = list[0]["id"].as_str().expect("id");
    let mut bodies = Vec::new();
    for ev in server.timeline(inc_id).await {
        if ev["payload_url"].is_string() {
            bodies.push((
                ev["received_at"].as_str().unwrap_or("").to_owned(),
                server.payload(&ev).await,
            ));
        }
    }
    bodies.sort();
    let fixture = fixture("01_kapacitor_trigger_critical.json");
    let actions: Vec<String> = bodies
        .iter()
        .map(|(_, body)| {
            if let Err(e) = tocsin_core::sources::pagerduty::decode(body.as_bytes()) {
                panic!("a real pagerduty2 body does not decode: {e:?}\n{body}");
            }
            assert_eq!(
                crate::bodies::keys(body),
                crate::bodies::keys(&fixture),
                "a real body's fields differ from our fixtures': {body}"
            );
            let v: Value = serde_json::from_str(body).expect("JSON");
            assert_eq!(
                (v["routing_key"].as_str(), v["dedup_key"].as_str()),
                (Some(key), Some(id)),
                "{v}"
            );
            assert_eq!(v["client"], "kapacitor", "{v}");
            v["event_action"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(actions, ["trigger", "trigger", "trigger", "resolve"]);
    let log = kap.log();
    assert!(
        !log.contains("failed to understand PagerDuty2 response"),
        "{log}"
    );

    // Kapacitor's own "Test" of the pagerduty2 service (Chronograf's button): a CRITICAL
    // `testAlertID`, which PagerDuty would open too. Kapacitor calls it a success only on
    // 200/202.
    let answer = kap
        .service_test_of("pagerduty2", serde_json::json!({}))
        .await;
    assert_eq!(answer["success"], true, "{answer}");
    incidents_until(&server, &svc, "the service test's incident", |l| {
        by_key(l, "testAlertID").is_some_and(|i| i["title"] == "test pagerduty2 message")
    })
    .await;
}

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../core/testdata/pagerduty")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}
