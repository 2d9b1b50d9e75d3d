//! Kapacitor does not retry: an alert that finds Tocsin down is lost, and the next
//! evaluation that is still not OK is what reaches Tocsin once it is back.

use crate::kapacitord::{free_port, Kapacitor};
use crate::post_endpoint::ENDPOINT_TICK;
use crate::support::Server;
use crate::{bodies, by_key, cpu, eventually, httppost_block, incidents_until};

const REFUSED: &str = "failed to POST alert data";

#[tokio::test]
async fn an_alert_sent_while_tocsin_is_down_is_lost_not_retried() {
    let tmp = tempfile::tempdir().expect("tmp");
    // A fixed port, so the restarted Tocsin has the same webhook URL Kapacitor knows.
    let listen = format!("127.0.0.1:{}", free_port());
    let server = Server::start_at(tmp.path(), &listen).await;
    let (svc, url) = server.new_service("search").await;
    let kap = Kapacitor::start(&httppost_block("squadcast", &url)).await;
    kap.define_task("cpu_alert", ENDPOINT_TICK).await;
    // The first CRITICAL finds nobody: Kapacitor logs the refusal and drops the alert.
    let server = restart_down(server, &tmp, &listen, &kap, &cpu("serverA", 5.0, 10), 1).await;
    assert_eq!(server.kapacitor_url(&svc).await, url, "same port, same URL");
    // The next evaluation, still critical, opens the incident: nothing was queued before it.
    kap.write(&cpu("serverA", 4.0, 20)).await;
    let key = "cpu:serverA";
    let list = incidents_until(&server, &svc, "opened by the next alert", |l| {
        by_key(l, key).is_some()
    })
    .await;
    assert_eq!(list.len(), 1, "{list:#?}");
    assert_eq!(
        list[0]["event_count"], 1,
        "the lost alert was not delivered: {list:#?}"
    );

    // The recovery finds Tocsin down too: lost, and Kapacitor never repeats an OK, so the
    // incident stays open; the next episode's first alert joins it.
    let server = restart_down(server, &tmp, &listen, &kap, &cpu("serverA", 80.0, 30), 2).await;
    let list = server.incidents(&svc).await;
    assert_eq!(
        list[0]["status"], "triggered",
        "the OK never arrived: {list:#?}"
    );
    kap.write(&cpu("serverA", 3.0, 40)).await;
    incidents_until(&server, &svc, "the next episode joins", |l| {
        l.len() == 1 && l[0]["event_count"] == 2
    })
    .await;

    kap.write(&cpu("serverA", 80.0, 50)).await;
    let list = incidents_until(&server, &svc, "resolved", |l| {
        by_key(l, key).is_some_and(|i| i["status"] == "resolved")
    })
    .await;
    assert_eq!(list.len(), 1, "{list:#?}");
    assert_eq!(list[0]["event_count"], 2, "{list:#?}");

    let bodies = bodies::received(&server, &svc, 3).await;
    let seen: Vec<_> = bodies
        .iter()
        .map(|b| {
            (
                b["level"].clone(),
                b["previousLevel"].clone(),
                b["duration"].clone(),
            )
        })
        .collect();
    // Kapacitor believes it alerted at +10 s and recovered at +30 s: what Tocsin saw are a
    // repeat, a new episode's first alert, and its recovery.
    assert_eq!(
        seen,
        [
            (
                "CRITICAL".into(),
                "CRITICAL".into(),
                10_000_000_000_u64.into()
            ),
            ("CRITICAL".into(), "OK".into(), 0.into()),
            ("OK".into(), "CRITICAL".into(), 10_000_000_000_u64.into()),
        ]
    );
    assert_eq!(
        kap.log().matches(REFUSED).count(),
        2,
        "one attempt per lost alert, no retry"
    );
}

/// Kill Tocsin, write `lines` (whose alert Kapacitor then fails to deliver: the `n`th refusal
/// in its log), and start Tocsin again on the same address and data.
async fn restart_down(
    server: Server, tmp: &tempfile::TempDir, listen: &str, kap: &Kapacitor, lines: &str, n: usize,
) -> Server {
    server.kill();
    kap.write(lines).await;
    eventually("Kapacitor logs the refused POST", || async {
        let log = kap.log();
        if log.matches(REFUSED).count() == n {
            Ok(())
        } else {
            Err(log)
        }
    })
    .await;
    Server::start_at(tmp.path(), listen).await
}
