//! PostgreSQL only: a batch whose fast path loses a race is replayed alert by alert, and the
//! caller cannot tell. The race is staged with a plain connection acting as a writer that does
//! not take the team lock (as nothing in Tocsin would): it holds an uncommitted open incident
//! for the key, so the batch's insert waits on the unique index and then fails with a unique
//! violation once the other side commits.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tocsin_core::model::Scope;
use tocsin_core::{Action, Decision, IncidentId, Severity};
use tocsin_store::Store;

use crate::backend::{admin, Backend};
use crate::cases::alert;
use crate::timeline::whole_timeline;

const CRIT: Action = Action::Trigger(Severity::Critical);

/// Wait (with a deadline) until one of Tocsin's connections is blocked on a lock.
async fn until_tocsin_waits_on_a_lock(raw: &tokio_postgres::Client) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let waiting: i64 = raw
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tocsin'
                   AND datname = current_database() AND wait_event_type = 'Lock'",
                &[],
            )
            .await
            .expect("pg_stat_activity")
            .get(0);
        if waiting > 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "Tocsin's insert never waited on the open incident"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_that_loses_a_race_is_replayed_alert_by_alert() {
    let Some(b) = Backend::postgres().await else {
        return;
    };
    let s: Arc<dyn Store> = b.handle();
    let team = s.create_team("t").await.expect("team");
    let svc = s
        .create_service(&Scope::All, team.id, "api", "key-of-t")
        .await
        .expect("service");
    let raw = admin(&b.postgres_url().expect("a PostgreSQL backend")).await;
    raw.batch_execute("BEGIN").await.expect("begin");
    let theirs = IncidentId::new();
    raw.execute(
        "INSERT INTO incidents (id, team_id, service_id, number, source, dedup_key, status,
           severity, title, description, tags, event_count, created_at, updated_at)
         VALUES ($1, $2, $3, 1000, 'kapacitor', 'race', 'triggered', 'critical', 'theirs', '',
           '{}', 1, $4, $4)",
        &[
            &theirs.to_string(),
            &team.id.to_string(),
            &svc.id.to_string(),
            &Utc::now(),
        ],
    )
    .await
    .expect("the other writer's incident");

    let ingest = {
        let (s, svc) = (s.clone(), svc.clone());
        tokio::spawn(async move { s.ingest(&svc, alert("race", CRIT)).await })
    };
    until_tocsin_waits_on_a_lock(&raw).await;
    raw.batch_execute("COMMIT").await.expect("commit");

    let got = ingest.await.expect("task").expect("ingest");
    assert_eq!(got.decision, Decision::Join(Severity::Critical));
    assert_eq!(
        (got.incident_id, got.incident_number),
        (Some(theirs), Some(1000))
    );
    let inc = s.get_incident(&Scope::All, theirs).await.expect("get");
    assert_eq!(inc.event_count, 2);
    let timeline = whole_timeline(&s, &Scope::All, theirs)
        .await
        .expect("timeline");
    assert_eq!(
        timeline.len(),
        1,
        "only the replayed join; the lost try left nothing"
    );
    assert_eq!(timeline[0].id, got.event_id);

    // The abandoned try's counter bump was rolled back with it.
    let next = s.ingest(&svc, alert("other", CRIT)).await.expect("open");
    assert_eq!(next.incident_number, Some(1));
    b.finish().await;
}
