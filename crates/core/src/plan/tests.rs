//! The in-batch bookkeeping, alert by alert, and the property that makes batching safe: a
//! batch planned at once writes what planning its alerts one by one would have. (That the
//! planned rows land in each database as planned is the store conformance suite's job.)

use std::collections::HashMap;

use chrono::Utc;
use proptest::prelude::*;

use super::*;
use crate::{Action, Severity, SourceKind};

pub(super) fn service(team: TeamId) -> Service {
    Service {
        id: ServiceId::new(),
        team_id: team,
        name: "api".into(),
        api_key: "k".into(),
        created_at: Utc::now(),
        escalation_policy_id: None,
    }
}

pub(super) fn alert(key: &str, action: Action, title: &str) -> AlertEvent {
    AlertEvent {
        source: SourceKind::Kapacitor,
        dedup_key: key.into(),
        action,
        level: "CRITICAL".into(),
        title: title.into(),
        description: String::new(),
        tags: Default::default(),
        occurred_at: None,
        raw: "{}".into(),
    }
}

pub(super) const CRIT: Action = Action::Trigger(Severity::Critical);
const WARN: Action = Action::Trigger(Severity::Warning);

#[test]
fn one_batch_opens_joins_resolves_and_opens_again() {
    let team = TeamId::new();
    let svc = service(team);
    let evs = [
        alert("cpu", CRIT, "a"),
        alert("cpu", WARN, "b"),
        alert("cpu", Action::Resolve, "c"),
        alert("cpu", Action::Resolve, "d"),
        alert("cpu", CRIT, "e"),
        alert("cpu", Action::Test, "f"),
    ];
    let items: Vec<_> = evs.iter().map(|e| (&svc, e)).collect();
    let at = Utc::now();
    let p = plan(&items, HashMap::new(), HashMap::from([(team, 41)]), at).expect("plan");
    let decisions: Vec<Decision> = p.outcomes.iter().map(|o| o.decision).collect();
    assert_eq!(
        decisions,
        [
            Decision::Open(Severity::Critical),
            Decision::Join(Severity::Warning),
            Decision::Resolve,
            Decision::Ignore,
            Decision::Open(Severity::Critical),
            Decision::Test,
        ]
    );
    let numbers: Vec<Option<i64>> = p.outcomes.iter().map(|o| o.incident_number).collect();
    assert_eq!(
        numbers,
        [Some(42), Some(42), Some(42), None, Some(43), None]
    );
    assert_eq!(p.outcomes[0].incident_id, p.outcomes[2].incident_id);
    assert_ne!(p.outcomes[0].incident_id, p.outcomes[4].incident_id);
    assert_eq!(p.inserts.len(), 2);
    let first = &p.inserts[0];
    assert_eq!(
        (
            first.status,
            first.event_count,
            first.severity,
            first.title.as_str()
        ),
        (IncidentStatus::Resolved, 2, "warning", "b")
    );
    assert_eq!(
        (first.resolved_by, first.resolved_at),
        (Some("kapacitor"), Some(at))
    );
    assert_eq!(p.inserts[1].status, IncidentStatus::Triggered);
    assert!(p.updates.is_empty());
    assert_eq!(
        p.counters[&team],
        CounterBump {
            opened: 2,
            after: 43
        }
    );
    assert_eq!(p.events.len(), 6);
    assert_eq!(p.events[3].incident_id, None);
    let activity = &p.sources[&(svc.id, "kapacitor")];
    assert_eq!(
        (
            activity.last_incident_at,
            activity.last_event_at,
            activity.last_test_at
        ),
        (Some(at), at, Some(at))
    );
}

#[test]
fn an_open_incident_is_joined_resolved_then_replaced() {
    let team = TeamId::new();
    let (a, b) = (service(team), service(team));
    let evs = [
        alert("disk", WARN, "x"),
        alert("disk", Action::Resolve, "y"),
        alert("disk", CRIT, "z"),
    ];
    let mut items: Vec<_> = evs.iter().map(|e| (&a, e)).collect();
    // The same key on another service of the team is another incident.
    items.push((&b, &evs[2]));
    let old = IncidentId::new();
    let open = HashMap::from([(
        (a.id, "disk".to_owned()),
        OpenIncident {
            id: old,
            status: IncidentStatus::Acknowledged,
            number: 7,
            opened_at: Utc::now(),
        },
    )]);
    let p = plan(&items, open, HashMap::from([(team, 9)]), Utc::now()).expect("plan");
    let numbers: Vec<Option<i64>> = p.outcomes.iter().map(|o| o.incident_number).collect();
    assert_eq!(numbers, [Some(7), Some(7), Some(10), Some(11)]);
    assert_eq!(p.updates.len(), 1);
    let u = &p.updates[0];
    assert_eq!((u.id, u.joins), (old, 1));
    assert_eq!(
        u.latest.as_ref().map(|l| (l.severity, l.title.as_str())),
        Some(("warning", "x"))
    );
    assert_eq!(
        (u.status, u.resolved_by),
        (Some(IncidentStatus::Resolved), Some("kapacitor"))
    );
    assert_eq!(p.inserts.len(), 2);
    assert_eq!(
        p.counters[&team],
        CounterBump {
            opened: 2,
            after: 11
        }
    );
    assert_eq!(p.sources.len(), 2, "one activity row per service");
    assert!(p.sources.values().all(|s| s.last_incident_at.is_some()));
}

#[test]
fn an_unread_team_is_refused() {
    let svc = service(TeamId::new());
    let ev = alert("cpu", CRIT, "a");
    assert_eq!(
        plan(&[(&svc, &ev)], HashMap::new(), HashMap::new(), Utc::now()).err(),
        Some(MissingTeam(svc.team_id))
    );
}

/// An incident row of the model: status, severity, title, event count, resolved by.
type Row = (
    IncidentStatus,
    &'static str,
    String,
    i64,
    Option<&'static str>,
);

/// A model database that applies plans the way both stores' statements do.
#[derive(Default, Debug, PartialEq)]
struct Db {
    counters: BTreeMap<TeamId, i64>,
    /// By (team, number): status, severity, title, event count, resolved by.
    incidents: BTreeMap<(TeamId, i64), Row>,
    /// Per event in order: kind, the incident's number.
    events: Vec<(&'static str, Option<i64>)>,
    /// Per (service, source): whether stamped with an incident and a test.
    sources: BTreeMap<(ServiceId, &'static str), (bool, bool)>,
    ids: HashMap<IncidentId, (TeamId, i64)>,
    keys: HashMap<IncidentId, Key>,
}

impl Db {
    fn inputs(
        &self, items: &[(&Service, &AlertEvent)],
    ) -> (HashMap<Key, OpenIncident>, HashMap<TeamId, i64>) {
        let mut open = HashMap::new();
        for (id, key) in &self.keys {
            let (team, number) = self.ids[id];
            let status = self.incidents[&(team, number)].0;
            if status.is_open()
                && items
                    .iter()
                    .any(|(s, e)| (s.id, e.dedup_key.clone()) == *key)
            {
                open.insert(
                    key.clone(),
                    OpenIncident {
                        id: *id,
                        status,
                        number,
                        opened_at: Utc::now(),
                    },
                );
            }
        }
        let counters = items
            .iter()
            .map(|(s, _)| {
                (
                    s.team_id,
                    self.counters.get(&s.team_id).copied().unwrap_or(0),
                )
            })
            .collect();
        (open, counters)
    }

    fn write(&mut self, p: &Plan) {
        for (team, bump) in &p.counters {
            let c = self.counters.entry(*team).or_default();
            *c += bump.opened;
            assert_eq!(*c, bump.after);
        }
        for u in &p.updates {
            let row = self
                .incidents
                .get_mut(&self.ids[&u.id])
                .expect("updated row");
            row.3 += u.joins;
            if let Some(l) = &u.latest {
                (row.1, row.2) = (l.severity, l.title.clone());
            }
            if let Some(s) = u.status {
                row.0 = s;
            }
            row.4 = u.resolved_by.or(row.4);
        }
        for n in &p.inserts {
            self.ids.insert(n.id, (n.team_id, n.number));
            self.keys.insert(n.id, (n.service_id, n.dedup_key.clone()));
            let row = (
                n.status,
                n.severity,
                n.title.clone(),
                n.event_count,
                n.resolved_by,
            );
            assert!(
                self.incidents.insert((n.team_id, n.number), row).is_none(),
                "a number given twice"
            );
        }
        for e in &p.events {
            self.events
                .push((e.kind, e.incident_id.map(|i| self.ids[&i].1)));
        }
        for (k, s) in &p.sources {
            let row = self.sources.entry(*k).or_default();
            row.0 |= s.last_incident_at.is_some();
            row.1 |= s.last_test_at.is_some();
        }
    }

    fn apply(&mut self, items: &[(&Service, &AlertEvent)]) -> Vec<(Decision, Option<i64>)> {
        let (open, counters) = self.inputs(items);
        let p = plan(items, open, counters, Utc::now()).expect("plan");
        self.write(&p);
        p.outcomes
            .iter()
            .map(|o| (o.decision, o.incident_number))
            .collect()
    }
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::Trigger(Severity::Info)),
        Just(Action::Trigger(Severity::Warning)),
        Just(Action::Trigger(Severity::Critical)),
        Just(Action::Resolve),
        Just(Action::Acknowledge),
        Just(Action::Test),
    ]
}

proptest! {
    /// Over two teams, three services and a few keys, any alerts cut into any batches leave
    /// the database as applying them one by one does, and answer every alert alike.
    #[test]
    fn a_batch_writes_what_one_by_one_writes(
        steps in proptest::collection::vec((0usize..3, 0u8..3, action()), 0..60),
        cuts in proptest::collection::vec(1usize..8, 1..20),
    ) {
        let (t1, t2) = (TeamId::new(), TeamId::new());
        let services = [service(t1), service(t1), service(t2)];
        let evs: Vec<(usize, AlertEvent)> = steps
            .iter()
            .enumerate()
            .map(|(i, (s, k, a))| (*s, alert(&format!("k{k}"), *a, &format!("t{i}"))))
            .collect();
        let items: Vec<(&Service, &AlertEvent)> = evs.iter().map(|(s, e)| (&services[*s], e)).collect();

        let mut one_by_one = Db::default();
        let mut answers = Vec::new();
        for item in &items {
            answers.extend(one_by_one.apply(std::slice::from_ref(item)));
        }
        let mut batched = Db::default();
        let mut batch_answers = Vec::new();
        let mut rest = items.as_slice();
        for cut in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (batch, tail) = rest.split_at((*cut).min(rest.len()));
            batch_answers.extend(batched.apply(batch));
            rest = tail;
        }
        prop_assert_eq!(&answers, &batch_answers);
        prop_assert_eq!(&one_by_one.counters, &batched.counters);
        prop_assert_eq!(&one_by_one.incidents, &batched.incidents);
        prop_assert_eq!(&one_by_one.events, &batched.events);
        prop_assert_eq!(&one_by_one.sources, &batched.sources);
    }
}
