//! Deciding a whole batch of alerts in Rust before writing any of it.
//!
//! The fast path ([`super::batch`]) reads, in one round trip, every open incident the batch's
//! (service, dedup key) pairs could touch and every team counter it could bump, all locked. With
//! that, [`plan`] runs [`decide`] on each alert in arrival order, keeping the batch's own effects
//! in view: an alert that opens an incident is what the next alert for that key joins or
//! resolves, and a trigger after that resolve opens another one. The result is exactly what
//! applying the alerts one by one would have done, collapsed into a few rows per table so the
//! writes go out as a handful of set-based statements.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use tocsin_core::model::{EventKind, IngestOutcome, Service};
use tocsin_core::{decide, AlertEvent, Decision, EventId, IncidentId, IncidentStatus};

/// An incident that was open when the batch started, as read (locked) from the database.
#[derive(Debug, Clone)]
pub struct OpenIncident {
    pub id: String,
    pub status: IncidentStatus,
    pub number: i64,
}

/// (service id, dedup key): the scope of "one open incident".
pub type Key = (String, String);

/// A new incident row, in its state at the end of the batch.
#[derive(Debug)]
pub struct NewIncident {
    pub id: String,
    pub team_id: String,
    pub service_id: String,
    pub number: i64,
    pub source: &'static str,
    pub dedup_key: String,
    pub status: IncidentStatus,
    pub severity: &'static str,
    pub title: String,
    pub description: String,
    pub tags: String,
    pub event_count: i64,
    pub resolved_by: Option<&'static str>,
}

/// What the batch does to an incident that was already open.
#[derive(Debug, Default)]
pub struct IncidentUpdate {
    pub id: String,
    /// Events joined (each adds one to `event_count`).
    pub joins: i64,
    /// The latest join's severity, title, description and tags; `None` when nothing joined.
    pub latest: Option<(&'static str, String, String, String)>,
    /// Set when an alert resolved it (always the last thing the batch does to it).
    pub resolved_by: Option<&'static str>,
}

/// One timeline row.
#[derive(Debug)]
pub struct EventRow {
    pub id: String,
    pub incident_id: Option<String>,
    pub service_id: String,
    pub kind: &'static str,
    pub source: &'static str,
    pub level: String,
    pub occurred_at: Option<DateTime<Utc>>,
    pub payload: String,
}

/// The `alert_sources` row of one (service, source), once per batch.
#[derive(Debug, Default)]
pub struct SourceActivity {
    pub opened: bool,
    pub tested: bool,
}

#[derive(Debug)]
pub struct Plan {
    /// One per alert, in batch order: what each caller is answered once the batch commits.
    pub outcomes: Vec<IngestOutcome>,
    /// Existing incidents changed, each once.
    pub updates: Vec<IncidentUpdate>,
    /// Incidents opened, in the order their numbers were given.
    pub inserts: Vec<NewIncident>,
    pub events: Vec<EventRow>,
    /// Sorted by (service, source), so concurrent upserts always lock rows in one order.
    pub sources: BTreeMap<(String, &'static str), SourceActivity>,
    /// Team id → (incidents opened, the counter's value afterwards); only teams that opened.
    pub counters: BTreeMap<String, (i64, i64)>,
}

/// A batch the fast path cannot plan; the caller falls back to applying alerts one by one,
/// which reports the problem per alert exactly as before.
#[derive(Debug, thiserror::Error)]
#[error("team {0} of a service in the batch was not locked")]
pub struct MissingTeam(pub String);

/// Where the batch's currently open incident for a key lives.
#[derive(Clone, Copy)]
enum Slot {
    Existing(usize),
    New(usize),
}

/// Decide every alert in order. `open` holds the open incidents of the batch's keys (a key
/// missing has none); `counters` the locked teams' incident counters.
pub fn plan(
    items: &[(&Service, &AlertEvent)],
    open: HashMap<Key, OpenIncident>,
    mut counters: HashMap<String, i64>,
) -> Result<Plan, MissingTeam> {
    let mut existing: Vec<(OpenIncident, IncidentUpdate)> = Vec::new();
    let mut current: HashMap<Key, Slot> = HashMap::with_capacity(open.len());
    for (key, inc) in open {
        current.insert(key, Slot::Existing(existing.len()));
        let update = IncidentUpdate {
            id: inc.id.clone(),
            ..Default::default()
        };
        existing.push((inc, update));
    }
    let mut inserts: Vec<NewIncident> = Vec::new();
    let mut events = Vec::with_capacity(items.len());
    let mut outcomes = Vec::with_capacity(items.len());
    let mut sources: BTreeMap<(String, &'static str), SourceActivity> = BTreeMap::new();
    let mut opened: BTreeMap<String, i64> = BTreeMap::new();

    for (svc, ev) in items {
        let service_id = svc.id.to_string();
        let key: Key = (service_id.clone(), ev.dedup_key.clone());
        let slot = current.get(&key).copied();
        let status = slot.map(|s| match s {
            Slot::Existing(i) => existing[i].0.status,
            Slot::New(i) => inserts[i].status,
        });
        let decision = decide(status, ev.action);
        // A BTreeMap of strings always serialises.
        let tags = || serde_json::to_string(&ev.tags).unwrap_or_else(|_| "{}".into());
        let source = ev.source.slug();

        let target: Option<(String, i64)> = match (decision, slot) {
            (Decision::Open(sev), _) => {
                let team_id = svc.team_id.to_string();
                let counter = counters
                    .get_mut(&team_id)
                    .ok_or_else(|| MissingTeam(team_id.clone()))?;
                *counter += 1;
                let number = *counter;
                *opened.entry(team_id.clone()).or_default() += 1;
                let id = IncidentId::new().to_string();
                current.insert(key, Slot::New(inserts.len()));
                inserts.push(NewIncident {
                    id: id.clone(),
                    team_id,
                    service_id: service_id.clone(),
                    number,
                    source,
                    dedup_key: ev.dedup_key.clone(),
                    status: IncidentStatus::Triggered,
                    severity: sev.as_str(),
                    title: ev.title.clone(),
                    description: ev.description.clone(),
                    tags: tags(),
                    event_count: 1,
                    resolved_by: None,
                });
                Some((id, number))
            }
            (Decision::Join(sev), Some(Slot::Existing(i))) => {
                let (inc, update) = &mut existing[i];
                update.joins += 1;
                update.latest = Some((
                    sev.as_str(),
                    ev.title.clone(),
                    ev.description.clone(),
                    tags(),
                ));
                Some((inc.id.clone(), inc.number))
            }
            (Decision::Join(sev), Some(Slot::New(i))) => {
                let inc = &mut inserts[i];
                inc.event_count += 1;
                inc.severity = sev.as_str();
                inc.title = ev.title.clone();
                inc.description = ev.description.clone();
                inc.tags = tags();
                Some((inc.id.clone(), inc.number))
            }
            (Decision::Resolve, Some(slot)) => {
                current.remove(&key);
                match slot {
                    Slot::Existing(i) => {
                        let (inc, update) = &mut existing[i];
                        update.resolved_by = Some(source);
                        Some((inc.id.clone(), inc.number))
                    }
                    Slot::New(i) => {
                        let inc = &mut inserts[i];
                        inc.status = IncidentStatus::Resolved;
                        inc.resolved_by = Some(source);
                        Some((inc.id.clone(), inc.number))
                    }
                }
            }
            // `decide` only joins or resolves an open incident; without one nothing changes.
            (Decision::Join(_) | Decision::Resolve | Decision::Ignore | Decision::Test, _) => None,
        };

        let activity = sources.entry((service_id.clone(), source)).or_default();
        activity.opened |= matches!(decision, Decision::Open(_));
        activity.tested |= matches!(decision, Decision::Test);

        let event_id = EventId::new();
        let (incident_id, number) = match target {
            Some((id, n)) => (Some(id), Some(n)),
            None => (None, None),
        };
        events.push(EventRow {
            id: event_id.to_string(),
            incident_id: incident_id.clone(),
            service_id,
            kind: EventKind::for_decision(decision).as_str(),
            source,
            level: ev.level.clone(),
            occurred_at: ev.occurred_at,
            payload: ev.raw.clone(),
        });
        outcomes.push(IngestOutcome {
            decision,
            event_id,
            incident_id: incident_id.and_then(|s| s.parse().ok()),
            incident_number: number,
        });
    }

    let counters = opened
        .into_iter()
        .map(|(team, n)| {
            let after = counters.get(&team).copied().unwrap_or_default();
            (team, (n, after))
        })
        .collect();
    let updates = existing
        .into_iter()
        .map(|(_, u)| u)
        .filter(|u| u.joins > 0 || u.resolved_by.is_some())
        .collect();
    Ok(Plan {
        outcomes,
        updates,
        inserts,
        events,
        sources,
        counters,
    })
}

/// The in-batch bookkeeping, alert by alert. (That the planned rows land in PostgreSQL as
/// planned is the conformance suite's job, against a real server.)
#[cfg(test)]
mod tests {
    use super::*;
    use tocsin_core::{Action, ServiceId, Severity, SourceKind, TeamId};

    fn service(team: TeamId) -> Service {
        Service {
            id: ServiceId::new(),
            team_id: team,
            name: "api".into(),
            api_key: "k".into(),
            created_at: Utc::now(),
        }
    }

    fn alert(key: &str, action: Action, title: &str) -> AlertEvent {
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

    const CRIT: Action = Action::Trigger(Severity::Critical);
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
        let counters = HashMap::from([(team.to_string(), 41)]);
        let p = plan(&items, HashMap::new(), counters).expect("plan");
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
        assert_eq!(first.resolved_by, Some("kapacitor"));
        assert_eq!(p.inserts[1].status, IncidentStatus::Triggered);
        assert!(p.updates.is_empty());
        assert_eq!(p.counters.get(&team.to_string()), Some(&(2, 43)));
        assert_eq!(p.events.len(), 6);
        let activity = &p.sources[&(svc.id.to_string(), "kapacitor")];
        assert!(activity.opened && activity.tested);
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
        let open = HashMap::from([(
            (a.id.to_string(), "disk".to_owned()),
            OpenIncident {
                id: "inc_old".into(),
                status: IncidentStatus::Acknowledged,
                number: 7,
            },
        )]);
        let counters = HashMap::from([(team.to_string(), 9)]);
        let p = plan(&items, open, counters).expect("plan");
        let numbers: Vec<Option<i64>> = p.outcomes.iter().map(|o| o.incident_number).collect();
        assert_eq!(numbers, [Some(7), Some(7), Some(10), Some(11)]);
        assert_eq!(p.updates.len(), 1);
        let u = &p.updates[0];
        assert_eq!((u.id.as_str(), u.joins), ("inc_old", 1));
        assert_eq!(
            u.latest.as_ref().map(|l| (l.0, l.1.as_str())),
            Some(("warning", "x"))
        );
        assert_eq!(u.resolved_by, Some("kapacitor"));
        assert_eq!(p.inserts.len(), 2);
        assert_eq!(p.counters.get(&team.to_string()), Some(&(2, 11)));
        assert_eq!(p.sources.len(), 2, "one activity row per service");
    }

    #[test]
    fn an_unlocked_team_is_refused() {
        let svc = service(TeamId::new());
        let ev = alert("cpu", CRIT, "a");
        assert!(plan(&[(&svc, &ev)], HashMap::new(), HashMap::new()).is_err());
    }
}
