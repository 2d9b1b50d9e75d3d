//! The seed's method 2: a `[[httppost]]` endpoint named `squadcast` in kapacitor.conf, and
//! `.post().endpoint('squadcast')` in the TICKscript. Kapacitor posts every non-OK point and
//! one OK on recovery.

use serde_json::Value;

use crate::kapacitord::Kapacitor;
use crate::support::Server;
use crate::{bodies, by_key, cpu, httppost_block, incidents_until};

/// The seed's TICKscript for method 2 (`cpu_alert_endpoint.tick`).
pub const ENDPOINT_TICK: &str = r#"stream
    |from()
        .measurement('cpu')
        .groupBy('host')
    |alert()
        .id('cpu:{{ index .Tags "host" }}')
        .message('{{ .ID }} is {{ .Level }}: usage_idle={{ index .Fields "usage_idle" }}')
        .warn(lambda: "usage_idle" < 20)
        .crit(lambda: "usage_idle" < 10)
        .post()
            .endpoint('squadcast')
"#;

#[tokio::test]
async fn endpoint_alerts_open_join_and_resolve_an_incident() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(tmp.path()).await;
    let (svc, url) = server.new_service("checkout").await;
    let (other, _) = server.new_service("bystander").await;
    let kap = Kapacitor::start(&httppost_block("squadcast", &url)).await;
    kap.define_task("cpu_alert", ENDPOINT_TICK).await;

    let bodies = cpu_story(&server, &svc, &kap, "cpu:serverA").await;
    assert_eq!(
        bodies[0]["message"], "cpu:serverA is CRITICAL: usage_idle=5",
        "the TICKscript's message template"
    );
    assert!(server.incidents(&other).await.is_empty());
}

/// serverA: OK, CRITICAL, CRITICAL, WARNING, OK, OK. One incident opened by the first
/// CRITICAL, joined by the next two alerts, resolved by Kapacitor's single OK. Returns the
/// bodies Tocsin received.
pub async fn cpu_story(server: &Server, svc: &str, kap: &Kapacitor, key: &str) -> Vec<Value> {
    // The first OK of a group sends nothing; the first CRITICAL opens the incident.
    kap.write(&format!(
        "{}\n{}",
        cpu("serverA", 50.0, 0),
        cpu("serverA", 5.0, 10)
    ))
    .await;
    let list = incidents_until(server, svc, "an incident opened", |l| {
        by_key(l, key).is_some_and(|i| i["event_count"] == 1)
    })
    .await;
    assert_eq!(list.len(), 1, "{list:#?}");
    let inc = &list[0];
    assert_eq!(inc["status"], "triggered", "{inc}");
    assert_eq!(inc["severity"], "critical", "{inc}");
    assert_eq!(inc["alert_source"], "kapacitor", "{inc}");
    assert_eq!(inc["tags"]["host"], "serverA", "{inc}");

    // Still critical: the same incident, one more event.
    kap.write(&cpu("serverA", 4.0, 20)).await;
    incidents_until(server, svc, "a repeat joined", |l| {
        l.len() == 1 && by_key(l, key).is_some_and(|i| i["event_count"] == 2)
    })
    .await;

    // Better but not good: still the same incident, now a warning.
    kap.write(&cpu("serverA", 15.0, 30)).await;
    incidents_until(server, svc, "a warning joined", |l| {
        l.len() == 1
            && by_key(l, key).is_some_and(|i| i["event_count"] == 3 && i["severity"] == "warning")
    })
    .await;

    // Back to normal: Kapacitor's OK resolves it; a further OK sends nothing.
    kap.write(&format!(
        "{}\n{}",
        cpu("serverA", 80.0, 40),
        cpu("serverA", 90.0, 50)
    ))
    .await;
    let list = incidents_until(server, svc, "resolved by Kapacitor's OK", |l| {
        by_key(l, key).is_some_and(|i| i["status"] == "resolved")
    })
    .await;
    assert_eq!(list.len(), 1, "{list:#?}");
    let inc = &list[0];
    assert_eq!(inc["resolved_by"], "kapacitor", "{inc}");
    assert_eq!(
        inc["event_count"], 3,
        "the OK resolves, it does not count: {inc}"
    );

    let bodies = bodies::received(server, svc, 4).await;
    let levels: Vec<(&str, &str, u64)> = bodies
        .iter()
        .map(|b| {
            (
                b["level"].as_str().unwrap_or(""),
                b["previousLevel"].as_str().unwrap_or(""),
                b["duration"].as_u64().unwrap_or(u64::MAX),
            )
        })
        .collect();
    assert_eq!(
        levels,
        [
            ("CRITICAL", "OK", 0),
            ("CRITICAL", "CRITICAL", 10_000_000_000),
            ("WARNING", "CRITICAL", 20_000_000_000),
            ("OK", "WARNING", 30_000_000_000),
        ],
        "duration counts from the episode's first alert, in ns"
    );
    for b in &bodies {
        assert_eq!(b["id"], key, "{b}");
        assert_eq!(b["data"]["series"][0]["tags"]["host"], "serverA", "{b}");
    }
    assert_eq!(bodies[0]["time"], "2023-11-14T22:13:30Z");
    bodies
}
