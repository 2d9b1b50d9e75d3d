//! Timeline reads: pages without bodies, and one body on demand (rules in
//! [`tocsin_core::timeline`]; this file only runs the queries).

use tocsin_core::model::Scope;
use tocsin_core::{EventId, EventPage, EventPageQuery, IncidentId};
use tokio_postgres::GenericClient;

use super::get_incident_in;
use super::rows::{self, EVENT_LIST_COLS};
use crate::StoreError;

/// Newest first, by id (ids increase with time, compared bytewise under `COLLATE "C"`),
/// through the `(incident_id, id)` index.
pub async fn page(
    c: &impl GenericClient,
    scope: &Scope,
    id: IncidentId,
    q: &EventPageQuery,
) -> Result<EventPage, StoreError> {
    get_incident_in(c, scope, id, false).await?;
    let (fetch, incident) = (i64::from(q.fetch()), id.to_string());
    let rows = match q.before() {
        None => {
            let sql = format!(
                "SELECT {EVENT_LIST_COLS} FROM incident_events
                 WHERE incident_id = $1 ORDER BY id DESC LIMIT $2"
            );
            c.query(&sql, &[&incident, &fetch]).await?
        }
        Some(before) => {
            let sql = format!(
                "SELECT {EVENT_LIST_COLS} FROM incident_events
                 WHERE incident_id = $1 AND id < $3 ORDER BY id DESC LIMIT $2"
            );
            c.query(&sql, &[&incident, &fetch, &before.to_string()])
                .await?
        }
    };
    Ok(EventPage::from_rows(rows::all(&rows, rows::event)?, q))
}

pub async fn payload(
    c: &impl GenericClient,
    scope: &Scope,
    incident: IncidentId,
    event: EventId,
) -> Result<String, StoreError> {
    get_incident_in(c, scope, incident, false).await?;
    let row = c
        .query_opt(
            "SELECT payload FROM incident_events
             WHERE id = $1 AND incident_id = $2 AND payload IS NOT NULL",
            &[&event.to_string(), &incident.to_string()],
        )
        .await?;
    match row {
        Some(r) => Ok(r.try_get(0)?),
        None => Err(StoreError::NotFound("payload")),
    }
}
