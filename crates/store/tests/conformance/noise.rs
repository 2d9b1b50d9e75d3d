//! Noise control on every backend (issue 18): rules and maintenance windows kept per service
//! within scope, and what core's noise step decides written as planned: a window or a
//! `suppress` rule makes a `suppressed` incident that pages nobody and that repeats join, a
//! route lands on the target service, tags and severity change the incident, a passed dedup
//! window replaces the open incident in one transaction, rules apply in order.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use tocsin_core::model::{EventKind, IngestOutcome, Scope, Service};
use tocsin_core::noise::records::WindowEnd;
use tocsin_core::noise::rules::{ConditionSpec, Op, RuleAction, RuleSpec};
use tocsin_core::noise::screen::{screen, NoiseConfig, Target};
use tocsin_core::noise::windows::WindowSpec;
use tocsin_core::paging::policy::{Repeat, Target as PageTarget};
use tocsin_core::{Action, Decision, IncidentStatus, Severity, TeamId};
use tocsin_store::StoreError;

use crate::accounts::Db;
use crate::cases::{alert, team_and_service};
use crate::engine::{advance, assign, at_once, pager};
use crate::timeline::whole_timeline;

const CRIT: Action = Action::Trigger(Severity::Critical);

fn rule(action: RuleAction, field: &str, op: Op, value: &str) -> RuleSpec {
    RuleSpec {
        action,
        conditions: vec![ConditionSpec {
            field: field.into(),
            op,
            value: value.into(),
        }],
        service_id: None,
        tags: None,
        minutes: None,
        severity: None,
    }
}

/// The service's stored config, compiled, as the server's cache does.
async fn config(db: &Db, svc: &Service) -> NoiseConfig {
    let (rules, windows) = db
        .store
        .noise_config(svc.id, Utc::now())
        .await
        .expect("noise config");
    let windows = windows
        .into_iter()
        .map(|w| (w.id, w.window().expect("stored window")))
        .collect();
    NoiseConfig::compile(rules, windows).expect("stored rules compile")
}

/// An alert through the noise step (core) and the store, as `server::ingest` does it.
async fn send(
    db: &Db, svc: &Service, routes_to: Option<&Service>, ev: tocsin_core::AlertEvent,
) -> IngestOutcome {
    let origin = config(db, svc).await;
    let s = screen(&origin, ev);
    let target_cfg = match (s.route(), routes_to) {
        (Some(id), Some(t)) if id == t.id => Some(config(db, t).await),
        _ => None,
    };
    let target = match (routes_to, &target_cfg) {
        (Some(t), Some(cfg)) => Some(Target {
            id: t.id,
            name: &t.name,
            config: cfg,
        }),
        _ => None,
    };
    let handler = match &target {
        Some(_) => routes_to.expect("target"),
        None => svc,
    };
    let (ev, noise) = s.finish(&origin, &svc.name, target, Utc::now());
    db.store
        .ingest_screened(handler, ev, noise)
        .await
        .expect("ingest")
}

async fn second_service(db: &Db, team: TeamId, name: &str) -> Service {
    db.store
        .create_service(&Scope::All, team, name, &format!("key-of-{name}"))
        .await
        .expect("service")
}

pub async fn rules_are_kept_per_service_within_scope_and_routes_stay_in_the_team(db: Db) {
    let (team, svc) = team_and_service(&db.store, "rules").await;
    let (_, other) = team_and_service(&db.store, "others").await;
    let scope = Scope::Teams(vec![team]);
    assert!(db
        .store
        .service_rules(&scope, svc.id)
        .await
        .expect("none")
        .is_empty());
    let db_svc = second_service(&db, team, "db").await;
    let mut route = rule(RuleAction::Route, "source", Op::Eq, "kapacitor");
    route.service_id = Some(db_svc.id);
    let list = vec![
        rule(RuleAction::Suppress, "tags.env", Op::Eq, "dev"),
        route.clone(),
    ];
    db.store
        .set_service_rules(&scope, svc.id, &list, "ann")
        .await
        .expect("save");
    assert_eq!(
        db.store.service_rules(&scope, svc.id).await.expect("read"),
        list
    );
    // A route to another team's service is refused, naming the rule; nothing changes.
    let mut away = route;
    away.service_id = Some(other.id);
    let refused = db
        .store
        .set_service_rules(
            &scope,
            svc.id,
            &[rule(RuleAction::Suppress, "source", Op::Eq, "x"), away],
            "ann",
        )
        .await;
    assert!(
        matches!(&refused, Err(StoreError::Invalid { field, .. }) if field == "rules[1].service_id"),
        "{refused:?}"
    );
    assert_eq!(
        db.store.service_rules(&scope, svc.id).await.expect("read"),
        list
    );
    // Outside the scope: not found, both ways.
    let outside = Scope::Teams(vec![other.team_id]);
    assert!(matches!(
        db.store.service_rules(&outside, svc.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        db.store.set_service_rules(&outside, svc.id, &[], "x").await,
        Err(StoreError::NotFound(_))
    ));
    // Saving an empty list clears it.
    db.store
        .set_service_rules(&scope, svc.id, &[], "ann")
        .await
        .expect("clear");
    assert!(db
        .store
        .service_rules(&scope, svc.id)
        .await
        .expect("read")
        .is_empty());
}

pub async fn a_window_suppresses_pages_nobody_and_ends(db: Db) {
    let (team, svc) = team_and_service(&db.store, "maint").await;
    let (alice, _) = pager(&db, "alice").await;
    assign(
        &db,
        team,
        &svc,
        "p",
        &at_once(vec![PageTarget::User { id: alice }], Repeat::Times(0), None),
    )
    .await;
    let scope = Scope::Teams(vec![team]);
    let now = Utc::now();
    // An incident opened before the window: repeats during it join it as today.
    let before = send(&db, &svc, None, alert("early", CRIT)).await;
    assert_eq!(before.decision, Decision::Open(Severity::Critical));
    let w = db
        .store
        .create_maintenance_window(
            &scope,
            svc.id,
            &WindowSpec {
                start: now - Duration::minutes(1),
                end: None,
                time_zone: None,
                weekly: false,
            },
            "ann",
        )
        .await
        .expect("window");
    assert_eq!(w.spec.time_zone.as_deref(), Some("UTC"));
    let listed = db
        .store
        .list_maintenance_windows(&scope, svc.id)
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].active(Utc::now()));

    let first = send(&db, &svc, None, alert("cpu", CRIT)).await;
    assert_eq!(first.decision, Decision::Suppress(Severity::Critical));
    let id = first.incident_id.expect("a suppressed incident");
    let repeat = send(&db, &svc, None, alert("cpu", CRIT)).await;
    assert_eq!(
        (repeat.decision, repeat.incident_id),
        (Decision::Suppress(Severity::Critical), Some(id))
    );
    let joined = send(&db, &svc, None, alert("early", CRIT)).await;
    assert_eq!(joined.decision, Decision::Join(Severity::Critical));
    let early = whole_timeline(&db.store, &scope, joined.incident_id.expect("id"))
        .await
        .expect("timeline");
    assert!(
        early.iter().all(|e| e.text.is_none()),
        "a repeat that joined is not called suppressed: {early:?}"
    );
    // A recovery during the window: nothing open for the key, so it changes nothing.
    let recovery = send(&db, &svc, None, alert("cpu", Action::Resolve)).await;
    assert_eq!(recovery.decision, Decision::Ignore);

    let inc = db.store.get_incident(&scope, id).await.expect("incident");
    assert_eq!(
        (inc.status, inc.event_count),
        (IncidentStatus::Suppressed, 2)
    );
    let timeline = whole_timeline(&db.store, &scope, id)
        .await
        .expect("timeline");
    assert!(timeline.iter().all(|e| e.kind == EventKind::Suppressed));
    let text = timeline[0].text.as_deref().unwrap_or_default();
    assert!(
        text.contains(&w.id.to_string()),
        "the timeline names the window: {text}"
    );
    // Paging: the incident opened before the window pages; the suppressed one never does.
    advance(&db, Utc::now()).await;
    assert!(db
        .store
        .incident_notifications(&scope, id)
        .await
        .expect("none")
        .is_empty());
    assert!(!db
        .store
        .incident_notifications(&scope, before.incident_id.expect("id"))
        .await
        .expect("paged")
        .is_empty());
    // The incident list finds it by its status.
    let q = tocsin_core::model::IncidentQuery {
        statuses: vec![IncidentStatus::Suppressed],
        ..Default::default()
    };
    let found = db.store.list_incidents(&scope, &q).await.expect("list");
    assert_eq!(found.iter().map(|i| i.id).collect::<Vec<_>>(), [id]);
    // People cannot act on a suppressed incident: it is final.
    assert!(db.store.acknowledge(&scope, id, "ann").await.is_err());

    // Ended: the next alert opens an incident that pages.
    let ended = db
        .store
        .end_maintenance_window(&scope, svc.id, w.id, Utc::now())
        .await
        .expect("end");
    assert_eq!(ended, WindowEnd::Ended);
    let after = send(&db, &svc, None, alert("cpu", CRIT)).await;
    assert_eq!(after.decision, Decision::Open(Severity::Critical));
    assert!(db
        .store
        .noise_config(svc.id, Utc::now())
        .await
        .expect("config")
        .1
        .is_empty());

    // A future window is removed, not ended; another team's scope does not see it.
    let future = db
        .store
        .create_maintenance_window(
            &scope,
            svc.id,
            &WindowSpec {
                start: now + Duration::days(1),
                end: Some(now + Duration::days(2)),
                time_zone: Some("Europe/Berlin".into()),
                weekly: true,
            },
            "ann",
        )
        .await
        .expect("future");
    let outside = Scope::Teams(vec![TeamId::new()]);
    assert!(matches!(
        db.store
            .end_maintenance_window(&outside, svc.id, future.id, Utc::now())
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        db.store
            .end_maintenance_window(&scope, svc.id, future.id, Utc::now())
            .await
            .expect("remove"),
        WindowEnd::Removed
    );
    assert_eq!(
        db.store
            .list_maintenance_windows(&scope, svc.id)
            .await
            .expect("list")
            .len(),
        1
    );
}

pub async fn each_rule_kind_applies_in_order(db: Db) {
    let (team, svc) = team_and_service(&db.store, "kinds").await;
    let target = second_service(&db, team, "db").await;
    let scope = Scope::Teams(vec![team]);
    let mut tag = rule(RuleAction::Tag, "title", Op::Matches, r"^(?P<what>\w+) is");
    tag.tags = Some(BTreeMap::from([("what".into(), "${what}".into())]));
    let mut sev = rule(RuleAction::SetSeverity, "dedup_key", Op::Eq, "disk");
    sev.severity = Some(Severity::Info);
    // Later rules overwrite earlier ones: the last severity wins.
    let mut sev2 = rule(RuleAction::SetSeverity, "dedup_key", Op::Eq, "disk");
    sev2.severity = Some(Severity::Warning);
    let mut route = rule(RuleAction::Route, "dedup_key", Op::Eq, "db");
    route.service_id = Some(target.id);
    let suppress = rule(RuleAction::Suppress, "dedup_key", Op::Contains, "noisy");
    db.store
        .set_service_rules(&scope, svc.id, &[tag, sev, sev2, route, suppress], "ann")
        .await
        .expect("save");

    let disk = send(&db, &svc, None, alert("disk", CRIT)).await;
    let inc = db
        .store
        .get_incident(&scope, disk.incident_id.expect("id"))
        .await
        .expect("get");
    assert_eq!(inc.severity, Severity::Warning);
    assert_eq!(inc.tags.get("what").map(String::as_str), Some("disk"));
    assert_eq!(inc.tags.get("host").map(String::as_str), Some("web-1"));

    let routed = send(&db, &svc, Some(&target), alert("db", CRIT)).await;
    let inc = db
        .store
        .get_incident(&scope, routed.incident_id.expect("id"))
        .await
        .expect("get");
    assert_eq!(inc.service_id, target.id, "routed to the target service");
    let timeline = whole_timeline(&db.store, &scope, inc.id)
        .await
        .expect("timeline");
    assert!(timeline[0]
        .text
        .as_deref()
        .unwrap_or_default()
        .contains("routed here from service api"));
    // The recovery is routed too, so it resolves the routed incident.
    let resolved = send(&db, &svc, Some(&target), alert("db", Action::Resolve)).await;
    assert_eq!(
        (resolved.decision, resolved.incident_id),
        (Decision::Resolve, Some(inc.id))
    );

    let noisy = send(&db, &svc, None, alert("noisy-1", CRIT)).await;
    assert_eq!(noisy.decision, Decision::Suppress(Severity::Critical));
    let inc = db
        .store
        .get_incident(&scope, noisy.incident_id.expect("id"))
        .await
        .expect("get");
    assert_eq!(inc.status, IncidentStatus::Suppressed);
    let timeline = whole_timeline(&db.store, &scope, inc.id)
        .await
        .expect("timeline");
    assert!(timeline[0]
        .text
        .as_deref()
        .unwrap_or_default()
        .contains("rule 4 (suppress)"));
}

pub async fn a_passed_dedup_window_replaces_the_open_incident(db: Db) {
    let (team, svc) = team_and_service(&db.store, "dedup").await;
    let scope = Scope::Teams(vec![team]);
    let first = db
        .store
        .ingest(&svc, alert("cpu", CRIT))
        .await
        .expect("open");
    let old = first.incident_id.expect("id");
    // Within the window: a join.
    let within = tocsin_core::noise::screen::Noise {
        dedup_window_minutes: Some(60),
        ..Default::default()
    };
    let joined = db
        .store
        .ingest_screened(&svc, alert("cpu", CRIT), within)
        .await
        .expect("join");
    assert_eq!(joined.incident_id, Some(old));
    // Past it (a window of zero minutes, which only the store test can ask for): the old
    // incident is resolved and a new one opens, in one transaction.
    let past = tocsin_core::noise::screen::Noise {
        dedup_window_minutes: Some(0),
        ..Default::default()
    };
    let replaced = db
        .store
        .ingest_screened(&svc, alert("cpu", CRIT), past)
        .await
        .expect("replace");
    assert_eq!(replaced.decision, Decision::Open(Severity::Critical));
    assert_ne!(replaced.incident_id, Some(old));
    let old_inc = db.store.get_incident(&scope, old).await.expect("old");
    assert_eq!(old_inc.status, IncidentStatus::Resolved);
    assert_eq!(old_inc.resolved_by.as_deref(), Some("dedup_window"));
    let timeline = whole_timeline(&db.store, &scope, old)
        .await
        .expect("timeline");
    let note = timeline
        .iter()
        .find(|e| e.kind == EventKind::Note)
        .expect("a note");
    assert_eq!(
        note.text.as_deref(),
        Some("replaced by #2: dedup window of 0 minutes passed")
    );
    assert_eq!(note.actor.as_deref(), Some("noise"));
}
