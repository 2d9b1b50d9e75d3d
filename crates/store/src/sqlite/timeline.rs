//! Timeline reads: pages without bodies, and one body on demand (rules in
//! [`tocsin_core::timeline`]; this file only runs the queries).

use rusqlite::{params, Connection, OptionalExtension};
use tocsin_core::model::Scope;
use tocsin_core::{EventId, EventPage, EventPageQuery, IncidentId};

use super::get_incident_in;
use super::rows::{self, EVENT_LIST_COLS};
use crate::StoreError;

/// Newest first, by id (ids increase with time), through the `(incident_id, id)` index.
pub fn page(
    c: &Connection,
    scope: &Scope,
    id: IncidentId,
    q: &EventPageQuery,
) -> Result<EventPage, StoreError> {
    get_incident_in(c, scope, id)?;
    let (fetch, incident) = (q.fetch(), id.to_string());
    let rows = match q.before() {
        // Two statements rather than `?2 IS NULL OR id < ?2`, which would keep SQLite from
        // starting the index scan at the cursor.
        None => c
            .prepare_cached(&format!(
                "SELECT {EVENT_LIST_COLS} FROM incident_events
                 WHERE incident_id = ?1 ORDER BY id DESC LIMIT ?2"
            ))?
            .query_map(params![incident, fetch], rows::event)?
            .collect::<Result<Vec<_>, _>>()?,
        Some(before) => c
            .prepare_cached(&format!(
                "SELECT {EVENT_LIST_COLS} FROM incident_events
                 WHERE incident_id = ?1 AND id < ?3 ORDER BY id DESC LIMIT ?2"
            ))?
            .query_map(params![incident, fetch, before.to_string()], rows::event)?
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(EventPage::from_rows(rows, q))
}

pub fn payload(
    c: &Connection,
    scope: &Scope,
    incident: IncidentId,
    event: EventId,
) -> Result<String, StoreError> {
    get_incident_in(c, scope, incident)?;
    c.prepare_cached(
        "SELECT payload FROM incident_events
         WHERE id = ?1 AND incident_id = ?2 AND payload IS NOT NULL",
    )?
    .query_row(params![event.to_string(), incident.to_string()], |r| {
        r.get(0)
    })
    .optional()?
    .ok_or(StoreError::NotFound("payload"))
}
