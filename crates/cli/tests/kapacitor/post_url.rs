//! The seed's method 1 (what Chronograf's rule builder writes): the webhook URL in the
//! TICKscript itself, with `.stateChangesOnly()`, so Kapacitor posts only when the level
//! changes. No `groupBy` and no `.id()`: the default id is `mem:nil` and the series has no
//! tags. Point times carry nanoseconds.

use crate::kapacitord::Kapacitor;
use crate::support::Server;
use crate::{bodies, incidents_until, SECOND, T0};

fn mem(used: u32, secs: i64) -> String {
    format!("mem used={used} {}", T0 + secs * SECOND + 123_456_789)
}

#[tokio::test]
async fn url_in_script_with_state_changes_only() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(tmp.path()).await;
    let (svc, url) = server.new_service("payments").await;
    // No [[httppost]] endpoint at all: the URL travels in the script.
    let kap = Kapacitor::start("").await;
    let script = format!(
        r#"stream
    |from()
        .measurement('mem')
    |alert()
        .warn(lambda: "used" > 80)
        .crit(lambda: "used" > 90)
        .stateChangesOnly()
        .post('{url}')
"#
    );
    kap.define_task("mem_alert", &script).await;
    let key = "mem:nil";

    // OK, then WARNING twice: one alert (the change), not two.
    kap.write(&[mem(10, 0), mem(85, 10), mem(86, 20)].join("\n"))
        .await;
    let list = incidents_until(&server, &svc, "a warning incident", |l| l.len() == 1).await;
    assert_eq!(list[0]["dedup_key"], key, "{list:#?}");
    assert_eq!(list[0]["severity"], "warning", "{list:#?}");
    assert_eq!(list[0]["status"], "triggered", "{list:#?}");

    // CRITICAL twice: the change joins the incident and raises its severity. Posts leave
    // Kapacitor in order, so a post for the repeated WARNING would have been counted already.
    kap.write(&[mem(95, 30), mem(96, 40)].join("\n")).await;
    let list = incidents_until(&server, &svc, "severity raised to critical", |l| {
        l.len() == 1 && l[0]["severity"] == "critical"
    })
    .await;
    assert_eq!(list[0]["event_count"], 2, "only level changes: {list:#?}");

    kap.write(&mem(10, 50)).await;
    let list = incidents_until(&server, &svc, "resolved", |l| {
        l.len() == 1 && l[0]["status"] == "resolved"
    })
    .await;
    assert_eq!(list[0]["resolved_by"], "kapacitor", "{list:#?}");
    assert_eq!(list[0]["event_count"], 2, "{list:#?}");

    let bodies = bodies::received(&server, &svc, 3).await;
    let levels: Vec<_> = bodies
        .iter()
        .map(|b| (b["level"].clone(), b["previousLevel"].clone()))
        .collect();
    assert_eq!(
        levels,
        [
            ("WARNING".into(), "OK".into()),
            ("CRITICAL".into(), "WARNING".into()),
            ("OK".into(), "CRITICAL".into()),
        ]
    );
    for b in &bodies {
        assert_eq!(b["id"], key, "{b}");
        assert_eq!(
            b["message"],
            format!("{key} is {}", b["level"].as_str().unwrap_or(""))
        );
        let series = &b["data"]["series"][0];
        assert!(series.get("tags").is_none(), "no groupBy, no tags: {b}");
        assert_eq!(
            series["columns"],
            serde_json::json!(["time", "used"]),
            "{b}"
        );
    }
    assert_eq!(bodies[0]["time"], "2023-11-14T22:13:30.123456789Z");
    // Tocsin keeps what it can of the nanoseconds: microseconds.
    let d = crate::detail(&server, &list[0]).await;
    let opened = &d["timeline"][0];
    assert!(
        opened["occurred_at"]
            .as_str()
            .is_some_and(|t| t.starts_with("2023-11-14T22:13:30.123456")),
        "{opened}"
    );
}
