//! The engine's batched calls: one round carries out due rows and claims what they planned
//! at once, and attempts recorded together keep the one-claim-holder rule of
//! `record_attempt`, each on its own.

use chrono::Utc;
use tocsin_core::model::Scope;
use tocsin_core::paging::delivery::{after_attempt, Attempt, DeliveryStatus, LEASE};
use tocsin_core::paging::policy::{Repeat, Target};
use tocsin_store::paging::Attempted;

use crate::accounts::Db;
use crate::cases::team_and_service;
use crate::engine::{assign, at_once, open, pager};

pub async fn a_round_claims_what_it_fired_and_attempts_are_recorded_together(db: Db) {
    let (team, svc) = team_and_service(&db.store, "batched").await;
    let (alice, _) = pager(&db, "alice").await;
    let rules = at_once(vec![Target::User { id: alice }], Repeat::Times(0), None);
    assign(&db, team, &svc, "at once", &rules).await;
    let first = open(&db, &svc, "disk").await;
    let second = open(&db, &svc, "cpu").await;

    let now = Utc::now();
    let (fired, claimed) = db
        .store
        .engine_round(now, "node-a", 64)
        .await
        .expect("round");
    assert_eq!(fired, 2, "both incidents' first steps are carried out");
    let mut incidents: Vec<_> = claimed.iter().map(|c| c.incident.id).collect();
    incidents.sort();
    let mut want = vec![first, second];
    want.sort();
    assert_eq!(
        incidents, want,
        "and their pages are claimed in the same round"
    );
    // Nothing is left: a second round finds no row and no delivery.
    let (fired, again) = db
        .store
        .engine_round(now, "node-b", 64)
        .await
        .expect("second round");
    assert_eq!((fired, again.len()), (0, 0));

    // One delivered, one failed: both recorded in one call.
    let at = now + chrono::Duration::seconds(1);
    let done: Vec<Attempted> = claimed
        .iter()
        .zip([Attempt::Delivered, Attempt::Transient("503".into())])
        .map(|(c, a)| Attempted {
            claimed: c.clone(),
            after: after_attempt(c.attempts, a, at),
            at,
        })
        .collect();
    assert_eq!(
        db.store.record_attempts(&done).await.expect("record"),
        vec![true, true]
    );
    let status = |inc| {
        let store = &db.store;
        async move {
            let list = store
                .incident_notifications(&Scope::All, inc)
                .await
                .expect("list");
            assert_eq!(list.len(), 1);
            (list[0].status, list[0].attempts)
        }
    };
    assert_eq!(
        status(done[0].claimed.incident.id).await,
        (DeliveryStatus::Sent, 1)
    );
    assert_eq!(
        status(done[1].claimed.incident.id).await,
        (DeliveryStatus::Pending, 1)
    );

    // The failed one is retried later by another node: a stale record of the old claim in
    // the same batch as a good one is refused alone, and the good one is kept.
    let retry_at = done[1].after.next_attempt_at.expect("a retry") + LEASE;
    let taken = db
        .store
        .claim_deliveries(retry_at, "node-b", 64)
        .await
        .expect("claim the retry");
    assert_eq!(taken.len(), 1);
    let stale = Attempted {
        claimed: done[1].claimed.clone(),
        after: after_attempt(1, Attempt::Delivered, retry_at),
        at: retry_at,
    };
    let fresh = Attempted {
        claimed: taken[0].clone(),
        after: after_attempt(taken[0].attempts, Attempt::Delivered, retry_at),
        at: retry_at,
    };
    assert_eq!(
        db.store
            .record_attempts(&[stale, fresh])
            .await
            .expect("record both"),
        vec![false, true]
    );
    assert_eq!(
        status(done[1].claimed.incident.id).await,
        (DeliveryStatus::Sent, 2)
    );
}
