//! Carrying out the state machine's decision for one alert, inside the writer's transaction.
//!
//! Several nodes may ingest the same (service, dedup key) at once. The open incident is read
//! `FOR UPDATE`, so joins and resolves of one incident queue behind each other and each sees
//! the other's outcome. Two nodes that both find nothing open both try to insert; the partial
//! unique index `incidents_one_open` lets one win and fails the other, which runs the alert
//! again and, now seeing the winner's incident, joins it. (The writer's team-row locks make
//! this race rare; the index is what makes it impossible to get wrong.)

use chrono::Utc;
use deadpool_postgres::Transaction;
use tocsin_core::model::{EventKind, IngestOutcome, Service};
use tocsin_core::{decide, AlertEvent, Decision, EventId, IncidentId, IncidentStatus};
use tokio_postgres::types::ToSql;

use super::error::is_retryable;
use crate::StoreError;

/// Attempts per alert inside its savepoint (see [`is_retryable`]).
const ATTEMPTS: usize = 5;

/// The slow path of a group commit, for a batch the fast path gave up on: each alert in its
/// own savepoint, so one alert's failure undoes only its own changes. Team rows are locked
/// first, sorted, as everywhere (see the writer). Per-alert results, valid once committed.
pub async fn apply_each(
    tx: &Transaction<'_>,
    items: &[(&Service, &AlertEvent)],
) -> Result<Vec<Result<IngestOutcome, StoreError>>, StoreError> {
    let mut teams: Vec<String> = items.iter().map(|(s, _)| s.team_id.to_string()).collect();
    teams.sort_unstable();
    teams.dedup();
    tx.query(
        "SELECT id FROM teams WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
        &[&teams],
    )
    .await?;
    let mut outcomes = Vec::with_capacity(items.len());
    // A job's savepoint is released when the next one is set, in the same round trip.
    let mut savepoint = "SAVEPOINT job";
    for (svc, ev) in items {
        let mut attempt = 1;
        let res = loop {
            tx.batch_execute(savepoint).await?;
            savepoint = "RELEASE SAVEPOINT job; SAVEPOINT job";
            match apply(tx, svc, ev).await {
                Ok(o) => break Ok(o),
                Err(e) => {
                    // Undoes the job's changes and frees its locks; the savepoint stays set.
                    tx.batch_execute("ROLLBACK TO SAVEPOINT job").await?;
                    if attempt < ATTEMPTS && is_retryable(&e) {
                        attempt += 1;
                        continue;
                    }
                    break Err(StoreError::from(e));
                }
            }
        };
        outcomes.push(res);
    }
    Ok(outcomes)
}

/// Apply one alert inside the caller's transaction (a savepoint of a group commit). An
/// [`is_retryable`] error means: roll back to the savepoint and run it again.
async fn apply(
    tx: &Transaction<'_>,
    svc: &Service,
    ev: &AlertEvent,
) -> Result<IngestOutcome, tokio_postgres::Error> {
    let now = Utc::now();
    let service_id = svc.id.to_string();
    let team_id = svc.team_id.to_string();
    let open_stmt = tx
        .prepare_cached(
            "SELECT id, status, number FROM incidents
             WHERE service_id = $1 AND dedup_key = $2 AND status IN ('triggered', 'acknowledged')
             FOR UPDATE",
        )
        .await?;
    let open: Option<(String, String, i64)> = match tx
        .query_opt(&open_stmt, &[&service_id, &ev.dedup_key])
        .await?
    {
        Some(r) => Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)),
        None => None,
    };
    let open_status = open.as_ref().and_then(|(_, s, _)| IncidentStatus::parse(s));
    let decision = decide(open_status, ev.action);
    // A BTreeMap of strings always serialises.
    let tags = serde_json::to_string(&ev.tags).unwrap_or_else(|_| "{}".into());
    let source = ev.source.slug();

    let (incident_id, number): (Option<String>, Option<i64>) = match (decision, open) {
        (Decision::Open(sev), _) => {
            let counter = tx
                .prepare_cached(
                    "UPDATE teams SET incident_counter = incident_counter + 1 WHERE id = $1
                     RETURNING incident_counter",
                )
                .await?;
            let number: i64 = tx.query_one(&counter, &[&team_id]).await?.try_get(0)?;
            let id = IncidentId::new().to_string();
            let insert = tx
                .prepare_cached(
                    "INSERT INTO incidents (id, team_id, service_id, number, source, dedup_key,
                       status, severity, title, description, tags, event_count, created_at,
                       updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, 'triggered', $7, $8, $9, $10, 1, $11, $11)",
                )
                .await?;
            tx.execute(
                &insert,
                &[
                    &id,
                    &team_id,
                    &service_id,
                    &number,
                    &source,
                    &ev.dedup_key,
                    &sev.as_str(),
                    &ev.title,
                    &ev.description,
                    &tags,
                    &now,
                ],
            )
            .await?;
            (Some(id), Some(number))
        }
        (Decision::Join(sev), Some((id, _, number))) => {
            let join = tx
                .prepare_cached(
                    "UPDATE incidents SET event_count = event_count + 1, severity = $2, title = $3,
                       description = $4, tags = $5, updated_at = $6 WHERE id = $1",
                )
                .await?;
            tx.execute(
                &join,
                &[&id, &sev.as_str(), &ev.title, &ev.description, &tags, &now],
            )
            .await?;
            (Some(id), Some(number))
        }
        (Decision::Resolve, Some((id, _, number))) => {
            let resolve = tx
                .prepare_cached(
                    "UPDATE incidents SET status = 'resolved', resolved_at = $2, resolved_by = $3,
                       updated_at = $2 WHERE id = $1",
                )
                .await?;
            tx.execute(&resolve, &[&id, &now, &source]).await?;
            (Some(id), Some(number))
        }
        // `decide` only joins or resolves an open incident; without one nothing changes.
        (Decision::Join(_) | Decision::Resolve | Decision::Ignore | Decision::Test, _) => {
            (None, None)
        }
    };

    let event_id = EventId::new();
    let insert_event = tx
        .prepare_cached(
            "INSERT INTO incident_events (id, incident_id, service_id, kind, source, level,
               received_at, occurred_at, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .await?;
    let activity = tx
        .prepare_cached(
            "INSERT INTO alert_sources (service_id, source, last_incident_at, last_event_at,
               last_test_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (service_id, source) DO UPDATE SET
               last_incident_at = COALESCE(excluded.last_incident_at, alert_sources.last_incident_at),
               last_event_at = excluded.last_event_at,
               last_test_at = COALESCE(excluded.last_test_at, alert_sources.last_test_at)",
        )
        .await?;
    let (incident_at, test_at) = match decision {
        Decision::Open(_) => (Some(now), None),
        Decision::Test => (None, Some(now)),
        _ => (None, None),
    };
    let (event_id_text, kind) = (
        event_id.to_string(),
        EventKind::for_decision(decision).as_str(),
    );
    // Both go out in one round trip (tokio-postgres pipelines concurrent queries on one
    // connection) and still run in order inside the transaction.
    let event_params: [&(dyn ToSql + Sync); 9] = [
        &event_id_text,
        &incident_id,
        &service_id,
        &kind,
        &source,
        &ev.level,
        &now,
        &ev.occurred_at,
        &ev.raw,
    ];
    let activity_params: [&(dyn ToSql + Sync); 5] =
        [&service_id, &source, &incident_at, &now, &test_at];
    tokio::try_join!(
        tx.execute(&insert_event, &event_params),
        tx.execute(&activity, &activity_params),
    )?;

    Ok(IngestOutcome {
        decision,
        event_id,
        incident_id: incident_id.and_then(|s| s.parse().ok()),
        incident_number: number,
    })
}
