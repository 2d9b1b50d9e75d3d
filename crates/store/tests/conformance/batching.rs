//! Group commit must be invisible: a burst of concurrent alerts has to come out exactly as if
//! the alerts had been applied one at a time, in the order the store gave them event ids
//! (ids are made, strictly increasing, as each alert is decided). Bursts land many alerts in one
//! batch, so an alert opening an incident, a repeat joining it, an OK resolving it and a new
//! trigger opening the next one all happen inside one transaction; a backend that batched
//! wrongly (stale state within a batch, numbers reused or skipped, rows written in the wrong
//! order) answers some alert differently from the one-by-one replay below.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use tocsin_core::model::{EventKind, IncidentQuery, IngestOutcome, Scope, Service};
use tocsin_core::{
    decide, Action, AlertEvent, Decision, EventId, IncidentId, IncidentStatus, Severity,
};
use tocsin_store::Store;

use crate::cases::alert;
use crate::timeline::whole_timeline;

type S = Arc<dyn Store>;

/// An incident as the one-by-one replay sees it.
struct Expected {
    id: IncidentId,
    team: usize,
    number: i64,
    status: IncidentStatus,
    event_count: i64,
    severity: Severity,
    title: String,
    auto_resolved: bool,
    /// Who acknowledged it: a person, or the source (its first acknowledge; later ones only
    /// add their event).
    acknowledged_by: Option<String>,
    events: Vec<EventId>,
}

/// The one-by-one replay: what each alert must have been answered, given those before it.
#[derive(Default)]
struct Replay {
    open: HashMap<(usize, String), usize>,
    incidents: Vec<Expected>,
    counters: HashMap<usize, i64>,
    seen: HashSet<IncidentId>,
}

impl Replay {
    /// Check one answer against the replay and advance it.
    fn step(&mut self, svc: usize, team: usize, ev: &AlertEvent, got: &IngestOutcome) {
        let key = (svc, ev.dedup_key.clone());
        let open = self.open.get(&key).copied();
        let want = decide(open.map(|i| self.incidents[i].status), ev.action);
        let what = format!("{:?} on service {svc} key {}", ev.action, ev.dedup_key);
        assert_eq!(got.decision, want, "{what}");
        match (want, open) {
            (Decision::Open(sev), _) => {
                let counter = self.counters.entry(team).or_default();
                *counter += 1;
                assert_eq!(got.incident_number, Some(*counter), "{what}: next number");
                let id = got.incident_id.expect("an opened incident has an id");
                assert!(self.seen.insert(id), "{what}: a fresh incident id");
                self.open.insert(key, self.incidents.len());
                self.incidents.push(Expected {
                    id,
                    team,
                    number: *counter,
                    status: IncidentStatus::Triggered,
                    event_count: 1,
                    severity: sev,
                    title: ev.title.clone(),
                    auto_resolved: false,
                    acknowledged_by: None,
                    events: vec![got.event_id],
                });
            }
            (Decision::Join(sev), Some(i)) => {
                let inc = &mut self.incidents[i];
                assert_eq!(
                    (got.incident_id, got.incident_number),
                    (Some(inc.id), Some(inc.number)),
                    "{what}: joins the open incident"
                );
                inc.event_count += 1;
                inc.severity = sev;
                inc.title = ev.title.clone();
                inc.events.push(got.event_id);
            }
            (Decision::Resolve, Some(i)) => {
                let inc = &mut self.incidents[i];
                assert_eq!(
                    (got.incident_id, got.incident_number),
                    (Some(inc.id), Some(inc.number)),
                    "{what}: resolves the open incident"
                );
                inc.status = IncidentStatus::Resolved;
                inc.auto_resolved = true;
                inc.events.push(got.event_id);
                self.open.remove(&key);
            }
            (Decision::Acknowledge, Some(i)) => {
                let inc = &mut self.incidents[i];
                assert_eq!(
                    (got.incident_id, got.incident_number),
                    (Some(inc.id), Some(inc.number)),
                    "{what}: acknowledges the open incident"
                );
                if inc.status == IncidentStatus::Triggered {
                    inc.status = IncidentStatus::Acknowledged;
                    inc.acknowledged_by = Some(ev.source.slug().to_owned());
                }
                inc.events.push(got.event_id);
            }
            _ => {
                assert_eq!(
                    (got.incident_id, got.incident_number),
                    (None, None),
                    "{what}: touches no incident"
                );
            }
        }
    }

    /// The store's rows must be what the replay ends with.
    async fn check_store(&self, s: &S) {
        for inc in &self.incidents {
            let got = s.get_incident(&Scope::All, inc.id).await.expect("get");
            assert_eq!(got.number, inc.number);
            assert_eq!(got.status, inc.status, "incident {}", inc.number);
            assert_eq!(got.event_count, inc.event_count, "incident {}", inc.number);
            assert_eq!(got.severity, inc.severity, "incident {}", inc.number);
            assert_eq!(got.title, inc.title, "incident {}", inc.number);
            assert_eq!(
                got.resolved_by.as_deref(),
                inc.auto_resolved.then_some("kapacitor")
            );
            assert_eq!(got.resolved_at.is_some(), inc.auto_resolved);
            assert_eq!(
                got.acknowledged_by, inc.acknowledged_by,
                "incident {}",
                inc.number
            );
            assert_eq!(got.acknowledged_at.is_some(), inc.acknowledged_by.is_some());
            let alerts: Vec<EventId> = whole_timeline(s, &Scope::All, inc.id)
                .await
                .expect("timeline")
                .iter()
                .filter(|e| match e.kind {
                    EventKind::Opened | EventKind::Joined | EventKind::AutoResolved => true,
                    // The source's acknowledges, not a person's.
                    EventKind::Acknowledged => e.source.is_some(),
                    _ => false,
                })
                .map(|e| e.id)
                .collect();
            assert_eq!(alerts, inc.events, "timeline of incident {}", inc.number);
        }
        let listed = s
            .list_incidents(
                &Scope::All,
                &IncidentQuery {
                    limit: 1000,
                    ..Default::default()
                },
            )
            .await
            .expect("list");
        assert_eq!(
            listed.len(),
            self.incidents.len(),
            "no incident more or less"
        );
        for team in self.counters.keys() {
            let numbers: BTreeSet<i64> = self
                .incidents
                .iter()
                .filter(|i| i.team == *team)
                .map(|i| i.number)
                .collect();
            let count = self.incidents.iter().filter(|i| i.team == *team).count();
            assert_eq!(numbers.len(), count, "numbers unique in team {team}");
            assert_eq!(
                numbers,
                (1..=count as i64).collect::<BTreeSet<_>>(),
                "numbers consecutive in team {team}"
            );
        }
    }
}

/// Send every alert at once; answers in the order the store applied them.
async fn burst(
    s: &S, services: &[Service], alerts: Vec<(usize, AlertEvent)>,
) -> Vec<(usize, AlertEvent, IngestOutcome)> {
    let tasks: Vec<_> = alerts
        .into_iter()
        .map(|(i, ev)| {
            let (s, svc) = (s.clone(), services[i].clone());
            tokio::spawn(async move {
                let got = s.ingest(&svc, ev.clone()).await;
                (i, ev, got)
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        let (i, ev, got) = t.await.expect("task");
        answers.push((i, ev, got.expect("ingest")));
    }
    answers.sort_by_key(|(_, _, o)| o.event_id);
    answers
}

/// A fixed pseudo-random sequence, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n) as usize
    }
}

const ACTIONS: [Action; 12] = [
    Action::Trigger(Severity::Critical),
    Action::Trigger(Severity::Critical),
    Action::Trigger(Severity::Critical),
    Action::Trigger(Severity::Warning),
    Action::Trigger(Severity::Info),
    Action::Resolve,
    Action::Resolve,
    Action::Resolve,
    Action::Test,
    Action::Trigger(Severity::Warning),
    Action::Acknowledge,
    Action::Acknowledge,
];

pub async fn bursts_match_one_by_one_application(s: S) {
    let red = s.create_team("red").await.expect("team");
    let blue = s.create_team("blue").await.expect("team");
    let mut services = Vec::new();
    for (team, name) in [(&red, "r1"), (&red, "r2"), (&blue, "b1")] {
        let svc = s
            .create_service(&Scope::All, team.id, name, &format!("key-of-{name}"))
            .await
            .expect("service");
        services.push(svc);
    }
    let team_of = |i: usize| usize::from(services[i].team_id == blue.id);
    let mut replay = Replay::default();

    // Before any burst: open incidents the bursts find in the database, one acknowledged.
    for (i, key) in [(0, "k0"), (0, "k1"), (2, "k0")] {
        let ev = alert(key, Action::Trigger(Severity::Critical));
        let got = s.ingest(&services[i], ev.clone()).await.expect("open");
        replay.step(i, team_of(i), &ev, &got);
    }
    let acked = replay.incidents[1].id;
    s.acknowledge(&Scope::All, acked, "ann").await.expect("ack");
    replay.incidents[1].status = IncidentStatus::Acknowledged;
    replay.incidents[1].acknowledged_by = Some("ann".to_owned());

    let mut rng = Lcg(7);
    let mut seq = 0;
    for round in 0..3 {
        let mut alerts = Vec::new();
        for _ in 0..200 {
            let i = rng.next(services.len() as u64);
            let key = format!("k{}", rng.next(3));
            let mut ev = alert(&key, ACTIONS[rng.next(ACTIONS.len() as u64)]);
            seq += 1;
            ev.title = format!("{} (#{seq})", ev.title);
            alerts.push((i, ev));
        }
        for (i, ev, got) in burst(&s, &services, alerts).await {
            replay.step(i, team_of(i), &ev, &got);
        }
        replay.check_store(&s).await;
        assert!(
            replay.incidents.len() > 3 * (round + 1),
            "the bursts open incidents"
        );
    }
}

pub async fn many_opens_in_one_burst_number_each_team_from_one(s: S) {
    let mut services = Vec::new();
    let mut teams = Vec::new();
    for t in ["north", "south"] {
        let team = s.create_team(t).await.expect("team");
        for n in ["a", "b"] {
            let svc = s
                .create_service(&Scope::All, team.id, n, &format!("key-{t}-{n}"))
                .await
                .expect("service");
            services.push(svc);
        }
        teams.push(team.id);
    }
    let alerts: Vec<(usize, AlertEvent)> = (0..300)
        .map(|k| {
            (
                k % services.len(),
                alert(&format!("disk-{k}"), Action::Trigger(Severity::Critical)),
            )
        })
        .collect();
    let answers = burst(&s, &services, alerts).await;
    for team in &teams {
        let numbers: Vec<i64> = answers
            .iter()
            .filter(|(i, _, _)| services[*i].team_id == *team)
            .map(|(_, _, o)| {
                assert!(matches!(o.decision, Decision::Open(_)));
                o.incident_number.expect("number")
            })
            .collect();
        assert_eq!(
            numbers,
            (1..=150).collect::<Vec<i64>>(),
            "each team numbers its incidents 1, 2, … in the order they were opened"
        );
    }
}
