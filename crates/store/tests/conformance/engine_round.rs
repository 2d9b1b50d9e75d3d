//! One engine round in one call (`advance_and_claim`): the step that fell due is carried out
//! and the deliveries it planned are claimed in the same round, once.

use chrono::{Duration, Utc};
use tocsin_core::model::Scope;
use tocsin_core::paging::delivery::{DeliveryStatus, LEASE};
use tocsin_core::paging::policy::{Repeat, Target};

use crate::accounts::Db;
use crate::cases::team_and_service;
use crate::engine::{assign, at_once, open, pager};
use tocsin_core::paging::records::MethodKind;

pub async fn one_round_carries_out_a_step_and_claims_what_it_planned(db: Db) {
    let (team, svc) = team_and_service(&db.store, "round").await;
    let (alice, _) = pager(&db, "alice").await;
    let rules = at_once(vec![Target::User { id: alice }], Repeat::Times(0), None);
    assign(&db, team, &svc, "at once", &rules).await;
    let inc = open(&db, &svc, "disk").await;

    let now = Utc::now() + Duration::seconds(1);
    let round = db
        .store
        .advance_and_claim(now, "node-a", 64)
        .await
        .expect("round");
    assert_eq!(round.fired, 1, "the incident's first step");
    assert_eq!(round.claimed.len(), 1, "its one delivery, claimed at once");
    // Next due: the claim's lease running out (the policy has nothing more to do).
    let lease_end = round
        .next_due
        .expect("the held delivery is due again at its lease's end");
    assert!(
        (lease_end - (now + LEASE)).num_milliseconds().abs() <= 1,
        "{lease_end} against {}",
        now + LEASE
    );
    let c = &round.claimed[0];
    assert_eq!((c.incident.id, c.resent), (inc, false));
    assert_eq!(
        c.destination.as_ref().map(|d| (d.kind, d.target.as_str())),
        Some((MethodKind::Webhook, "http://127.0.0.1:9/hook"))
    );
    let list = db
        .store
        .incident_notifications(&Scope::All, inc)
        .await
        .expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].id, list[0].status),
        (c.id, DeliveryStatus::Unknown)
    );

    // A second round finds nothing: the step ran once and its delivery is held.
    let again = db
        .store
        .advance_and_claim(now, "node-b", 64)
        .await
        .expect("second round");
    assert_eq!((again.fired, again.claimed.len()), (0, 0));
    assert_eq!(again.next_due, round.next_due);
}
