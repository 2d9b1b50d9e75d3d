//! Heartbeats on every backend: service-owned, unique by name and scoped; a miss opens one
//! incident through the ingest plan (so its policy pages) in the transaction that marks it
//! missed, once however often or from how many places the engine asks; a check-in resolves
//! it (and paging says so); deleting one stops it and leaves its incident alone.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use tocsin_core::heartbeat::{self, Heartbeat, HeartbeatSpec, HeartbeatState};
use tocsin_core::model::{IncidentQuery, Scope, Service};
use tocsin_core::paging::escalation::NotificationKind;
use tocsin_core::paging::policy::{Repeat, Target};
use tocsin_core::{Decision, IncidentStatus, ServiceId, Severity, SourceKind, TeamId};
use tocsin_store::heartbeats::HeartbeatNoise;
use tocsin_store::{Store, StoreError};

use crate::accounts::Db;
use crate::cases::team_and_service;
use crate::engine::{advance, assign, at_once, kinds_of, pager};

/// A heartbeat of `svc` made at `at`; its key is `key-<name>`.
async fn make(
    s: &dyn Store, team: TeamId, svc: ServiceId, name: &str, interval: i64, grace: i64,
    at: DateTime<Utc>,
) -> Heartbeat {
    let spec = HeartbeatSpec::new(name, interval, grace).expect("valid");
    let key = format!("key-{name}-{svc}");
    let hb = heartbeat::create(team, svc, &spec, &key, at);
    s.create_heartbeat(&Scope::All, &hb, tocsin_core::secret::hash(&key))
        .await
        .expect("create heartbeat")
}

fn key_hash(hb: &Heartbeat) -> [u8; 32] {
    tocsin_core::secret::hash(&hb.checkin_key)
}

async fn incidents_of(s: &dyn Store, svc: &Service) -> Vec<tocsin_core::model::Incident> {
    s.list_incidents(
        &Scope::All,
        &IncidentQuery {
            service_id: Some(svc.id),
            limit: 100,
            ..Default::default()
        },
    )
    .await
    .expect("list incidents")
}

pub async fn heartbeats_are_service_owned_unique_and_scoped(s: Arc<dyn Store>) {
    let (team, svc) = team_and_service(&s, "hb-owner").await;
    let (other, other_svc) = team_and_service(&s, "hb-other").await;
    let now = Utc::now();
    let a = make(s.as_ref(), team, svc.id, "backup", 60, 30, now).await;
    let b = make(s.as_ref(), team, svc.id, "alpha", 10, 0, now).await;
    assert_eq!(a.due_at, a.created_at + Duration::seconds(90));
    assert_eq!(a.state, HeartbeatState::Ok);

    // A name is the service's once; another service may use it.
    let dup = heartbeat::create(
        team,
        svc.id,
        &HeartbeatSpec::new("backup", 60, 0).expect("valid"),
        "another-key",
        now,
    );
    let err = s
        .create_heartbeat(&Scope::All, &dup, tocsin_core::secret::hash("another-key"))
        .await
        .expect_err("a taken name");
    assert!(
        matches!(&err, StoreError::Conflict(d) if d.contains("backup")),
        "{err:?}"
    );
    make(s.as_ref(), other, other_svc.id, "backup", 60, 0, now).await;

    // A service of another team (or outside the scope) is not found.
    let wrong = heartbeat::create(
        team,
        other_svc.id,
        &HeartbeatSpec::new("x", 60, 0).expect("valid"),
        "k-x",
        now,
    );
    assert!(matches!(
        s.create_heartbeat(&Scope::All, &wrong, tocsin_core::secret::hash("k-x"))
            .await,
        Err(StoreError::NotFound(_))
    ));
    let outside = Scope::Teams(vec![other]);
    let mine = heartbeat::create(
        team,
        svc.id,
        &HeartbeatSpec::new("y", 60, 0).expect("valid"),
        "k-y",
        now,
    );
    assert!(matches!(
        s.create_heartbeat(&outside, &mine, tocsin_core::secret::hash("k-y"))
            .await,
        Err(StoreError::NotFound(_))
    ));

    let list = s.list_heartbeats(&Scope::All, svc.id).await.expect("list");
    assert_eq!(
        list.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(),
        ["alpha", "backup"]
    );
    assert_eq!(list[1], a, "read back exactly (microseconds included)");
    assert!(s
        .list_heartbeats(&outside, svc.id)
        .await
        .expect("list")
        .is_empty());
    assert!(matches!(
        s.get_heartbeat(&outside, svc.id, a.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        s.get_heartbeat(&Scope::All, other_svc.id, a.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        s.delete_heartbeat(&outside, svc.id, a.id).await,
        Err(StoreError::NotFound(_))
    ));

    // Found by the hash of its key, with the stored hash.
    let (found, stored) = s
        .heartbeat_by_key_hash(key_hash(&b))
        .await
        .expect("by hash")
        .expect("found");
    assert_eq!((found.id, stored), (b.id, key_hash(&b)));
    assert!(s
        .heartbeat_by_key_hash(tocsin_core::secret::hash("nope"))
        .await
        .expect("by hash")
        .is_none());
    assert!(s
        .check_in_heartbeat(tocsin_core::secret::hash("nope"), now)
        .await
        .expect("check in")
        .is_none());

    let gone = s
        .delete_heartbeat(&Scope::All, svc.id, b.id)
        .await
        .expect("delete");
    assert_eq!(gone.id, b.id);
    assert!(matches!(
        s.get_heartbeat(&Scope::All, svc.id, b.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(s
        .heartbeat_by_key_hash(key_hash(&b))
        .await
        .expect("by hash")
        .is_none());
}

pub async fn a_missed_heartbeat_pages_once_and_a_check_in_resolves_it(db: Db) {
    let s = db.store.clone();
    let (team, svc) = team_and_service(&s, "hb-miss").await;
    let (alice, _) = pager(&db, "hb-alice").await;
    assign(
        &db,
        team,
        &svc,
        "hb-policy",
        &at_once(vec![Target::User { id: alice }], Repeat::Times(0), None),
    )
    .await;
    let svc = s.get_service(&Scope::All, svc.id).await.expect("service");
    let t0 = Utc::now();
    let hb = make(s.as_ref(), team, svc.id, "nightly", 60, 30, t0).await;
    let t0 = hb.created_at;

    // Not yet: nothing fires a second early, and the engine knows when to look.
    assert_eq!(
        s.next_heartbeat_due().await.expect("next due"),
        Some(hb.due_at)
    );
    assert!(s
        .fire_heartbeats(t0 + Duration::seconds(89), 64, &HeartbeatNoise::none())
        .await
        .expect("fire")
        .is_empty());
    assert!(incidents_of(s.as_ref(), &svc).await.is_empty());

    // Due: one incident, critical, under the heartbeat's key, from the heartbeat source.
    let fired = s
        .fire_heartbeats(t0 + Duration::seconds(90), 64, &HeartbeatNoise::none())
        .await
        .expect("fire");
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].heartbeat.id, hb.id);
    assert_eq!(fired[0].heartbeat.state, HeartbeatState::Missed);
    assert_eq!(
        fired[0].outcome.decision,
        Decision::Open(Severity::Critical)
    );
    let inc_id = fired[0].outcome.incident_id.expect("an incident");
    let inc = s.get_incident(&Scope::All, inc_id).await.expect("incident");
    assert_eq!(inc.dedup_key, "heartbeat:nightly");
    assert_eq!(inc.alert_source, SourceKind::Heartbeat);
    assert_eq!(inc.severity, Severity::Critical);
    assert_eq!(inc.title, "Heartbeat nightly missed");
    assert_eq!(inc.status, IncidentStatus::Triggered);

    // Once: asking again, later, fires nothing, and nothing is due any more.
    for later in [90, 91, 3600] {
        assert!(s
            .fire_heartbeats(t0 + Duration::seconds(later), 64, &HeartbeatNoise::none())
            .await
            .expect("fire")
            .is_empty());
    }
    assert_eq!(s.next_heartbeat_due().await.expect("next due"), None);
    assert_eq!(incidents_of(s.as_ref(), &svc).await.len(), 1);
    let stored = s
        .get_heartbeat(&Scope::All, svc.id, hb.id)
        .await
        .expect("get");
    assert_eq!(stored.state, HeartbeatState::Missed);

    // It pages like any incident: the policy's start row was written with it.
    assert_eq!(advance(&db, Utc::now()).await, 1);
    assert_eq!(
        kinds_of(&db, &Scope::All, inc_id).await,
        [NotificationKind::Triggered]
    );

    // The check-in resolves it, in the same transaction, and everyone paged hears so.
    let back = t0 + Duration::seconds(300);
    assert_eq!(
        back,
        tocsin_core::heartbeat::due_after(t0, 300, 0),
        "whole microseconds"
    );
    let done = s
        .check_in_heartbeat(key_hash(&hb), back)
        .await
        .expect("check in")
        .expect("found");
    assert_eq!(done.heartbeat.state, HeartbeatState::Ok);
    assert_eq!(done.heartbeat.last_checkin_at, Some(back));
    assert_eq!(done.heartbeat.due_at, back + Duration::seconds(90));
    let rec = done.recovered.expect("a recovery");
    assert_eq!(rec.decision, Decision::Resolve);
    assert_eq!(rec.incident_id, Some(inc_id));
    let inc = s.get_incident(&Scope::All, inc_id).await.expect("incident");
    assert_eq!(inc.status, IncidentStatus::Resolved);
    assert_eq!(inc.resolved_by.as_deref(), Some("heartbeat"));
    assert_eq!(
        s.get_heartbeat(&Scope::All, svc.id, hb.id)
            .await
            .expect("get"),
        done.heartbeat
    );
    assert_eq!(advance(&db, Utc::now()).await, 1);
    assert_eq!(
        kinds_of(&db, &Scope::All, inc_id).await,
        [NotificationKind::Triggered, NotificationKind::Resolved]
    );

    // A check-in on time writes no event and resolves nothing.
    let again = s
        .check_in_heartbeat(key_hash(&hb), back + Duration::seconds(10))
        .await
        .expect("check in")
        .expect("found");
    assert!(again.recovered.is_none());
    assert_eq!(
        s.next_heartbeat_due().await.expect("next due"),
        Some(back + Duration::seconds(100))
    );

    // Missed again: a new incident (the first is resolved and never reopens).
    let fired = s
        .fire_heartbeats(back + Duration::seconds(100), 64, &HeartbeatNoise::none())
        .await
        .expect("fire");
    assert_eq!(fired.len(), 1);
    assert_ne!(fired[0].outcome.incident_id, Some(inc_id));
    assert_eq!(incidents_of(s.as_ref(), &svc).await.len(), 2);
}

pub async fn a_deleted_heartbeat_stops_and_its_incident_stays(s: Arc<dyn Store>) {
    let (team, svc) = team_and_service(&s, "hb-delete").await;
    let t0 = Utc::now();
    let missed = make(s.as_ref(), team, svc.id, "gone-missed", 10, 0, t0).await;
    let due = make(s.as_ref(), team, svc.id, "gone-due", 10, 0, t0).await;
    let fired = s
        .fire_heartbeats(t0 + Duration::seconds(10), 1, &HeartbeatNoise::none())
        .await
        .expect("fire");
    assert_eq!(fired.len(), 1, "at most `limit` per call");
    let (fired_id, other) = if fired[0].heartbeat.id == missed.id {
        (missed.id, due.id)
    } else {
        (due.id, missed.id)
    };
    let inc = fired[0].outcome.incident_id.expect("incident");
    for id in [fired_id, other] {
        s.delete_heartbeat(&Scope::All, svc.id, id)
            .await
            .expect("delete");
    }
    assert!(s
        .fire_heartbeats(t0 + Duration::seconds(3600), 64, &HeartbeatNoise::none())
        .await
        .expect("fire")
        .is_empty());
    assert_eq!(s.next_heartbeat_due().await.expect("next"), None);
    let inc = s.get_incident(&Scope::All, inc).await.expect("incident");
    assert_eq!(inc.status, IncidentStatus::Triggered, "left as it is");
    assert_eq!(incidents_of(s.as_ref(), &svc).await.len(), 1);
}

/// Many callers fire at once (one store: the SQLite writer, or PostgreSQL's pool of
/// connections): every heartbeat fires exactly once.
pub async fn concurrent_firings_fire_each_heartbeat_once(s: Arc<dyn Store>) {
    let (team, svc) = team_and_service(&s, "hb-race").await;
    let t0 = Utc::now();
    for i in 0..24 {
        make(s.as_ref(), team, svc.id, &format!("hb-{i:02}"), 10, 0, t0).await;
    }
    let at = t0 + Duration::seconds(10);
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                let mut n = 0;
                for _ in 0..4 {
                    n += s
                        .fire_heartbeats(at, 5, &HeartbeatNoise::none())
                        .await
                        .expect("fire")
                        .len();
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("task");
    }
    // Whatever the callers left (5 per call, 24 calls, some finding rows locked) fires now.
    total += s
        .fire_heartbeats(at, 64, &HeartbeatNoise::none())
        .await
        .expect("fire")
        .len();
    assert_eq!(total, 24);
    let incidents = incidents_of(s.as_ref(), &svc).await;
    assert_eq!(incidents.len(), 24);
    let mut keys: Vec<_> = incidents.iter().map(|i| i.dedup_key.clone()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 24, "one incident per heartbeat");
}

/// PostgreSQL only: two nodes (two stores, two pools) on one database fire together; each
/// heartbeat fires once, with one incident.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_database_fire_each_heartbeat_once() {
    let Some(b) = crate::backend::Backend::postgres().await else {
        return;
    };
    let a: Arc<dyn Store> = b.handle();
    let url = b.postgres_url().expect("a PostgreSQL backend");
    let other: Arc<dyn Store> = Arc::new(
        tocsin_store::postgres::PgStore::connect(&url)
            .await
            .expect("second node"),
    );
    let (team, svc) = team_and_service(&a, "hb-nodes").await;
    let t0 = Utc::now();
    for i in 0..40 {
        make(a.as_ref(), team, svc.id, &format!("n-{i:02}"), 10, 0, t0).await;
    }
    let at = t0 + Duration::seconds(10);
    let node = |s: Arc<dyn Store>| {
        tokio::spawn(async move {
            let mut n = 0;
            for _ in 0..10 {
                n += s
                    .fire_heartbeats(at, 3, &HeartbeatNoise::none())
                    .await
                    .expect("fire")
                    .len();
            }
            n
        })
    };
    let (x, y) = (node(a.clone()), node(other.clone()));
    let total = x.await.expect("node a")
        + y.await.expect("node b")
        + a.fire_heartbeats(at, 64, &HeartbeatNoise::none())
            .await
            .expect("fire")
            .len();
    assert_eq!(total, 40);
    let incidents = incidents_of(a.as_ref(), &svc).await;
    assert_eq!(incidents.len(), 40);
    drop(other);
    b.finish().await;
}

/// A heartbeat missed during its service's maintenance window opens a suppressed incident
/// that pages nobody; one whose service the caller did not screen waits for a call that does.
pub async fn a_heartbeat_missed_in_a_maintenance_window_is_suppressed(db: Db) {
    use tocsin_core::noise::screen::NoiseConfig;
    use tocsin_core::noise::windows::{Window, WindowSpec};
    let s = db.store.clone();
    let (team, svc) = team_and_service(&s, "hb-window").await;
    let (alice, _) = pager(&db, "hb-window-alice").await;
    assign(
        &db,
        team,
        &svc,
        "hb-window-policy",
        &at_once(vec![Target::User { id: alice }], Repeat::Times(0), None),
    )
    .await;
    let svc = s.get_service(&Scope::All, svc.id).await.expect("service");
    let hb = make(s.as_ref(), team, svc.id, "etl", 60, 0, Utc::now()).await;
    let due = hb.due_at;
    assert_eq!(
        s.heartbeat_services_due(due, 64)
            .await
            .expect("due services"),
        [svc.id]
    );

    // Not screened for this service: left for later, still `ok`, no incident.
    let other = HeartbeatNoise::of(std::collections::HashMap::new());
    assert!(s
        .fire_heartbeats(due, 64, &other)
        .await
        .expect("fire")
        .is_empty());
    assert!(incidents_of(s.as_ref(), &svc).await.is_empty());

    // Screened with a window that covers the miss: suppressed, final, no page.
    let spec = WindowSpec {
        start: due - Duration::minutes(5),
        end: Some(due + Duration::hours(1)),
        time_zone: None,
        weekly: false,
    };
    let window = Window::new(&spec, None).expect("window");
    let id = tocsin_core::MaintenanceWindowId::new();
    let config = NoiseConfig::compile(Vec::new(), vec![(id, window)]).expect("config");
    let noise = HeartbeatNoise::of([(svc.id, Arc::new(config))].into_iter().collect());
    let fired = s.fire_heartbeats(due, 64, &noise).await.expect("fire");
    assert_eq!(fired.len(), 1);
    assert_eq!(
        fired[0].outcome.decision,
        Decision::Suppress(Severity::Critical)
    );
    let inc = s
        .get_incident(
            &Scope::All,
            fired[0].outcome.incident_id.expect("an incident"),
        )
        .await
        .expect("incident");
    assert_eq!(inc.status, IncidentStatus::Suppressed);
    assert_eq!(inc.dedup_key, "heartbeat:etl");
    assert_eq!(advance(&db, Utc::now()).await, 0, "nothing to page");
    assert!(kinds_of(&db, &Scope::All, inc.id).await.is_empty());
    // Fired once, as any miss.
    assert!(s
        .fire_heartbeats(due, 64, &noise)
        .await
        .expect("fire")
        .is_empty());
}
