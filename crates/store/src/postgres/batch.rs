//! The fast path of a group commit: a fixed number of round trips per batch, not per alert.
//!
//! 1. `BEGIN`.
//! 2. Pipelined: lock the batch's team rows (sorted, `FOR NO KEY UPDATE`, as the per-alert path
//!    does, for the same cross-node lock order) reading their incident counters, then read the
//!    open incidents of every (service, dedup key) in the batch `FOR UPDATE`. The team locks
//!    make every other node's ingest for these teams wait for this COMMIT, so what is read
//!    stays true until then; the statements run in order, so the incidents are read after the
//!    locks are held and other nodes' last commits are visible.
//! 3. [`plan`] (core) decides every alert in Rust, in arrival order, into the rows to write.
//! 4. Pipelined: bump the counters, update the incidents that were open, insert the new ones,
//!    insert the events, upsert `alert_sources` — each one statement over `unnest`ed arrays.
//!    Updates go first so an incident resolved here is closed before the batch opens the next
//!    one for its key; the unique index `incidents_one_open` would refuse the other order.
//! 5. `COMMIT` (by the caller).
//!
//! Any surprise — a counter that moved, a row count off, a unique violation from a node that
//! did not follow the protocol, bad input PostgreSQL refuses — is an error; the writer rolls
//! back and replays the batch one alert at a time ([`super::ingest::apply_each`]), each alert
//! a batch of one in its own savepoint, which answers each alert alone.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use tocsin_core::model::IngestOutcome;
use tocsin_core::plan::{plan_screened, Item, MissingTeam, OpenIncident, Plan, SuppressedIncident};
use tocsin_core::{IncidentStatus, ServiceId, TeamId};
use tokio_postgres::types::ToSql;

use crate::StoreError;

const LOCK_TEAMS: &str = "SELECT id, incident_counter FROM teams WHERE id = ANY($1::text[])
     ORDER BY id FOR NO KEY UPDATE";

const OPEN_INCIDENTS: &str = "SELECT i.service_id, i.dedup_key, i.id, i.status, i.number,
       i.created_at
     FROM incidents i
     JOIN unnest($1::text[], $2::text[]) AS k(service_id, dedup_key)
       ON i.service_id = k.service_id AND i.dedup_key = k.dedup_key
     WHERE i.status IN ('triggered', 'acknowledged')
     FOR UPDATE OF i";

/// The newest suppressed incident of each key of the batch's suppressed alerts
/// (`incidents_suppressed_newest`). Not locked: the team locks already serialise every batch
/// that could open or join one for these keys.
const NEWEST_SUPPRESSED: &str = "SELECT DISTINCT ON (i.service_id, i.dedup_key)
       i.service_id, i.dedup_key, i.id, i.number, i.suppressed_by, i.created_at
     FROM incidents i
     JOIN unnest($1::text[], $2::text[]) AS k(service_id, dedup_key)
       ON i.service_id = k.service_id AND i.dedup_key = k.dedup_key
     WHERE i.status = 'suppressed'
     ORDER BY i.service_id, i.dedup_key, i.id DESC";

const BUMP_COUNTERS: &str = "UPDATE teams t SET incident_counter = t.incident_counter + c.n
     FROM unnest($1::text[], $2::bigint[]) AS c(id, n)
     WHERE t.id = c.id
     RETURNING t.id, t.incident_counter";

/// A NULL in a column keeps the stored value.
const UPDATE_INCIDENTS: &str = "UPDATE incidents i SET
       event_count = i.event_count + u.joins,
       severity = COALESCE(u.severity, i.severity),
       title = COALESCE(u.title, i.title),
       description = COALESCE(u.description, i.description),
       tags = COALESCE(u.tags, i.tags),
       status = COALESCE(u.status, i.status),
       resolved_at = COALESCE(u.resolved_at, i.resolved_at),
       resolved_by = COALESCE(u.resolved_by, i.resolved_by),
       acknowledged_at = COALESCE(u.acknowledged_at, i.acknowledged_at),
       acknowledged_by = COALESCE(u.acknowledged_by, i.acknowledged_by),
       updated_at = $10
     FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
                 $7::text[], $8::timestamptz[], $9::text[], $11::timestamptz[], $12::text[])
       AS u(id, joins, severity, title, description, tags, status, resolved_at, resolved_by,
            acknowledged_at, acknowledged_by)
     WHERE i.id = u.id";

const INSERT_INCIDENTS: &str = "INSERT INTO incidents (id, team_id, service_id, number, source,
       dedup_key, status, severity, title, description, tags, event_count, created_at,
       updated_at, resolved_at, resolved_by, acknowledged_at, acknowledged_by, suppressed_by)
     SELECT id, team_id, service_id, number, source, dedup_key, status, severity, title,
       description, tags, event_count, $13, $13, resolved_at, resolved_by, acknowledged_at,
       acknowledged_by, suppressed_by
     FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[],
                 $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[],
                 $14::timestamptz[], $15::text[], $16::timestamptz[], $17::text[], $18::text[])
       AS n(id, team_id, service_id, number, source, dedup_key, status, severity, title,
            description, tags, event_count, resolved_at, resolved_by, acknowledged_at,
            acknowledged_by, suppressed_by)";

const INSERT_EVENTS: &str = "INSERT INTO incident_events (id, incident_id, service_id, kind,
       source, level, received_at, occurred_at, payload, actor, text)
     SELECT id, incident_id, service_id, kind, source, level, $7, occurred_at, payload, actor,
       text
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                 $8::timestamptz[], $9::text[], $10::text[], $11::text[])
       AS e(id, incident_id, service_id, kind, source, level, occurred_at, payload, actor,
            text)";

const UPSERT_SOURCES: &str = "INSERT INTO alert_sources (service_id, source, last_incident_at,
       last_event_at, last_test_at)
     SELECT service_id, source, last_incident_at, last_event_at, last_test_at
     FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[],
                 $5::timestamptz[])
       AS s(service_id, source, last_incident_at, last_event_at, last_test_at)
     ON CONFLICT (service_id, source) DO UPDATE SET
       last_incident_at = COALESCE(excluded.last_incident_at, alert_sources.last_incident_at),
       last_event_at = excluded.last_event_at,
       last_test_at = COALESCE(excluded.last_test_at, alert_sources.last_test_at)";

/// Why the fast path gave up on a batch (the writer then replays it alert by alert).
#[derive(Debug, thiserror::Error)]
pub enum FastPathError {
    #[error(transparent)]
    Db(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Plan(#[from] MissingTeam),
    #[error("{0}")]
    Unexpected(String),
}

impl From<FastPathError> for StoreError {
    fn from(e: FastPathError) -> Self {
        match e {
            FastPathError::Db(e) => e.into(),
            other => StoreError::Other(other.to_string()),
        }
    }
}

/// Apply a whole batch inside `tx` (not committed); one outcome per item, in order.
pub async fn apply_batch(
    tx: &Transaction<'_>, items: &[Item<'_>],
) -> Result<Vec<IngestOutcome>, FastPathError> {
    let mut teams: Vec<TeamId> = items.iter().map(|(s, _, _)| s.team_id).collect();
    teams.sort_unstable();
    teams.dedup();
    let mut keys: Vec<(ServiceId, &str)> = items
        .iter()
        .map(|(s, e, _)| (s.id, e.dedup_key.as_str()))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let (key_services, key_dedups): (Vec<ServiceId>, Vec<&str>) = keys.into_iter().unzip();

    // Prepared first (cached per connection), so the pipelined queries below are sent in the
    // order written: a query is sent when its future is first polled, and try_join! polls in
    // order.
    let lock = tx.prepare_cached(LOCK_TEAMS).await?;
    let select = tx.prepare_cached(OPEN_INCIDENTS).await?;
    let lock_params: [&(dyn ToSql + Sync); 1] = [&teams];
    let select_params: [&(dyn ToSql + Sync); 2] = [&key_services, &key_dedups];
    let (team_rows, open_rows) = tokio::try_join!(
        tx.query(&lock, &lock_params),
        tx.query(&select, &select_params),
    )?;

    let mut counters = HashMap::with_capacity(team_rows.len());
    for r in &team_rows {
        counters.insert(r.try_get(0)?, r.try_get(1)?);
    }
    let mut open = HashMap::with_capacity(open_rows.len());
    for r in &open_rows {
        let status: &str = r.try_get(3)?;
        let status = IncidentStatus::parse(status)
            .ok_or_else(|| FastPathError::Unexpected(format!("incident status {status:?}")))?;
        open.insert(
            (r.try_get(0)?, r.try_get(1)?),
            OpenIncident {
                id: r.try_get(2)?,
                status,
                number: r.try_get(4)?,
                opened_at: r.try_get(5)?,
            },
        );
    }
    let suppressed = newest_suppressed(tx, items, &open).await?;

    let plan = plan_screened(items, open, suppressed, counters, Utc::now())?;
    write(tx, &plan).await?;
    Ok(plan.outcomes)
}

/// The newest suppressed incident of each key whose alert was suppressed and found nothing
/// open; no round trip when no alert of the batch was suppressed (the usual case).
async fn newest_suppressed(
    tx: &Transaction<'_>, items: &[Item<'_>], open: &HashMap<(ServiceId, String), OpenIncident>,
) -> Result<HashMap<(ServiceId, String), SuppressedIncident>, FastPathError> {
    let (services, keys): (Vec<ServiceId>, Vec<&str>) = items
        .iter()
        .filter(|(s, e, n)| {
            n.suppressed.is_some() && !open.contains_key(&(s.id, e.dedup_key.clone()))
        })
        .map(|(s, e, _)| (s.id, e.dedup_key.as_str()))
        .unzip();
    let mut found = HashMap::new();
    if services.is_empty() {
        return Ok(found);
    }
    for r in tx.query(NEWEST_SUPPRESSED, &[&services, &keys]).await? {
        let cause: Option<String> = r.try_get(4)?;
        found.insert(
            (r.try_get(0)?, r.try_get(1)?),
            SuppressedIncident {
                id: r.try_get(2)?,
                number: r.try_get(3)?,
                cause: cause.unwrap_or_default(),
                opened_at: r.try_get(5)?,
            },
        );
    }
    Ok(found)
}

/// Step 4: every write of the plan, pipelined in one round trip.
async fn write(tx: &Transaction<'_>, plan: &Plan) -> Result<(), FastPathError> {
    let statements = [
        BUMP_COUNTERS,
        UPDATE_INCIDENTS,
        INSERT_INCIDENTS,
        INSERT_EVENTS,
        UPSERT_SOURCES,
    ];
    let mut prepared = Vec::with_capacity(statements.len());
    for sql in statements {
        prepared.push(tx.prepare_cached(sql).await?);
    }
    let [bump, update, insert, events, sources] = prepared.as_slice() else {
        return Err(FastPathError::Unexpected("statements not prepared".into()));
    };
    let now: &DateTime<Utc> = &plan.at;

    let (c_teams, c_ns): (Vec<TeamId>, Vec<i64>) =
        plan.counters.iter().map(|(t, b)| (*t, b.opened)).unzip();

    let u = &plan.updates;
    let u_ids: Vec<_> = u.iter().map(|u| u.id).collect();
    let u_joins: Vec<i64> = u.iter().map(|u| u.joins).collect();
    let latest = |f: fn(&tocsin_core::plan::Latest) -> &str| -> Vec<Option<&str>> {
        u.iter().map(|u| u.latest.as_ref().map(f)).collect()
    };
    let u_sev = latest(|l| l.severity);
    let u_title = latest(|l| &l.title);
    let u_desc = latest(|l| &l.description);
    let u_tags = latest(|l| &l.tags);
    let u_status: Vec<Option<&str>> = u.iter().map(|u| u.status.map(|s| s.as_str())).collect();
    let u_resolved_at: Vec<Option<DateTime<Utc>>> = u.iter().map(|u| u.resolved_at).collect();
    let u_resolved_by: Vec<Option<&str>> = u.iter().map(|u| u.resolved_by).collect();
    let u_acked_at: Vec<Option<DateTime<Utc>>> = u.iter().map(|u| u.acknowledged_at).collect();
    let u_acked_by: Vec<Option<&str>> = u.iter().map(|u| u.acknowledged_by).collect();

    let n = &plan.inserts;
    let col =
        |f: fn(&tocsin_core::plan::NewIncident) -> &str| -> Vec<&str> { n.iter().map(f).collect() };
    let n_ids: Vec<_> = n.iter().map(|i| i.id).collect();
    let n_teams: Vec<_> = n.iter().map(|i| i.team_id).collect();
    let n_services: Vec<_> = n.iter().map(|i| i.service_id).collect();
    let n_numbers: Vec<i64> = n.iter().map(|i| i.number).collect();
    let n_sources = col(|i| i.source);
    let n_keys = col(|i| &i.dedup_key);
    let n_status = col(|i| i.status.as_str());
    let n_sev = col(|i| i.severity);
    let n_title = col(|i| &i.title);
    let n_desc = col(|i| &i.description);
    let n_tags = col(|i| &i.tags);
    let n_counts: Vec<i64> = n.iter().map(|i| i.event_count).collect();
    let n_resolved_at: Vec<Option<DateTime<Utc>>> = n.iter().map(|i| i.resolved_at).collect();
    let n_resolved_by: Vec<Option<&str>> = n.iter().map(|i| i.resolved_by).collect();
    let n_acked_at: Vec<Option<DateTime<Utc>>> = n.iter().map(|i| i.acknowledged_at).collect();
    let n_acked_by: Vec<Option<&str>> = n.iter().map(|i| i.acknowledged_by).collect();
    let n_suppressed_by: Vec<Option<&str>> = n.iter().map(|i| i.suppressed_by.as_deref()).collect();

    let e = &plan.events;
    let e_ids: Vec<_> = e.iter().map(|e| e.id).collect();
    let e_incidents: Vec<_> = e.iter().map(|e| e.incident_id).collect();
    let e_services: Vec<_> = e.iter().map(|e| e.service_id).collect();
    let e_kinds: Vec<&str> = e.iter().map(|e| e.kind).collect();
    let e_sources: Vec<&str> = e.iter().map(|e| e.source).collect();
    let e_levels: Vec<&str> = e.iter().map(|e| e.level.as_str()).collect();
    let e_occurred: Vec<Option<DateTime<Utc>>> = e.iter().map(|e| e.occurred_at).collect();
    let e_payloads: Vec<Option<&str>> = e.iter().map(|e| e.payload.as_deref()).collect();
    let e_actors: Vec<Option<&str>> = e.iter().map(|e| e.actor).collect();
    let e_texts: Vec<Option<&str>> = e.iter().map(|e| e.text.as_deref()).collect();

    let s = &plan.sources;
    let s_services: Vec<_> = s.keys().map(|(svc, _)| *svc).collect();
    let s_sources: Vec<&str> = s.keys().map(|(_, src)| *src).collect();
    let s_incident: Vec<_> = s.values().map(|a| a.last_incident_at).collect();
    let s_event: Vec<_> = s.values().map(|a| a.last_event_at).collect();
    let s_test: Vec<_> = s.values().map(|a| a.last_test_at).collect();

    let bump_params: [&(dyn ToSql + Sync); 2] = [&c_teams, &c_ns];
    let update_params: [&(dyn ToSql + Sync); 12] = [
        &u_ids,
        &u_joins,
        &u_sev,
        &u_title,
        &u_desc,
        &u_tags,
        &u_status,
        &u_resolved_at,
        &u_resolved_by,
        now,
        &u_acked_at,
        &u_acked_by,
    ];
    let insert_params: [&(dyn ToSql + Sync); 18] = [
        &n_ids,
        &n_teams,
        &n_services,
        &n_numbers,
        &n_sources,
        &n_keys,
        &n_status,
        &n_sev,
        &n_title,
        &n_desc,
        &n_tags,
        &n_counts,
        now,
        &n_resolved_at,
        &n_resolved_by,
        &n_acked_at,
        &n_acked_by,
        &n_suppressed_by,
    ];
    let event_params: [&(dyn ToSql + Sync); 11] = [
        &e_ids,
        &e_incidents,
        &e_services,
        &e_kinds,
        &e_sources,
        &e_levels,
        now,
        &e_occurred,
        &e_payloads,
        &e_actors,
        &e_texts,
    ];
    let source_params: [&(dyn ToSql + Sync); 5] =
        [&s_services, &s_sources, &s_incident, &s_event, &s_test];

    // Empty statements are skipped; the rest go out in this order in one round trip.
    let (bumped, updated, inserted, evented, _) = tokio::try_join!(
        async {
            if c_teams.is_empty() {
                return Ok(Vec::new());
            }
            tx.query(bump, &bump_params).await
        },
        async {
            if u_ids.is_empty() {
                return Ok(0);
            }
            tx.execute(update, &update_params).await
        },
        async {
            if n_ids.is_empty() {
                return Ok(0);
            }
            tx.execute(insert, &insert_params).await
        },
        tx.execute(events, &event_params),
        tx.execute(sources, &source_params),
    )?;

    // Under the team locks nothing else may move a counter: numbers were given from the value
    // read at lock time, so the counter must land exactly where the plan says.
    if bumped.len() != plan.counters.len() {
        return Err(FastPathError::Unexpected(format!(
            "{} of {} team counters bumped",
            bumped.len(),
            plan.counters.len()
        )));
    }
    for r in &bumped {
        let (team, after): (TeamId, i64) = (r.try_get(0)?, r.try_get(1)?);
        if plan.counters.get(&team).map(|c| c.after) != Some(after) {
            return Err(FastPathError::Unexpected(format!(
                "team {team}'s counter moved to {after} under its lock"
            )));
        }
    }
    let expected = (
        plan.updates.len() as u64,
        plan.inserts.len() as u64,
        plan.events.len() as u64,
    );
    if (updated, inserted, evented) != expected {
        return Err(FastPathError::Unexpected(format!(
            "wrote {updated}/{inserted}/{evented} incident updates/inserts/events, planned {expected:?}"
        )));
    }
    write_escalations(tx, plan).await
}

/// Paging's starts (for services with a policy) and resolve notices, set-based like the rest.
const START_ESCALATIONS: &str = "INSERT INTO escalations (incident_id, policy_id, phase, round, step, loop, due_at)
     SELECT x.incident, s.escalation_policy_id, x.phase, 0, 0, 0, x.at
     FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS x(incident, service, phase, at)
     JOIN services s ON s.id = x.service
     WHERE s.escalation_policy_id IS NOT NULL";
const REWRITE_ESCALATIONS: &str = "UPDATE escalations e SET phase = x.phase, due_at = x.at
     FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS x(incident, phase, at)
     WHERE e.incident_id = x.incident";

async fn write_escalations(tx: &Transaction<'_>, plan: &Plan) -> Result<(), FastPathError> {
    use tocsin_core::paging::effects::RowWrite;
    let (mut si, mut ss, mut sp, mut sa) = (vec![], vec![], vec![], vec![]);
    let (mut ri, mut rp, mut ra) = (vec![], vec![], vec![]);
    for e in &plan.escalations {
        match (e.write, e.service) {
            (RowWrite::Insert { phase, at }, Some(service)) => {
                si.push(e.incident);
                ss.push(service);
                sp.push(phase.as_str());
                sa.push(at);
            }
            (RowWrite::Insert { .. }, None) => {
                return Err(FastPathError::Unexpected(
                    "a paging start without its service".into(),
                ))
            }
            (RowWrite::Rewrite { phase, at }, _) => {
                ri.push(e.incident);
                rp.push(phase.as_str());
                ra.push(at);
            }
        }
    }
    if !si.is_empty() {
        tx.execute(START_ESCALATIONS, &[&si, &ss, &sp, &sa]).await?;
    }
    if !ri.is_empty() {
        tx.execute(REWRITE_ESCALATIONS, &[&ri, &rp, &ra]).await?;
    }
    Ok(())
}
