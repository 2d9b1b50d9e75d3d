//! Timeline reads: pages without bodies, and one body on demand (rules in
//! [`tocsin_core::timeline`]; this file only runs the queries).

use rusqlite::{params, Connection, OptionalExtension};
use tocsin_core::model::Scope;
use tocsin_core::{EventId, EventPage, EventPageQuery, IncidentId};

use super::get_incident_in;
use super::rows;
use crate::{sql, StoreError};

pub fn page(
    c: &Connection, scope: &Scope, id: IncidentId, q: &EventPageQuery,
) -> Result<EventPage, StoreError> {
    get_incident_in(c, scope, id)?;
    let fetch = q.fetch();
    let mut stmt = c.prepare_cached(&sql::timeline_page(q.before().is_some()))?;
    let rows = match q.before() {
        None => stmt.query_map(params![id, fetch], rows::event)?,
        Some(before) => stmt.query_map(params![id, before, fetch], rows::event)?,
    }
    .collect::<Result<Vec<_>, _>>()?;
    Ok(EventPage::from_rows(rows, q))
}

pub fn payload(
    c: &Connection, scope: &Scope, incident: IncidentId, event: EventId,
) -> Result<String, StoreError> {
    get_incident_in(c, scope, incident)?;
    c.prepare_cached(sql::EVENT_PAYLOAD)?
        .query_row(params![event, incident], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound("payload"))
}
