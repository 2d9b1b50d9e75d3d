//! Carrying out the state machine's decision for one alert, inside the writer's transaction.

use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension};
use tocsin_core::model::{EventKind, IngestOutcome, Service};
use tocsin_core::{decide, AlertEvent, Decision, EventId, IncidentId, IncidentStatus};

use super::time::to_db;
use crate::StoreError;

pub fn apply(
    conn: &Connection,
    svc: &Service,
    ev: &AlertEvent,
) -> Result<IngestOutcome, StoreError> {
    let now = to_db(Utc::now());
    let open: Option<(String, String, i64)> = conn
        .prepare_cached(
            "SELECT id, status, number FROM incidents
             WHERE service_id = ?1 AND dedup_key = ?2 AND status IN ('triggered', 'acknowledged')",
        )?
        .query_row(params![svc.id.to_string(), ev.dedup_key], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let open_status = open.as_ref().and_then(|(_, s, _)| IncidentStatus::parse(s));
    let decision = decide(open_status, ev.action);
    let tags = serde_json::to_string(&ev.tags).map_err(|e| StoreError::Other(e.to_string()))?;
    let source = ev.source.slug();

    let (incident_id, number): (Option<String>, Option<i64>) = match decision {
        Decision::Open(sev) => {
            let number: i64 = conn
                .prepare_cached(
                    "UPDATE teams SET incident_counter = incident_counter + 1 WHERE id = ?1
                     RETURNING incident_counter",
                )?
                .query_row(params![svc.team_id.to_string()], |r| r.get(0))?;
            let id = IncidentId::new().to_string();
            conn.prepare_cached(
                "INSERT INTO incidents (id, team_id, service_id, number, source, dedup_key, status,
                   severity, title, description, tags, event_count, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'triggered', ?7, ?8, ?9, ?10, 1, ?11, ?11)",
            )?
            .execute(params![
                id,
                svc.team_id.to_string(),
                svc.id.to_string(),
                number,
                source,
                ev.dedup_key,
                sev.as_str(),
                ev.title,
                ev.description,
                tags,
                now
            ])?;
            (Some(id), Some(number))
        }
        Decision::Join(sev) => {
            let (id, _, number) =
                open.ok_or_else(|| StoreError::Other("join without an open incident".into()))?;
            conn.prepare_cached(
                "UPDATE incidents SET event_count = event_count + 1, severity = ?2, title = ?3,
                   description = ?4, tags = ?5, updated_at = ?6 WHERE id = ?1",
            )?
            .execute(params![
                id,
                sev.as_str(),
                ev.title,
                ev.description,
                tags,
                now
            ])?;
            (Some(id), Some(number))
        }
        Decision::Resolve => {
            let (id, _, number) =
                open.ok_or_else(|| StoreError::Other("resolve without an open incident".into()))?;
            conn.prepare_cached(
                "UPDATE incidents SET status = 'resolved', resolved_at = ?2, resolved_by = ?3,
                   updated_at = ?2 WHERE id = ?1",
            )?
            .execute(params![id, now, source])?;
            (Some(id), Some(number))
        }
        Decision::Ignore | Decision::Test => (None, None),
    };

    let event_id = EventId::new();
    conn.prepare_cached(
        "INSERT INTO incident_events (id, incident_id, service_id, kind, source, level, received_at,
           occurred_at, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        event_id.to_string(),
        incident_id,
        svc.id.to_string(),
        EventKind::for_decision(decision).as_str(),
        source,
        ev.level,
        now,
        ev.occurred_at.map(to_db),
        ev.raw
    ])?;

    let (incident_at, test_at) = match decision {
        Decision::Open(_) => (Some(now), None),
        Decision::Test => (None, Some(now)),
        _ => (None, None),
    };
    conn.prepare_cached(
        "INSERT INTO alert_sources (service_id, source, last_incident_at, last_event_at, last_test_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (service_id, source) DO UPDATE SET
           last_incident_at = COALESCE(excluded.last_incident_at, last_incident_at),
           last_event_at = excluded.last_event_at,
           last_test_at = COALESCE(excluded.last_test_at, last_test_at)",
    )?
    .execute(params![svc.id.to_string(), source, incident_at, now, test_at])?;

    Ok(IngestOutcome {
        decision,
        event_id,
        incident_id: incident_id
            .map(|s| s.parse())
            .transpose()
            .map_err(|e| StoreError::Other(format!("{e}")))?,
        incident_number: number,
    })
}
