//! What people and sources do to an incident (acknowledge, resolve, note) and what that does
//! to its paging row, decided by the plan.

use std::collections::HashMap;

use chrono::Utc;

use super::tests::{alert, service, CRIT};
use super::*;
use crate::{Action, Severity, SourceKind};

#[test]
fn people_acknowledge_resolve_and_note_by_the_rules() {
    let team = TeamId::new();
    let svc = service(team);
    let ev = alert("cpu", CRIT, "a");
    let at = Utc::now();
    let p = plan(
        &[(&svc, &ev)],
        HashMap::new(),
        HashMap::from([(team, 0)]),
        at,
    )
    .expect("plan");
    let n = &p.inserts[0];
    let mut inc = crate::model::Incident {
        id: n.id,
        number: n.number,
        service_id: n.service_id,
        team_id: n.team_id,
        alert_source: SourceKind::Kapacitor,
        dedup_key: n.dedup_key.clone(),
        status: n.status,
        severity: Severity::Critical,
        title: n.title.clone(),
        description: n.description.clone(),
        tags: Default::default(),
        event_count: 1,
        created_at: at,
        updated_at: at,
        acknowledged_at: None,
        acknowledged_by: None,
        resolved_at: None,
        resolved_by: None,
    };
    let ack = plan_human(&inc, crate::HumanAction::Acknowledge, "ann", at)
        .expect("allowed")
        .expect("a change");
    assert_eq!(
        (ack.status, ack.acknowledged_by.as_deref(), ack.resolved_at),
        (IncidentStatus::Acknowledged, Some("ann"), None)
    );
    assert_eq!(
        (ack.event.kind, ack.event.actor.as_deref()),
        (EventKind::Acknowledged, Some("ann"))
    );
    inc.status = IncidentStatus::Acknowledged;
    assert_eq!(
        plan_human(&inc, crate::HumanAction::Acknowledge, "ben", at),
        Ok(None)
    );
    let res = plan_human(&inc, crate::HumanAction::Resolve, "ben", at)
        .expect("allowed")
        .expect("a change");
    assert_eq!(
        (
            res.status,
            res.resolved_by.as_deref(),
            res.acknowledged_at,
            res.event.kind
        ),
        (
            IncidentStatus::Resolved,
            Some("ben"),
            None,
            EventKind::Resolved
        )
    );
    inc.status = IncidentStatus::Resolved;
    assert!(plan_human(&inc, crate::HumanAction::Resolve, "ben", at).is_err());
    let note = note(&inc, "cy", "looked", at);
    assert_eq!(
        (note.kind, note.text.as_deref(), note.incident_id),
        (EventKind::Note, Some("looked"), Some(inc.id))
    );
}

#[test]
fn paging_starts_for_incidents_left_open_and_stops_for_those_resolved() {
    use crate::paging::escalation::Phase;
    let team = TeamId::new();
    let svc = service(team);
    let existing = IncidentId::new();
    let open = HashMap::from([(
        (svc.id, "disk".to_owned()),
        OpenIncident {
            id: existing,
            status: IncidentStatus::Acknowledged,
            number: 7,
            opened_at: Utc::now(),
        },
    )]);
    let evs = [
        // Opened and resolved in one batch: over before anyone could act, pages nobody.
        alert("cpu", CRIT, "a"),
        alert("cpu", Action::Resolve, "b"),
        // Opened and left open: its policy starts.
        alert("mem", CRIT, "c"),
        // An existing incident resolved by its source: a notice to whoever was paged.
        alert("disk", Action::Resolve, "d"),
    ];
    let items: Vec<_> = evs.iter().map(|e| (&svc, e)).collect();
    let at = Utc::now();
    let p = plan(&items, open, HashMap::from([(team, 0)]), at).expect("plan");
    let mem = p.outcomes[2].incident_id.expect("mem opened");
    assert_eq!(
        p.escalations,
        vec![
            Escalate {
                incident: existing,
                service: None,
                write: RowWrite::Rewrite {
                    phase: Phase::Resolved,
                    at
                }
            },
            Escalate {
                incident: mem,
                service: Some(svc.id),
                write: RowWrite::Insert {
                    phase: Phase::Start,
                    at
                }
            },
        ]
    );
}

/// The source's acknowledge (PagerDuty's): the open incident becomes acknowledged, stamped by
/// the source, and its paging row is rewritten exactly as a person's acknowledge rewrites it;
/// a second acknowledge only adds its event; one with nothing open is ignored.
#[test]
fn a_source_acknowledges_as_a_person_does() {
    use crate::paging::effects::{on_change, Change};
    let team = TeamId::new();
    let svc = service(team);
    let at = Utc::now();
    let ack = alert("cpu", Action::Acknowledge, "ack");
    let nothing = plan(
        &[(&svc, &ack)],
        HashMap::new(),
        HashMap::from([(team, 0)]),
        at,
    )
    .expect("plan");
    assert_eq!(nothing.outcomes[0].decision, Decision::Ignore);
    assert!(nothing.updates.is_empty() && nothing.escalations.is_empty());

    let inc = IncidentId::new();
    let open = |status| {
        HashMap::from([(
            (svc.id, "cpu".to_owned()),
            OpenIncident {
                id: inc,
                status,
                number: 7,
                opened_at: Utc::now(),
            },
        )])
    };
    let p = plan(
        &[(&svc, &ack)],
        open(IncidentStatus::Triggered),
        HashMap::from([(team, 7)]),
        at,
    )
    .expect("plan");
    assert_eq!(p.outcomes[0].decision, Decision::Acknowledge);
    assert_eq!(p.outcomes[0].incident_id, Some(inc));
    assert_eq!(p.events[0].kind, "acknowledged");
    let u = &p.updates[0];
    assert_eq!(
        (u.status, u.acknowledged_at, u.acknowledged_by, u.joins),
        (
            Some(IncidentStatus::Acknowledged),
            Some(at),
            Some("kapacitor"),
            0
        )
    );
    // The same write a person's acknowledge makes (plan_human's `escalation`).
    assert_eq!(p.escalations.len(), 1);
    assert_eq!(p.escalations[0].write, on_change(Change::Acknowledged, at));

    let again = plan(
        &[(&svc, &ack)],
        open(IncidentStatus::Acknowledged),
        HashMap::from([(team, 7)]),
        at,
    )
    .expect("plan");
    assert_eq!(again.outcomes[0].decision, Decision::Acknowledge);
    assert_eq!(again.events[0].incident_id, Some(inc));
    assert!(again.updates.is_empty(), "{:?}", again.updates);
    assert!(again.escalations.is_empty());

    // Opened and acknowledged in one batch: its paging starts, then stops as acknowledged.
    let crit = alert("new", CRIT, "x");
    let ack_new = alert("new", Action::Acknowledge, "y");
    let p = plan(
        &[(&svc, &crit), (&svc, &ack_new)],
        HashMap::new(),
        HashMap::from([(team, 0)]),
        at,
    )
    .expect("plan");
    assert_eq!(p.inserts[0].status, IncidentStatus::Acknowledged);
    assert_eq!(p.inserts[0].acknowledged_by, Some("kapacitor"));
    let writes: Vec<_> = p.escalations.iter().map(|e| e.write).collect();
    assert_eq!(
        writes,
        [
            on_change(Change::Opened, at),
            on_change(Change::Acknowledged, at)
        ]
    );
}
