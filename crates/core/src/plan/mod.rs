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
use crate::noise::screen::Noise;
use crate::paging::effects::RowWrite;
use crate::{
    decide, decide_human, AlertEvent, Decision, EventId, HumanAction, HumanDecision, IncidentId,
    IncidentStatus, ServiceId, TeamId,
};

pub mod human;
mod noise;
#[cfg(test)]
mod noise_tests;
mod paging;
#[cfg(test)]
mod people_tests;
#[cfg(test)]
mod tests;

pub use human::{note, plan_human, HumanChange};
pub use noise::{SuppressedIncident, DEDUP_WINDOW, NOISE_ACTOR};

use noise::{event_text, resolve_replaced};
use paging::paging_writes;

/// An incident that was open when the batch started, as read (locked) from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenIncident {
    pub id: IncidentId,
    pub status: IncidentStatus,
    pub number: i64,
    /// Its `created_at`: a `dedup_window` rule joins it only within N minutes of this.
    pub opened_at: DateTime<Utc>,
}

/// (service, dedup key): the scope of "one open incident".
pub type Key = (ServiceId, String);

/// One alert of a batch: the service that handles it (the routed-to one when a rule routed
/// it), the alert as the noise step changed it, and what the noise step decided.
pub type Item<'a> = (&'a Service, &'a AlertEvent, &'a Noise);

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
    /// Why it is `suppressed` (`window:<id>` or `rules`).
    pub suppressed_by: Option<String>,
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
    /// The alert's body; `None` for a note.
    pub payload: Option<String>,
    /// A note's author ([`NOISE_ACTOR`]).
    pub actor: Option<&'static str>,
    /// What the noise step did to the alert (routed, suppressed, …), or a note's words.
    pub text: Option<String>,
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

/// [`plan_screened`] for alerts the noise step left alone.
pub fn plan(
    items: &[(&Service, &AlertEvent)], open: HashMap<Key, OpenIncident>,
    counters: HashMap<TeamId, i64>, at: DateTime<Utc>,
) -> Result<Plan, MissingTeam> {
    let none = Noise::default();
    let items: Vec<Item<'_>> = items.iter().map(|(s, e)| (*s, *e, &none)).collect();
    plan_screened(&items, open, HashMap::new(), counters, at)
}

/// Decide every alert in order, at `at`. `open` holds the open incidents of the batch's keys
/// (a key missing has none); `suppressed` the newest suppressed incident of the keys of
/// suppressed alerts that found nothing open; `counters` the teams' incident counters as read.
///
/// The noise step's decisions ([`Noise`]) apply here, once for every backend:
/// - a suppressed trigger with nothing open opens an incident in the final state `suppressed`
///   (no escalation row: it never pages), or joins the newest suppressed incident of its key
///   when the same cause suppressed it within the same window occurrence; a suppressed trigger
///   that finds an incident open (opened before the window) joins it as any repeat does;
/// - a `dedup_window` of N minutes: a trigger whose open incident opened more than N minutes
///   ago resolves it (`resolved_by` `dedup_window`, a note "replaced by #M") and opens a new
///   one, in the same transaction, since the schema allows one open incident per key.
pub fn plan_screened(
    items: &[Item<'_>], open: HashMap<Key, OpenIncident>,
    suppressed: HashMap<Key, SuppressedIncident>, mut counters: HashMap<TeamId, i64>,
    at: DateTime<Utc>,
) -> Result<Plan, MissingTeam> {
    let mut existing: Vec<(OpenIncident, IncidentUpdate)> = Vec::with_capacity(open.len());
    let mut current: HashMap<Key, Slot> = HashMap::with_capacity(open.len());
    for (key, inc) in open {
        current.insert(key, Slot::Existing(existing.len()));
        let update = IncidentUpdate::none(inc.id);
        existing.push((inc, update));
    }
    let mut inserts: Vec<NewIncident> = Vec::new();
    let mut events = Vec::with_capacity(items.len());
    let mut outcomes = Vec::with_capacity(items.len());
    let mut sources: BTreeMap<(ServiceId, &'static str), SourceActivity> = BTreeMap::new();
    let mut opened: BTreeMap<TeamId, i64> = BTreeMap::new();
    // The suppressed incident a suppressed repeat of the key joins, and its cause.
    let mut quiet: HashMap<Key, (Slot, String, DateTime<Utc>)> = suppressed
        .into_iter()
        .map(|(k, s)| {
            let slot = Slot::Existing(existing.len());
            existing.push((
                OpenIncident {
                    id: s.id,
                    status: IncidentStatus::Suppressed,
                    number: s.number,
                    opened_at: s.opened_at,
                },
                IncidentUpdate::none(s.id),
            ));
            (k, (slot, s.cause, s.opened_at))
        })
        .collect();
    // Notes for incidents other than the alert's own (the one a dedup window replaced).
    let mut notes: Vec<EventRow> = Vec::new();

    for (svc, ev, noise) in items {
        let key: Key = (svc.id, ev.dedup_key.clone());
        let mut slot = current.get(&key).copied();
        let opened_at = |s: Slot| match s {
            Slot::Existing(i) => existing[i].0.opened_at,
            Slot::New(_) => at,
        };
        // A dedup window that has passed: the old incident leaves the key first.
        let mut replaced: Option<(Slot, u32)> = None;
        if let (Some(s), Some(minutes), crate::Action::Trigger(_)) =
            (slot, noise.dedup_window_minutes, ev.action)
        {
            if at - opened_at(s) > chrono::Duration::minutes(i64::from(minutes)) {
                current.remove(&key);
                replaced = Some((s, minutes));
                slot = None;
            }
        }
        let status = slot.map(|s| match s {
            Slot::Existing(i) => existing[i].0.status,
            Slot::New(i) => inserts[i].status,
        });
        let mut decision = decide(status, ev.action);
        // Suppressed: open suppressed, or join the suppressed incident of this cause.
        let mut quiet_join: Option<Slot> = None;
        if let (Decision::Open(sev), Some(sup)) = (decision, &noise.suppressed) {
            decision = Decision::Suppress(sev);
            if let Some((s, cause, since)) = quiet.get(&key) {
                if *cause == sup.cause && sup.since.is_none_or(|t| *since >= t) {
                    quiet_join = Some(*s);
                }
            }
        }
        let source = ev.source.slug();
        let latest = |severity: &'static str| Latest {
            severity,
            title: ev.title.clone(),
            description: ev.description.clone(),
            // A BTreeMap of strings always serialises.
            tags: serde_json::to_string(&ev.tags).unwrap_or_else(|_| "{}".into()),
        };

        let target: Option<(IncidentId, i64)> = match (decision, slot) {
            (Decision::Suppress(sev), _) if quiet_join.is_some() => match quiet_join {
                Some(Slot::Existing(i)) => {
                    let (inc, update) = &mut existing[i];
                    update.joins += 1;
                    update.latest = Some(latest(sev.as_str()));
                    Some((inc.id, inc.number))
                }
                Some(Slot::New(i)) => {
                    let inc = &mut inserts[i];
                    let l = latest(sev.as_str());
                    inc.event_count += 1;
                    inc.severity = l.severity;
                    inc.title = l.title;
                    inc.description = l.description;
                    inc.tags = l.tags;
                    Some((inc.id, inc.number))
                }
                None => None,
            },
            (Decision::Open(sev) | Decision::Suppress(sev), _) => {
                let suppressed_by = noise.suppressed.as_ref().map(|s| s.cause.clone());
                let counter = counters
                    .get_mut(&svc.team_id)
                    .ok_or(MissingTeam(svc.team_id))?;
                *counter += 1;
                let number = *counter;
                *opened.entry(svc.team_id).or_default() += 1;
                let id = IncidentId::new();
                let l = latest(sev.as_str());
                match &suppressed_by {
                    Some(cause) => {
                        quiet.insert(key, (Slot::New(inserts.len()), cause.clone(), at));
                    }
                    None => {
                        current.insert(key, Slot::New(inserts.len()));
                    }
                }
                inserts.push(NewIncident {
                    id,
                    team_id: svc.team_id,
                    service_id: svc.id,
                    number,
                    source,
                    dedup_key: ev.dedup_key.clone(),
                    status: if suppressed_by.is_some() {
                        IncidentStatus::Suppressed
                    } else {
                        IncidentStatus::Triggered
                    },
                    severity: l.severity,
                    title: l.title,
                    description: l.description,
                    tags: l.tags,
                    event_count: 1,
                    acknowledged_at: None,
                    acknowledged_by: None,
                    resolved_at: None,
                    resolved_by: None,
                    suppressed_by,
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

        if let (Some((old, minutes)), Some((_, number))) = (replaced, target) {
            let (old_id, _) = resolve_replaced(&mut existing, &mut inserts, old, at);
            notes.push(EventRow {
                id: EventId::new(),
                incident_id: Some(old_id),
                service_id: svc.id,
                kind: EventKind::Note.as_str(),
                source,
                level: String::new(),
                occurred_at: None,
                payload: None,
                actor: Some(NOISE_ACTOR),
                text: Some(format!(
                    "replaced by #{number}: dedup window of {minutes} minutes passed"
                )),
            });
        }
        let activity = sources
            .entry((svc.id, source))
            .or_insert_with(|| SourceActivity {
                last_incident_at: None,
                last_event_at: at,
                last_test_at: None,
            });
        let inserted = match decision {
            Decision::Open(_) => true,
            Decision::Suppress(_) => quiet_join.is_none(),
            _ => false,
        };
        if inserted {
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
            payload: Some(ev.raw.clone()),
            actor: None,
            text: event_text(noise, matches!(decision, Decision::Suppress(_))),
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
    events.append(&mut notes);
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

impl IncidentUpdate {
    fn none(id: IncidentId) -> Self {
        Self {
            id,
            joins: 0,
            latest: None,
            status: None,
            acknowledged_at: None,
            acknowledged_by: None,
            resolved_at: None,
            resolved_by: None,
        }
    }
}
