//! `.groupBy('host')` with Kapacitor's default id (`{{ .Name }}:{{ .Group }}`): each host
//! has its own alert state, so its own incident, opened and resolved independently.

use crate::kapacitord::Kapacitor;
use crate::support::Server;
use crate::{bodies, by_key, cpu, httppost_block, incidents_until};

const GROUPED_TICK: &str = r#"stream
    |from()
        .measurement('cpu')
        .groupBy('host')
    |alert()
        .warn(lambda: "usage_idle" < 20)
        .crit(lambda: "usage_idle" < 10)
        .post()
            .endpoint('squadcast')
"#;

#[tokio::test]
async fn each_host_gets_its_own_incident_and_recovery() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(tmp.path()).await;
    let (svc, url) = server.new_service("web").await;
    let kap = Kapacitor::start(&httppost_block("squadcast", &url)).await;
    kap.define_task("cpu_by_host", GROUPED_TICK).await;
    let (a, b, c) = ("cpu:host=serverA", "cpu:host=serverB", "cpu:host=serverC");

    // One write, three hosts: A critical, B warning, C fine.
    kap.write(
        &[
            cpu("serverA", 5.0, 0),
            cpu("serverB", 15.0, 0),
            cpu("serverC", 80.0, 0),
        ]
        .join("\n"),
    )
    .await;
    let list = incidents_until(&server, &svc, "A and B open", |l| {
        by_key(l, a).is_some() && by_key(l, b).is_some()
    })
    .await;
    let (ia, ib) = (by_key(&list, a).cloned(), by_key(&list, b).cloned());
    let (ia, ib) = (ia.expect("A"), ib.expect("B"));
    assert_eq!(ia["severity"], "critical", "{ia}");
    assert_eq!(ia["tags"]["host"], "serverA", "{ia}");
    assert_eq!(ib["severity"], "warning", "{ib}");
    assert_eq!(ib["tags"]["host"], "serverB", "{ib}");
    assert_ne!(ia["id"], ib["id"]);

    // A recovers while B stays bad; C, never bad, sends nothing.
    kap.write(
        &[
            cpu("serverA", 80.0, 10),
            cpu("serverB", 14.0, 10),
            cpu("serverC", 81.0, 10),
        ]
        .join("\n"),
    )
    .await;
    let list = incidents_until(&server, &svc, "A resolved, B joined", |l| {
        by_key(l, a).is_some_and(|i| i["status"] == "resolved")
            && by_key(l, b).is_some_and(|i| i["event_count"] == 2)
    })
    .await;
    assert_eq!(
        by_key(&list, b).map(|i| &i["status"]),
        Some(&"triggered".into())
    );
    assert_eq!(
        by_key(&list, a).map(|i| &i["resolved_by"]),
        Some(&"kapacitor".into())
    );

    kap.write(&cpu("serverB", 80.0, 20)).await;
    let list = incidents_until(&server, &svc, "B resolved", |l| {
        by_key(l, b).is_some_and(|i| i["status"] == "resolved")
    })
    .await;
    assert_eq!(list.len(), 2, "serverC never alerted: {list:#?}");
    assert!(by_key(&list, c).is_none());

    // A: CRITICAL, OK. B: WARNING, WARNING, OK.
    let bodies = bodies::received(&server, &svc, 5).await;
    for body in &bodies {
        let host = body["data"]["series"][0]["tags"]["host"]
            .as_str()
            .unwrap_or("");
        assert_eq!(body["id"], format!("cpu:host={host}"), "{body}");
        assert_eq!(
            body["message"],
            format!(
                "cpu:host={host} is {}",
                body["level"].as_str().unwrap_or("")
            ),
            "the default message template"
        );
    }
}
