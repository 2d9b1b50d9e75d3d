//! What the noise step's decisions do to the rows: suppressed incidents, their repeats, and
//! the dedup window's replacement.

use std::collections::HashMap;

use chrono::{Duration, Utc};

use super::tests::{alert, service, CRIT};
use super::*;
use crate::noise::screen::Suppression;
use crate::Action;

fn suppressed(cause: &str, since: Option<DateTime<Utc>>) -> Noise {
    Noise {
        suppressed: Some(Suppression {
            cause: cause.into(),
            since,
            note: format!("suppressed by {cause}"),
        }),
        ..Noise::default()
    }
}

#[test]
fn a_suppressed_alert_opens_a_suppressed_incident_that_repeats_join_and_nothing_pages() {
    let team = TeamId::new();
    let svc = service(team);
    let noise = suppressed("window:w", None);
    let evs = [
        alert("cpu", CRIT, "a"),
        alert("cpu", CRIT, "b"),
        alert("cpu", Action::Resolve, "c"),
    ];
    let items: Vec<Item<'_>> = evs.iter().map(|e| (&svc, e, &noise)).collect();
    let p = plan_screened(
        &items,
        HashMap::new(),
        HashMap::new(),
        HashMap::from([(team, 0)]),
        Utc::now(),
    )
    .expect("plan");
    let d: Vec<Decision> = p.outcomes.iter().map(|o| o.decision).collect();
    assert_eq!(d[..2], [Decision::Suppress(crate::Severity::Critical); 2]);
    // A recovery with nothing open changes nothing, as today.
    assert_eq!(d[2], Decision::Ignore);
    assert_eq!(p.inserts.len(), 1);
    assert_eq!(p.inserts[0].status, IncidentStatus::Suppressed);
    assert_eq!(p.inserts[0].event_count, 2);
    assert_eq!(p.inserts[0].suppressed_by.as_deref(), Some("window:w"));
    assert!(
        p.escalations.is_empty(),
        "a suppressed incident pages nobody"
    );
    assert_eq!(p.events[0].text.as_deref(), Some("suppressed by window:w"));
}

#[test]
fn a_repeat_joins_the_stored_suppressed_incident_of_the_same_cause_and_occurrence_only() {
    let team = TeamId::new();
    let svc = service(team);
    let now = Utc::now();
    let old = SuppressedIncident {
        id: IncidentId::new(),
        number: 3,
        cause: "window:w".into(),
        opened_at: now - Duration::minutes(30),
    };
    let key = (svc.id, "cpu".to_owned());
    let ev = alert("cpu", CRIT, "a");
    let run = |noise: &Noise| {
        plan_screened(
            &[(&svc, &ev, noise)],
            HashMap::new(),
            HashMap::from([(key.clone(), old.clone())]),
            HashMap::from([(team, 3)]),
            now,
        )
        .expect("plan")
    };
    let same = run(&suppressed("window:w", Some(now - Duration::hours(1))));
    assert_eq!(same.outcomes[0].incident_number, Some(3));
    assert_eq!(same.updates.len(), 1);
    assert!(same.inserts.is_empty());
    // A later occurrence of the window, or another cause: a new suppressed incident.
    let later = run(&suppressed("window:w", Some(now - Duration::minutes(5))));
    assert_eq!(later.outcomes[0].incident_number, Some(4));
    let other = run(&suppressed("rules", None));
    assert_eq!(other.outcomes[0].incident_number, Some(4));
}

#[test]
fn a_suppressed_repeat_joins_an_incident_opened_before_the_window() {
    let team = TeamId::new();
    let svc = service(team);
    let open = OpenIncident {
        id: IncidentId::new(),
        status: IncidentStatus::Triggered,
        number: 8,
        opened_at: Utc::now(),
    };
    let ev = alert("cpu", CRIT, "a");
    let noise = suppressed("rules", None);
    let p = plan_screened(
        &[(&svc, &ev, &noise)],
        HashMap::from([((svc.id, "cpu".to_owned()), open)]),
        HashMap::new(),
        HashMap::from([(team, 8)]),
        Utc::now(),
    )
    .expect("plan");
    assert_eq!(
        p.outcomes[0].decision,
        Decision::Join(crate::Severity::Critical)
    );
    assert_eq!(p.outcomes[0].incident_number, Some(8));
}

#[test]
fn a_passed_dedup_window_resolves_the_old_incident_and_opens_a_new_one() {
    let team = TeamId::new();
    let svc = service(team);
    let now = Utc::now();
    let old = IncidentId::new();
    let open = |age: i64| {
        HashMap::from([(
            (svc.id, "cpu".to_owned()),
            OpenIncident {
                id: old,
                status: IncidentStatus::Triggered,
                number: 8,
                opened_at: now - Duration::minutes(age),
            },
        )])
    };
    let ev = alert("cpu", CRIT, "a");
    let noise = Noise {
        dedup_window_minutes: Some(10),
        ..Noise::default()
    };
    let within = plan_screened(
        &[(&svc, &ev, &noise)],
        open(5),
        HashMap::new(),
        HashMap::from([(team, 8)]),
        now,
    )
    .expect("plan");
    assert_eq!(
        within.outcomes[0].decision,
        Decision::Join(crate::Severity::Critical)
    );
    let past = plan_screened(
        &[(&svc, &ev, &noise)],
        open(11),
        HashMap::new(),
        HashMap::from([(team, 8)]),
        now,
    )
    .expect("plan");
    assert_eq!(past.outcomes[0].incident_number, Some(9));
    assert_eq!(past.updates[0].status, Some(IncidentStatus::Resolved));
    assert_eq!(past.updates[0].resolved_by, Some(DEDUP_WINDOW));
    let note = past
        .events
        .iter()
        .find(|e| e.incident_id == Some(old))
        .expect("note");
    assert_eq!(
        note.text.as_deref(),
        Some("replaced by #9: dedup window of 10 minutes passed")
    );
    // The old one stops paging, the new one starts.
    assert_eq!(past.escalations.len(), 2);
}
