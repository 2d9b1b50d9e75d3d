//! Ingesting an alert inside the writer's group commit: read what [`plan`] needs, plan, write
//! the planned rows. The rules are all in the plan; this file only moves rows.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension};
use tocsin_core::model::{IngestOutcome, Service};
use tocsin_core::noise::screen::Noise;
use tocsin_core::plan::{plan_screened, OpenIncident, Plan, SuppressedIncident};
use tocsin_core::{AlertEvent, IncidentId, IncidentStatus};

use super::time::{from_db, to_db};
use super::SqliteStore;
use crate::{IngestStore, StoreError};

/// The team's counter and the open incident of the alert's key, in one statement.
const INPUTS: &str =
    "SELECT t.incident_counter, i.id, i.status, i.number, i.created_at FROM teams t
     LEFT JOIN incidents i ON i.service_id = $1 AND i.dedup_key = $2
       AND i.status IN ('triggered', 'acknowledged')
     WHERE t.id = $3";

/// The newest suppressed incident of a key (`incidents_suppressed_newest`), for a suppressed
/// alert that found nothing open.
pub(crate) const NEWEST_SUPPRESSED: &str = "SELECT id, number, suppressed_by, created_at
     FROM incidents WHERE service_id = $1 AND dedup_key = $2 AND status = 'suppressed'
     ORDER BY id DESC LIMIT 1";

const BUMP_COUNTER: &str =
    "UPDATE teams SET incident_counter = incident_counter + $1 WHERE id = $2";

// SQLite numbers `$n` parameters in the order they first appear, so they appear in order.
const UPDATE_INCIDENT: &str = "UPDATE incidents SET event_count = event_count + $1,
       severity = COALESCE($2, severity), title = COALESCE($3, title),
       description = COALESCE($4, description), tags = COALESCE($5, tags),
       status = COALESCE($6, status), resolved_at = COALESCE($7, resolved_at),
       resolved_by = COALESCE($8, resolved_by),
       acknowledged_at = COALESCE($9, acknowledged_at),
       acknowledged_by = COALESCE($10, acknowledged_by), updated_at = $11
     WHERE id = $12";

const INSERT_INCIDENT: &str = "INSERT INTO incidents (id, team_id, service_id, number, source,
       dedup_key, status, severity, title, description, tags, event_count, created_at,
       updated_at, resolved_at, resolved_by, acknowledged_at, acknowledged_by, suppressed_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15, $16, $17,
       $18)";

const INSERT_EVENT: &str = "INSERT INTO incident_events (id, incident_id, service_id, kind,
       source, level, received_at, occurred_at, payload, actor, text)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

const UPSERT_SOURCE: &str = "INSERT INTO alert_sources (service_id, source, last_incident_at,
       last_event_at, last_test_at)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (service_id, source) DO UPDATE SET
       last_incident_at = COALESCE(excluded.last_incident_at, last_incident_at),
       last_event_at = excluded.last_event_at,
       last_test_at = COALESCE(excluded.last_test_at, last_test_at)";

#[async_trait]
impl IngestStore for SqliteStore {
    async fn ingest_screened(
        &self, service: &Service, event: AlertEvent, noise: Noise,
    ) -> Result<IngestOutcome, StoreError> {
        let svc = service.clone();
        self.writer
            .write(move |c| apply(c, &svc, &event, &noise))
            .await
    }
}

/// One alert, inside the writer's transaction (which runs it again alone if the batch fails).
pub fn apply(
    c: &Connection, svc: &Service, ev: &AlertEvent, noise: &Noise,
) -> Result<IngestOutcome, StoreError> {
    type Inputs = (
        i64,
        Option<IncidentId>,
        Option<String>,
        Option<i64>,
        Option<i64>,
    );
    let read: Option<Inputs> = c
        .prepare_cached(INPUTS)?
        .query_row(params![svc.id, ev.dedup_key, svc.team_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    let mut open = HashMap::new();
    let mut counters = HashMap::new();
    if let Some((counter, id, status, number, created)) = read {
        counters.insert(svc.team_id, counter);
        if let (Some(id), Some(status), Some(number), Some(created)) = (id, status, number, created)
        {
            let status = IncidentStatus::parse(&status)
                .ok_or_else(|| StoreError::Other(format!("incident status {status:?}")))?;
            open.insert(
                (svc.id, ev.dedup_key.clone()),
                OpenIncident {
                    id,
                    status,
                    number,
                    opened_at: from_db(created),
                },
            );
        }
    }
    let mut suppressed = HashMap::new();
    if noise.suppressed.is_some() && open.is_empty() {
        let newest = c
            .prepare_cached(NEWEST_SUPPRESSED)?
            .query_row(params![svc.id, ev.dedup_key], |r| {
                Ok(SuppressedIncident {
                    id: r.get(0)?,
                    number: r.get(1)?,
                    cause: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    opened_at: from_db(r.get(3)?),
                })
            })
            .optional()?;
        if let Some(s) = newest {
            suppressed.insert((svc.id, ev.dedup_key.clone()), s);
        }
    }
    let plan = plan_screened(&[(svc, ev, noise)], open, suppressed, counters, Utc::now())
        .map_err(|e| StoreError::Other(e.to_string()))?;
    write(c, &plan)?;
    plan.outcomes
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Other("no outcome planned".into()))
}

/// Every row of `plan`, in its order (counters, updates, inserts, events, sources).
fn write(c: &Connection, plan: &Plan) -> Result<(), StoreError> {
    let at = to_db(plan.at);
    for (team, bump) in &plan.counters {
        c.prepare_cached(BUMP_COUNTER)?
            .execute(params![bump.opened, team])?;
    }
    for u in &plan.updates {
        let l = u.latest.as_ref();
        c.prepare_cached(UPDATE_INCIDENT)?.execute(params![
            u.joins,
            l.map(|l| l.severity),
            l.map(|l| &l.title),
            l.map(|l| &l.description),
            l.map(|l| &l.tags),
            u.status.map(|s| s.as_str()),
            u.resolved_at.map(to_db),
            u.resolved_by,
            u.acknowledged_at.map(to_db),
            u.acknowledged_by,
            at,
            u.id
        ])?;
    }
    for n in &plan.inserts {
        c.prepare_cached(INSERT_INCIDENT)?.execute(params![
            n.id,
            n.team_id,
            n.service_id,
            n.number,
            n.source,
            n.dedup_key,
            n.status.as_str(),
            n.severity,
            n.title,
            n.description,
            n.tags,
            n.event_count,
            at,
            n.resolved_at.map(to_db),
            n.resolved_by,
            n.acknowledged_at.map(to_db),
            n.acknowledged_by,
            n.suppressed_by
        ])?;
    }
    for e in &plan.events {
        c.prepare_cached(INSERT_EVENT)?.execute(params![
            e.id,
            e.incident_id,
            e.service_id,
            e.kind,
            e.source,
            e.level,
            at,
            e.occurred_at.map(to_db),
            e.payload,
            e.actor,
            e.text
        ])?;
    }
    for e in &plan.escalations {
        super::engine::write_escalation(c, e.incident, e.service, e.write)?;
    }
    for ((service, source), s) in &plan.sources {
        c.prepare_cached(UPSERT_SOURCE)?.execute(params![
            service,
            source,
            s.last_incident_at.map(to_db),
            to_db(s.last_event_at),
            s.last_test_at.map(to_db)
        ])?;
    }
    Ok(())
}
