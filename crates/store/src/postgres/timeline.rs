//! Timeline reads: pages without bodies, and one body on demand (rules in
//! [`tocsin_core::timeline`]; this file only runs the queries). Ids compare bytewise under
//! `COLLATE "C"`, so they order by time as in SQLite.

use tocsin_core::model::Scope;
use tocsin_core::{EventId, EventPage, EventPageQuery, IncidentId};
use tokio_postgres::GenericClient;

use super::get_incident_in;
use super::rows;
use crate::{sql, StoreError};

pub async fn page(
    c: &impl GenericClient, scope: &Scope, id: IncidentId, q: &EventPageQuery,
) -> Result<EventPage, StoreError> {
    get_incident_in(c, scope, id, false).await?;
    let fetch = i64::from(q.fetch());
    let sql = sql::timeline_page(q.before().is_some());
    let rows = match q.before() {
        None => c.query(&sql, &[&id, &fetch]).await?,
        Some(before) => c.query(&sql, &[&id, &before, &fetch]).await?,
    };
    Ok(EventPage::from_rows(rows::all(&rows, rows::event)?, q))
}

pub async fn payload(
    c: &impl GenericClient, scope: &Scope, incident: IncidentId, event: EventId,
) -> Result<String, StoreError> {
    get_incident_in(c, scope, incident, false).await?;
    match c
        .query_opt(sql::EVENT_PAYLOAD, &[&event, &incident])
        .await?
    {
        Some(r) => Ok(r.try_get(0)?),
        None => Err(StoreError::NotFound("payload")),
    }
}
