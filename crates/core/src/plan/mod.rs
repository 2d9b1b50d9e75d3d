//! What alerts and people do to incidents, as the rows a store writes.
//!
//! [`decide`] says what one alert means; this module turns a whole batch of them (or one)
//! into rows, so that the consequences are written once for every backend: numbering a new
//! incident from its team's counter, counting events, which fields a join overwrites,
//! `resolved_by`, and the alert source's activity stamps. A store reads the inputs (the open
//! incidents of the batch's keys and the team counters, locked), calls [`plan`], and writes
//! what it returns; it has no rule of its own.
//!
//! Alerts are decided in arrival order with the batch's own effects in view: an alert that
//! opens an incident is what the next alert for that key joins or resolves, and a trigger
//! after that resolve opens another one. The result is exactly what applying the alerts one
//! by one would have done (a property test checks it), collapsed into a few rows per table so
//! a backend can write them as set-based statements. People's actions are in [`human`].

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::model::{EventKind, IngestOutcome, Service};
use crate::paging::effects::{on_change, Change, RowWrite};
use crate::{
    decide, decide_human, AlertEvent, Decision, EventId, HumanAction, HumanDecision, IncidentId,
    IncidentStatus, ServiceId, TeamId,
};

pub mod human;
#[cfg(test)]
mod people_tests;
#[cfg(test)]
mod tests;

pub use human::{note, plan_human, HumanChange};

/// An incident that was open when the batch started, as read (locked) from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenIncident {
    pub id: IncidentId,
    pub status: IncidentStatus,
    pub number: i64,
}

/// (service, dedup key): the scope of "one open incident".
pub type Key = (ServiceId, String);

/// A new incident row, in its state at the end of the batch.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIncident {
    pub id: IncidentId,
    pub team_id: TeamId,
    pub service_id: ServiceId,
    pub number: i64,
    pub source: &'static str,
    pub dedup_key: String,
    pub status: IncidentStatus,
    pub severity: &'static str,
    pub title: String,
    pub description: String,
    /// The tags as JSON text.
    pub tags: String,
    pub event_count: i64,
    /// Set when the source acknowledged it within the batch (PagerDuty's `acknowledge`).
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<&'static str>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<&'static str>,
}

/// The fields a join overwrites: the latest alert's.
#[derive(Debug, Clone, PartialEq)]
pub struct Latest {
    pub severity: &'static str,
    pub title: String,
    pub description: String,
    pub tags: String,
}

/// What the batch does to an incident that was already open. A field that is `None` is
/// left as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentUpdate {
    pub id: IncidentId,
    /// Events joined (each adds one to `event_count`).
    pub joins: i64,
    /// The latest join's fields; `None` when nothing joined.
    pub latest: Option<Latest>,
    /// `Acknowledged` when an alert acknowledged it; `Resolved` when an alert resolved it
    /// (always the last thing the batch does to it).
    pub status: Option<IncidentStatus>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<&'static str>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<&'static str>,
}

/// One timeline row of an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub id: EventId,
    pub incident_id: Option<IncidentId>,
    pub service_id: ServiceId,
    pub kind: &'static str,
    pub source: &'static str,
    pub level: String,
    pub occurred_at: Option<DateTime<Utc>>,
    pub payload: String,
}

/// The `alert_sources` stamps of one (service, source), once per batch. A `None` stamp keeps
/// the stored one.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceActivity {
    pub last_incident_at: Option<DateTime<Utc>>,
    pub last_event_at: DateTime<Utc>,
    pub last_test_at: Option<DateTime<Utc>>,
}

/// A team counter's bump: by how much, and the value it must reach (the numbers given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterBump {
    pub opened: i64,
    pub after: i64,
}

/// Everything a batch writes, and what each alert's sender is answered.
#[derive(Debug)]
pub struct Plan {
    /// When it happened: every timestamp the batch writes.
    pub at: DateTime<Utc>,
    /// One per alert, in batch order: what each caller is answered once the batch commits.
    pub outcomes: Vec<IngestOutcome>,
    /// Counters of the teams that opened incidents, sorted by team. Written before anything
    /// else, so concurrent writers lock team rows in one order.
    pub counters: BTreeMap<TeamId, CounterBump>,
    /// Existing incidents changed, each once. Written before the inserts: an incident
    /// resolved here must be closed before the batch opens the next one for its key.
    pub updates: Vec<IncidentUpdate>,
    /// Incidents opened, in the order their numbers were given.
    pub inserts: Vec<NewIncident>,
    pub events: Vec<EventRow>,
    /// Sorted by (service, source), so concurrent upserts always lock rows in one order.
    pub sources: BTreeMap<(ServiceId, &'static str), SourceActivity>,
    /// What paging writes in the same transaction (`paging::effects`): a start for each
    /// incident opened and still open, a resolve notice for each existing one resolved.
    /// Written after the incidents (a row refers to its incident).
    pub escalations: Vec<Escalate>,
}

/// One `escalations` write of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escalate {
    pub incident: IncidentId,
    /// The service whose policy a start takes (a rewrite touches the incident's own row).
    pub service: Option<ServiceId>,
    pub write: RowWrite,
}

/// A batch whose team counter was not read; the caller's read missed a team (a bug, or a
/// team deleted under it), and the alert cannot be numbered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("team {0} of a service in the batch was not locked")]
pub struct MissingTeam(pub TeamId);

/// Where the batch's currently open incident for a key lives.
#[derive(Clone, Copy)]
enum Slot {
    Existing(usize),
    New(usize),
}

/// Decide every alert in order, at `at`. `open` holds the open incidents of the batch's keys
/// (a key missing has none); `counters` the teams' incident counters as read.
pub fn plan(
    items: &[(&Service, &AlertEvent)], open: HashMap<Key, OpenIncident>,
    mut counters: HashMap<TeamId, i64>, at: DateTime<Utc>,
) -> Result<Plan, MissingTeam> {
    let mut existing: Vec<(OpenIncident, IncidentUpdate)> = Vec::with_capacity(open.len());
    let mut current: HashMap<Key, Slot> = HashMap::with_capacity(open.len());
    for (key, inc) in open {
        current.insert(key, Slot::Existing(existing.len()));
        let update = IncidentUpdate {
            id: inc.id,
            joins: 0,
            latest: None,
            status: None,
            acknowledged_at: None,
            acknowledged_by: None,
            resolved_at: None,
            resolved_by: None,
        };
        existing.push((inc, update));
    }
    let mut inserts: Vec<NewIncident> = Vec::new();
    let mut events = Vec::with_capacity(items.len());
    let mut outcomes = Vec::with_capacity(items.len());
    let mut sources: BTreeMap<(ServiceId, &'static str), SourceActivity> = BTreeMap::new();
    let mut opened: BTreeMap<TeamId, i64> = BTreeMap::new();

    for (svc, ev) in items {
        let key: Key = (svc.id, ev.dedup_key.clone());
        let slot = current.get(&key).copied();
        let status = slot.map(|s| match s {
            Slot::Existing(i) => existing[i].0.status,
            Slot::New(i) => inserts[i].status,
        });
        let decision = decide(status, ev.action);
        let source = ev.source.slug();
        let latest = |severity: &'static str| Latest {
            severity,
            title: ev.title.clone(),
            description: ev.description.clone(),
            // A BTreeMap of strings always serialises.
            tags: serde_json::to_string(&ev.tags).unwrap_or_else(|_| "{}".into()),
        };

        let target: Option<(IncidentId, i64)> = match (decision, slot) {
            (Decision::Open(sev), _) => {
                let counter = counters
                    .get_mut(&svc.team_id)
                    .ok_or(MissingTeam(svc.team_id))?;
                *counter += 1;
                let number = *counter;
                *opened.entry(svc.team_id).or_default() += 1;
                let id = IncidentId::new();
                let l = latest(sev.as_str());
                current.insert(key, Slot::New(inserts.len()));
                inserts.push(NewIncident {
                    id,
                    team_id: svc.team_id,
                    service_id: svc.id,
                    number,
                    source,
                    dedup_key: ev.dedup_key.clone(),
                    status: IncidentStatus::Triggered,
                    severity: l.severity,
                    title: l.title,
                    description: l.description,
                    tags: l.tags,
                    event_count: 1,
                    acknowledged_at: None,
                    acknowledged_by: None,
                    resolved_at: None,
                    resolved_by: None,
                });
                Some((id, number))
            }
            (Decision::Join(sev), Some(Slot::Existing(i))) => {
                let (inc, update) = &mut existing[i];
                update.joins += 1;
                update.latest = Some(latest(sev.as_str()));
                Some((inc.id, inc.number))
            }
            (Decision::Join(sev), Some(Slot::New(i))) => {
                let inc = &mut inserts[i];
                let l = latest(sev.as_str());
                inc.event_count += 1;
                inc.severity = l.severity;
                inc.title = l.title;
                inc.description = l.description;
                inc.tags = l.tags;
                Some((inc.id, inc.number))
            }
            (Decision::Resolve, Some(slot)) => {
                current.remove(&key);
                match slot {
                    Slot::Existing(i) => {
                        let (inc, update) = &mut existing[i];
                        update.status = Some(IncidentStatus::Resolved);
                        update.resolved_at = Some(at);
                        update.resolved_by = Some(source);
                        Some((inc.id, inc.number))
                    }
                    Slot::New(i) => {
                        let inc = &mut inserts[i];
                        inc.status = IncidentStatus::Resolved;
                        inc.resolved_at = Some(at);
                        inc.resolved_by = Some(source);
                        Some((inc.id, inc.number))
                    }
                }
            }
            (Decision::Acknowledge, Some(slot)) => {
                // A person's rules: acknowledging twice changes nothing the second time.
                let applies =
                    |status| decide_human(status, HumanAction::Acknowledge) == HumanDecision::Apply;
                match slot {
                    Slot::Existing(i) => {
                        let (inc, update) = &mut existing[i];
                        let now = update.status.unwrap_or(inc.status);
                        if applies(now) {
                            update.status = Some(IncidentStatus::Acknowledged);
                            update.acknowledged_at = Some(at);
                            update.acknowledged_by = Some(source);
                        }
                        Some((inc.id, inc.number))
                    }
                    Slot::New(i) => {
                        let inc = &mut inserts[i];
                        if applies(inc.status) {
                            inc.status = IncidentStatus::Acknowledged;
                            inc.acknowledged_at = Some(at);
                            inc.acknowledged_by = Some(source);
                        }
                        Some((inc.id, inc.number))
                    }
                }
            }
            // `decide` only joins, acknowledges or resolves an open incident; without one
            // nothing changes.
            (
                Decision::Join(_)
                | Decision::Resolve
                | Decision::Acknowledge
                | Decision::Ignore
                | Decision::Test,
                _,
            ) => None,
        };

        let activity = sources
            .entry((svc.id, source))
            .or_insert_with(|| SourceActivity {
                last_incident_at: None,
                last_event_at: at,
                last_test_at: None,
            });
        if matches!(decision, Decision::Open(_)) {
            activity.last_incident_at = Some(at);
        }
        if matches!(decision, Decision::Test) {
            activity.last_test_at = Some(at);
        }

        let event_id = EventId::new();
        events.push(EventRow {
            id: event_id,
            incident_id: target.map(|t| t.0),
            service_id: svc.id,
            kind: EventKind::for_decision(decision).as_str(),
            source,
            level: ev.level.clone(),
            occurred_at: ev.occurred_at,
            payload: ev.raw.clone(),
        });
        outcomes.push(IngestOutcome {
            decision,
            event_id,
            incident_id: target.map(|t| t.0),
            incident_number: target.map(|t| t.1),
        });
    }

    let counters = opened
        .into_iter()
        .map(|(team, n)| {
            let after = counters.get(&team).copied().unwrap_or_default();
            (team, CounterBump { opened: n, after })
        })
        .collect();
    let updates: Vec<IncidentUpdate> = existing
        .into_iter()
        .map(|(_, u)| u)
        .filter(|u| u.joins > 0 || u.status.is_some())
        .collect();
    let escalations = paging_writes(&inserts, &updates, at);
    Ok(Plan {
        at,
        outcomes,
        counters,
        updates,
        inserts,
        events,
        sources,
        escalations,
    })
}

/// An incident opened and resolved within one batch pages nobody: it is over before anyone
/// could act. The others start their policy, or stop it. An acknowledge by the source is
/// written exactly as a person's ([`human::plan_human`]: `Change::Acknowledged`), after the
/// start of an incident opened in the same batch, so its paging stops the same way (and an
/// acknowledgement timeout still retriggers it).
fn paging_writes(
    inserts: &[NewIncident], updates: &[IncidentUpdate], at: DateTime<Utc>,
) -> Vec<Escalate> {
    let change = |status: Option<IncidentStatus>| match status {
        Some(IncidentStatus::Resolved) => Some(Change::Resolved),
        Some(IncidentStatus::Acknowledged) => Some(Change::Acknowledged),
        _ => None,
    };
    let existing = updates.iter().filter_map(|u| {
        change(u.status).map(|c| Escalate {
            incident: u.id,
            service: None,
            write: on_change(c, at),
        })
    });
    let opened = inserts
        .iter()
        .filter(|n| n.status != IncidentStatus::Resolved)
        .flat_map(|n| {
            let start = Escalate {
                incident: n.id,
                service: Some(n.service_id),
                write: on_change(Change::Opened, at),
            };
            let acked = (n.status == IncidentStatus::Acknowledged).then(|| Escalate {
                incident: n.id,
                service: None,
                write: on_change(Change::Acknowledged, at),
            });
            std::iter::once(start).chain(acked)
        });
    existing.chain(opened).collect()
}
