//! What every backend must do for the paging engine: a policy started in the transaction that
//! opened the incident, steps carried out once each however often the engine runs, deliveries
//! claimed under a lease by one sender at a time, attempts recorded only by the claim holder,
//! and notices to everyone paged when the incident is acknowledged or resolved.

use chrono::{Duration, Utc};
use tocsin_core::model::Service;
use tocsin_core::model::{EventKind, Scope};
use tocsin_core::paging::delivery::{after_attempt, Attempt, DeliveryStatus, LEASE};
use tocsin_core::paging::escalation::NotificationKind;
use tocsin_core::paging::policy::{PolicyRules, Repeat, Step, Target};
use tocsin_core::paging::records::MethodKind;
use tocsin_core::{
    Action, ContactMethodId, EventPageQuery, IncidentId, IncidentStatus, PolicyId, Severity,
    TeamId, UserId,
};
use tocsin_store::paging::NewDestination;

use crate::accounts::{new_user, Db};
use crate::cases::{alert, team_and_service};

const CRIT: Action = Action::Trigger(Severity::Critical);

fn hook(name: &str) -> NewDestination {
    NewDestination {
        kind: MethodKind::Webhook,
        name: name.into(),
        target: "http://127.0.0.1:9/hook".into(),
        signing_secret: Some("s3cret".into()),
    }
}

/// A user with one webhook contact method; returns both ids.
pub(crate) async fn pager(db: &Db, name: &str) -> (UserId, ContactMethodId) {
    let user = db
        .accounts
        .create_user(new_user(name))
        .await
        .expect("user")
        .id;
    let cm = db
        .store
        .create_contact_method(user, hook("pager"))
        .await
        .expect("contact method")
        .id;
    (user, cm)
}

/// One step at once, to `targets`, run once (or as `repeat` says).
pub(crate) fn at_once(
    targets: Vec<Target>, repeat: Repeat, ack_timeout_minutes: Option<u32>,
) -> PolicyRules {
    PolicyRules {
        repeat,
        ack_timeout_minutes,
        steps: vec![Step {
            delay_minutes: 0,
            round_robin: false,
            targets,
        }],
    }
}

/// `rules` as a policy of `team`, run by `svc`.
pub(crate) async fn assign(
    db: &Db, team: TeamId, svc: &Service, name: &str, rules: &PolicyRules,
) -> PolicyId {
    let policy = db
        .store
        .create_policy(&Scope::All, team, name, rules)
        .await
        .expect("policy")
        .id;
    db.store
        .set_service_policy(&Scope::All, svc.id, Some(policy))
        .await
        .expect("assign");
    policy
}

/// A CRITICAL alert for `key` that opens an incident; its id.
pub(crate) async fn open(db: &Db, svc: &Service, key: &str) -> IncidentId {
    db.store
        .ingest(svc, alert(key, CRIT))
        .await
        .expect("ingest")
        .incident_id
        .expect("an incident")
}

/// One engine pass at `at` (64 rows at most): how many rows it ran.
pub(crate) async fn advance(db: &Db, at: chrono::DateTime<Utc>) -> usize {
    db.store
        .advance_escalations(at, 64)
        .await
        .expect("advance escalations")
}

/// The kinds of an incident's notifications, oldest first.
pub(crate) async fn kinds_of(db: &Db, scope: &Scope, inc: IncidentId) -> Vec<NotificationKind> {
    db.store
        .incident_notifications(scope, inc)
        .await
        .expect("list notifications")
        .iter()
        .map(|n| n.kind)
        .collect()
}

pub async fn a_policy_pages_each_step_once_and_notices_everyone_paged(db: Db) {
    let (team, svc) = team_and_service(&db.store, "paged").await;
    let scope = Scope::All;
    let (alice, cm) = pager(&db, "alice").await;
    let chn = db
        .store
        .create_channel(&scope, team, hook("ops"))
        .await
        .expect("channel");
    let rules = PolicyRules {
        repeat: Repeat::Times(0),
        ack_timeout_minutes: None,
        steps: vec![
            Step {
                delay_minutes: 0,
                round_robin: false,
                targets: vec![Target::User { id: alice }],
            },
            Step {
                delay_minutes: 5,
                round_robin: false,
                targets: vec![Target::Channel { id: chn.id }],
            },
        ],
    };
    let policy = db
        .store
        .create_policy(&scope, team, "default", &rules)
        .await
        .expect("policy");

    // A service without a policy: an incident pages nobody, and nothing is due.
    let quiet = open(&db, &svc, "before").await;
    assert_eq!(advance(&db, Utc::now()).await, 0);
    let none = db
        .store
        .incident_notifications(&scope, quiet)
        .await
        .expect("list");
    assert!(none.is_empty());

    db.store
        .set_service_policy(&scope, svc.id, Some(policy.id))
        .await
        .expect("assign");
    let inc = open(&db, &svc, "cpu").await;
    // The start row was written with the incident: something is due now.
    let due = db
        .store
        .next_due()
        .await
        .expect("next due")
        .expect("a due row");
    assert!(due <= Utc::now());

    let now = Utc::now();
    assert_eq!(advance(&db, now).await, 1);
    // Running again at the same instant finds nothing: step 2 waits its 5 minutes.
    assert_eq!(advance(&db, now).await, 0);
    let list = db
        .store
        .incident_notifications(&scope, inc)
        .await
        .expect("list");
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(
        (
            list[0].kind,
            list[0].user_id,
            list[0].contact_method_id,
            list[0].status
        ),
        (
            NotificationKind::Triggered,
            Some(alice),
            Some(cm),
            DeliveryStatus::Pending
        )
    );

    // One claim at a time: a second sender finds nothing while the lease holds.
    let claimed = db
        .store
        .claim_deliveries(now, "node-a", 64)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    let c = &claimed[0];
    assert_eq!(c.incident.id, inc);
    assert_eq!(
        c.destination.as_ref().map(|d| d.signing_secret.clone()),
        Some(Some("s3cret".into()))
    );
    assert!(!c.resent);
    assert!(db
        .store
        .claim_deliveries(now, "node-b", 64)
        .await
        .expect("claim")
        .is_empty());
    // The holder vanishes: after the lease another takes it, marked as resent.
    let later = now + LEASE + Duration::seconds(1);
    let taken = db
        .store
        .claim_deliveries(later, "node-b", 64)
        .await
        .expect("take over");
    assert_eq!(taken.len(), 1);
    assert!(taken[0].resent && taken[0].id == c.id);
    // The first sender's late record is refused; the new holder's is kept.
    let ok = after_attempt(c.attempts, Attempt::Delivered, later);
    assert!(!db
        .store
        .record_attempt(c, &ok, later)
        .await
        .expect("stale record"));
    assert!(db
        .store
        .record_attempt(&taken[0], &ok, later)
        .await
        .expect("record"));
    let list = db
        .store
        .incident_notifications(&scope, inc)
        .await
        .expect("list");
    assert_eq!(
        (list[0].status, list[0].attempts),
        (DeliveryStatus::Sent, 1)
    );

    // Step 2 fires after its delay, to the channel.
    // Found two hours late (the server was down): it fires at once, marked late.
    let step2 = now + Duration::minutes(5) + Duration::hours(2);
    assert_eq!(advance(&db, step2).await, 1);
    let list = db
        .store
        .incident_notifications(&scope, inc)
        .await
        .expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(
        (list[1].kind, list[1].channel_id),
        (NotificationKind::Escalated, Some(chn.id))
    );

    // Resolved by the source: both recipients are told, once.
    db.store
        .ingest(&svc, alert("cpu", Action::Resolve))
        .await
        .expect("resolve");
    let after = step2 + Duration::seconds(1);
    assert_eq!(advance(&db, Utc::now().max(after)).await, 1);
    assert_eq!(advance(&db, Utc::now().max(after)).await, 0);
    let list = db
        .store
        .incident_notifications(&scope, inc)
        .await
        .expect("list");
    let resolved: Vec<_> = list
        .iter()
        .filter(|n| n.kind == NotificationKind::Resolved)
        .collect();
    assert_eq!(resolved.len(), 2, "{list:?}");
    // The row is gone with the incident: nothing more is ever due for it.
    let far = Utc::now() + Duration::days(30);
    assert_eq!(advance(&db, far).await, 0);

    // The timeline says what paging did.
    let page = db
        .store
        .timeline_page(&scope, inc, &EventPageQuery::newest(200))
        .await
        .expect("timeline");
    let paging: Vec<_> = page
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Paging)
        .filter_map(|e| e.text.clone())
        .collect();
    assert!(
        paging
            .iter()
            .any(|t| t.contains("Escalation step 1") && t.contains("alice")),
        "{paging:?}"
    );
    assert!(
        paging
            .iter()
            .any(|t| t.contains("Sending to") && t.contains("again")),
        "{paging:?}"
    );
    assert!(paging.iter().any(|t| t.contains("resolved")), "{paging:?}");
    assert!(
        paging
            .iter()
            .any(|t| t.contains("Escalation step 2") && t.contains("late by 2 h")),
        "{paging:?}"
    );
}

pub async fn acknowledging_stops_escalation_and_people_are_told(db: Db) {
    let (team, svc) = team_and_service(&db.store, "acked").await;
    let scope = Scope::All;
    let (bob, _) = pager(&db, "bob").await;
    let rules = at_once(
        vec![Target::User { id: bob }],
        Repeat::UntilAcknowledged,
        None,
    );
    assign(&db, team, &svc, "p", &rules).await;
    let inc = open(&db, &svc, "disk").await;
    let now = Utc::now();
    assert_eq!(advance(&db, now).await, 1);
    db.store.acknowledge(&scope, inc, "bob").await.expect("ack");
    assert_eq!(advance(&db, Utc::now()).await, 1);
    // Nothing more is due, though the policy loops until acknowledged.
    assert_eq!(advance(&db, Utc::now() + Duration::hours(2)).await, 0);
    let kinds = kinds_of(&db, &scope, inc).await;
    assert_eq!(
        kinds,
        vec![NotificationKind::Triggered, NotificationKind::Acknowledged]
    );
}

/// A source's acknowledge (PagerDuty's `acknowledge` event) is written through the same path
/// as every alert and stops paging exactly as a person's does: one notice to everyone paged,
/// then nothing more though the policy loops until acknowledged. The incident records the
/// source as who acknowledged it; asking again only adds the event.
pub async fn a_source_acknowledge_stops_escalation_as_a_person_does(db: Db) {
    let (team, svc) = team_and_service(&db.store, "source-acked").await;
    let scope = Scope::All;
    let (dora, _) = pager(&db, "dora").await;
    let rules = at_once(
        vec![Target::User { id: dora }],
        Repeat::UntilAcknowledged,
        None,
    );
    assign(&db, team, &svc, "p", &rules).await;
    let inc = open(&db, &svc, "disk").await;
    assert_eq!(advance(&db, Utc::now()).await, 1);
    let mut ack = alert("disk", Action::Acknowledge);
    ack.source = tocsin_core::SourceKind::PagerDuty;
    let got = db.store.ingest(&svc, ack.clone()).await.expect("ack");
    assert_eq!(
        (got.decision, got.incident_id),
        (tocsin_core::Decision::Acknowledge, Some(inc))
    );
    let acked = db.store.get_incident(&scope, inc).await.expect("get");
    assert_eq!(acked.status, IncidentStatus::Acknowledged);
    assert_eq!(acked.acknowledged_by.as_deref(), Some("pagerduty"));
    let at = acked.acknowledged_at.expect("stamped");
    assert_eq!(advance(&db, Utc::now()).await, 1);
    assert_eq!(advance(&db, Utc::now() + Duration::hours(2)).await, 0);
    let kinds = kinds_of(&db, &scope, inc).await;
    assert_eq!(
        kinds,
        vec![NotificationKind::Triggered, NotificationKind::Acknowledged]
    );
    // Again: the event is kept on the incident, nothing else moves.
    let again = db.store.ingest(&svc, ack).await.expect("ack again");
    assert_eq!(again.incident_id, Some(inc));
    let still = db.store.get_incident(&scope, inc).await.expect("get");
    assert_eq!(
        (still.status, still.acknowledged_at),
        (IncidentStatus::Acknowledged, Some(at))
    );
    assert_eq!(still.event_count, acked.event_count);
    let page = db
        .store
        .timeline_page(&scope, inc, &EventPageQuery::newest(200))
        .await
        .expect("timeline");
    let source_acks = page
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Acknowledged && e.source.is_some())
        .count();
    assert_eq!(source_acks, 2);
    assert_eq!(advance(&db, Utc::now()).await, 0);
}

/// Retries under an injected clock: a failed attempt waits its backoff, the retry keeps the
/// delivery (and its id), and five failures in a row give it up as failed.
pub async fn failed_attempts_wait_their_backoff_and_give_up_after_five(db: Db) {
    let (team, svc) = team_and_service(&db.store, "retries").await;
    let scope = Scope::All;
    let (carol, _) = pager(&db, "carol").await;
    let rules = at_once(vec![Target::User { id: carol }], Repeat::Times(0), None);
    assign(&db, team, &svc, "p", &rules).await;
    let inc = open(&db, &svc, "net").await;
    let mut now = Utc::now();
    advance(&db, now).await;
    let mut ids = Vec::new();
    for attempt in 1..=5u32 {
        let claimed = db
            .store
            .claim_deliveries(now, "n", 64)
            .await
            .expect("claim");
        assert_eq!(claimed.len(), 1, "attempt {attempt}");
        ids.push(claimed[0].id);
        let after = after_attempt(
            claimed[0].attempts,
            Attempt::Transient("HTTP 500".into()),
            now,
        );
        assert!(db
            .store
            .record_attempt(&claimed[0], &after, now)
            .await
            .expect("record"));
        // Not before its backoff.
        assert!(db
            .store
            .claim_deliveries(now + Duration::seconds(59), "n", 64)
            .await
            .expect("early")
            .is_empty());
        match after.next_attempt_at {
            Some(t) => now = t,
            None => break,
        }
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one delivery, one id, every attempt");
    let n = &db
        .store
        .incident_notifications(&scope, inc)
        .await
        .expect("list")[0];
    assert_eq!((n.status, n.attempts), (DeliveryStatus::Failed, 5));
    assert!(n.error.as_deref().is_some_and(|e| e.contains("500")));
    assert!(db
        .store
        .claim_deliveries(now + Duration::days(1), "n", 64)
        .await
        .expect("none")
        .is_empty());
}

/// An acknowledgement that times out triggers the incident again and runs the policy anew
/// (a new round, so it pages again though step 1 already paged); round robin takes turns
/// across incidents.
pub async fn an_ack_timeout_retriggers_and_round_robin_takes_turns(db: Db) {
    let (team, svc) = team_and_service(&db.store, "rr").await;
    let scope = Scope::All;
    let mut users = Vec::new();
    for name in ["dan", "eve"] {
        users.push(pager(&db, name).await.0);
    }
    let targets = users.iter().map(|id| Target::User { id: *id }).collect();
    let mut rules = at_once(targets, Repeat::Times(0), Some(30));
    rules.steps[0].round_robin = true;
    assign(&db, team, &svc, "rr", &rules).await;
    let mut paged = Vec::new();
    let mut incidents = Vec::new();
    for key in ["a", "b"] {
        let inc = open(&db, &svc, key).await;
        advance(&db, Utc::now()).await;
        let list = db
            .store
            .incident_notifications(&scope, inc)
            .await
            .expect("list");
        assert_eq!(list.len(), 1, "round robin pages one target");
        paged.push(list[0].user_id.expect("a user"));
        incidents.push(inc);
    }
    assert_ne!(paged[0], paged[1], "turns were taken: {paged:?}");

    let inc = incidents[0];
    db.store.acknowledge(&scope, inc, "dan").await.expect("ack");
    let now = Utc::now();
    advance(&db, now).await;
    assert_eq!(
        db.store
            .get_incident(&scope, inc)
            .await
            .expect("get")
            .status,
        IncidentStatus::Acknowledged
    );
    // Not resolved 30 minutes later: triggered again, and paged again in a new round.
    let late = now + Duration::minutes(31);
    assert_eq!(advance(&db, late).await, 1);
    let again = db.store.get_incident(&scope, inc).await.expect("get");
    assert_eq!(
        (again.status, again.acknowledged_by),
        (IncidentStatus::Triggered, None)
    );
    advance(&db, late).await;
    let list = db
        .store
        .incident_notifications(&scope, inc)
        .await
        .expect("list");
    let rounds: Vec<_> = list
        .iter()
        .filter(|n| n.kind == NotificationKind::Triggered)
        .map(|n| n.round)
        .collect();
    assert_eq!(rounds, vec![0, 1], "{list:?}");
}

/// A step naming a schedule pages whoever is on call when it fires, and — while the incident
/// waits, still triggered — whoever takes over at the next hand-off (or when an override
/// starts or ends), under the same step, never twice.
pub async fn a_schedule_target_pages_the_on_call_and_whoever_takes_over(db: Db) {
    use tocsin_core::schedule::{Layer, Rotation, RotationUnit, ScheduleRules};
    let (team, svc) = team_and_service(&db.store, "oncall").await;
    let scope = Scope::All;
    let mut users = Vec::new();
    for name in ["ana", "ben", "cy"] {
        users.push(pager(&db, name).await.0);
    }
    let (ana, ben, cy) = (users[0], users[1], users[2]);
    let now = Utc::now();
    // Hourly hand-offs, the first 30 minutes ago: ana now, ben from now + 30 min.
    let start = (now - Duration::minutes(30))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let rules = ScheduleRules {
        time_zone: "UTC".into(),
        layers: vec![Layer {
            name: "primary".into(),
            participants: vec![ana, ben],
            rotation: Rotation {
                unit: RotationUnit::Hour,
                length: 1,
            },
            start,
            restrictions: vec![],
        }],
    };
    let sch = db
        .store
        .create_schedule(&scope, team, "primary", &rules)
        .await
        .expect("schedule");
    let policy = PolicyRules {
        repeat: Repeat::Times(0),
        ack_timeout_minutes: None,
        steps: vec![
            Step {
                delay_minutes: 0,
                round_robin: false,
                targets: vec![Target::Schedule { id: sch.id }],
            },
            Step {
                delay_minutes: 240,
                round_robin: false,
                targets: vec![Target::User { id: cy }],
            },
        ],
    };
    assign(&db, team, &svc, "by schedule", &policy).await;
    let paged = |list: &[tocsin_core::paging::records::Notification]| -> Vec<_> {
        list.iter()
            .map(|n| (n.step, n.user_id.expect("a user")))
            .collect()
    };

    let inc = open(&db, &svc, "q").await;
    assert_eq!(advance(&db, Utc::now()).await, 1);
    let list = db
        .store
        .incident_notifications(&scope, inc)
        .await
        .expect("list");
    assert_eq!(
        paged(&list),
        vec![(0, ana)],
        "whoever is on call when the step fires"
    );
    // Nothing before the hand-off; at it, ben is paged under step 1, once.
    let handoff = now + Duration::minutes(30);
    assert_eq!(advance(&db, handoff - Duration::seconds(1)).await, 0);
    assert_eq!(advance(&db, handoff + Duration::seconds(1)).await, 1);
    assert_eq!(advance(&db, handoff + Duration::seconds(2)).await, 0);
    let list = db
        .store
        .incident_notifications(&scope, inc)
        .await
        .expect("list");
    assert_eq!(paged(&list), vec![(0, ana), (0, ben)]);
    // Acknowledged: the next hand-off pages nobody.
    db.store.acknowledge(&scope, inc, "ben").await.expect("ack");
    let later = handoff + Duration::minutes(61);
    advance(&db, later).await;
    advance(&db, later).await;
    let list = db
        .store
        .incident_notifications(&scope, inc)
        .await
        .expect("list");
    assert!(
        list.iter()
            .filter(|n| n.kind != NotificationKind::Acknowledged)
            .count()
            == 2,
        "no page after the acknowledgement: {list:?}"
    );

    // An override: cy instead of ana for ten minutes, then ana again.
    db.store
        .create_override(
            &scope,
            sch.id,
            cy,
            now - Duration::minutes(1),
            now + Duration::minutes(10),
        )
        .await
        .expect("override");
    let inc = open(&db, &svc, "r").await;
    advance(&db, Utc::now()).await;
    advance(&db, now + Duration::minutes(10) + Duration::seconds(1)).await;
    let list = db
        .store
        .incident_notifications(&scope, inc)
        .await
        .expect("list");
    assert_eq!(
        paged(&list),
        vec![(0, cy), (0, ana)],
        "the override, then the layer"
    );
    let page = db
        .store
        .timeline_page(&scope, inc, &EventPageQuery::newest(50))
        .await
        .expect("timeline");
    assert!(page
        .events
        .iter()
        .any(|e| e.text.as_deref().is_some_and(|t| t.contains("handed over"))));
}
