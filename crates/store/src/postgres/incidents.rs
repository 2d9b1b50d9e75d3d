//! Incidents as people see and change them: lists, the overview's counts, timelines, and
//! acknowledge, resolve and notes (planned by [`tocsin_core::plan`], written here).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tocsin_core::model::{Incident, IncidentQuery, IncidentSummary, Scope, TimelineEvent};
use tocsin_core::plan::{note, plan_human};
use tocsin_core::{EventId, EventPage, EventPageQuery, HumanAction, IncidentId, TeamId};
use tokio_postgres::GenericClient;

use super::rows::{self, INCIDENT_COLS};
use super::{bounded, pg, refs, scope_sql, timeline, Params, PgStore};
use crate::{sql, IncidentStore, StoreError};

pub(super) async fn get_incident_in(
    c: &impl GenericClient, scope: &Scope, id: IncidentId, lock: bool,
) -> Result<Incident, StoreError> {
    let mut args: Params = vec![Box::new(id)];
    let sql = format!(
        "SELECT {INCIDENT_COLS} FROM incidents WHERE id = $1{}{}",
        scope_sql(scope, "team_id", &mut args),
        if lock { " FOR UPDATE" } else { "" }
    );
    c.query_opt(sql.as_str(), &refs(&args))
        .await?
        .as_ref()
        .map(rows::incident)
        .transpose()?
        .ok_or(StoreError::NotFound("incident"))
}

async fn insert_human_event(c: &impl GenericClient, ev: &TimelineEvent) -> Result<(), StoreError> {
    c.execute(
        sql::INSERT_HUMAN_EVENT,
        &[
            &ev.id,
            &ev.incident_id,
            &ev.service_id,
            &ev.kind.as_str(),
            &ev.actor,
            &ev.text,
            &ev.received_at,
        ],
    )
    .await?;
    Ok(())
}

#[async_trait]
impl IncidentStore for PgStore {
    /// With the row locked, so two people's actions queue behind each other.
    async fn act(
        &self, scope: &Scope, id: IncidentId, actor: &str, action: HumanAction,
    ) -> Result<Incident, StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let inc = get_incident_in(&*tx, scope, id, true).await?;
            let change = plan_human(&inc, action, actor, Utc::now())
                .map_err(|why| StoreError::Conflict(why.into()))?;
            let Some(ch) = change else { return Ok(inc) };
            tx.execute(
                sql::HUMAN_CHANGE,
                &[
                    &ch.status.as_str(),
                    &ch.acknowledged_at,
                    &ch.acknowledged_by,
                    &ch.resolved_at,
                    &ch.resolved_by,
                    &ch.updated_at,
                    &id,
                ],
            )
            .await?;
            insert_human_event(&*tx, &ch.event).await?;
            super::engine::write_escalation(&*tx, id, None, ch.escalation).await?;
            let inc = get_incident_in(&*tx, &Scope::All, id, false).await?;
            tx.commit().await?;
            Ok(inc)
        })
        .await
    }

    async fn list_incidents(
        &self, scope: &Scope, q: &IncidentQuery,
    ) -> Result<Vec<Incident>, StoreError> {
        // PostgreSQL text cannot hold NUL, so no stored key or title matches one that has it
        // (sending it would be an error, not "nothing found").
        let has_nul = |s: &Option<String>| s.as_deref().is_some_and(|s| s.contains('\0'));
        if has_nul(&q.text) || has_nul(&q.dedup_key) {
            return Ok(Vec::new());
        }
        bounded(async {
            let mut args = Params::new();
            let mut sql = format!(
                "SELECT {INCIDENT_COLS} FROM incidents WHERE true{}",
                scope_sql(scope, "team_id", &mut args)
            );
            if let Some(s) = q.service_id {
                args.push(Box::new(s));
                sql.push_str(&format!(" AND service_id = ${}", args.len()));
            }
            if let Some(t) = q.team_id {
                args.push(Box::new(t));
                sql.push_str(&format!(" AND team_id = ${}", args.len()));
            }
            if !q.statuses.is_empty() {
                let statuses: Vec<&'static str> = q.statuses.iter().map(|s| s.as_str()).collect();
                args.push(Box::new(statuses));
                sql.push_str(&format!(" AND status = ANY(${})", args.len()));
            }
            if let Some(k) = &q.dedup_key {
                args.push(Box::new(k.clone()));
                sql.push_str(&format!(" AND dedup_key = ${}", args.len()));
            }
            if let Some(t) = &q.text {
                args.push(Box::new(t.clone()));
                let n = args.len();
                sql.push_str(&format!(
                    " AND (strpos(lower(title), lower(${n})) > 0 OR strpos(lower(dedup_key), lower(${n})) > 0)"
                ));
            }
            if let Some(b) = q.before {
                args.push(Box::new(b));
                sql.push_str(&format!(" AND id < ${}", args.len()));
            }
            args.push(Box::new(i64::from(q.limit.max(1))));
            sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", args.len()));
            let rows = self.client().await?.query(&sql, &refs(&args)).await?;
            rows::all(&rows, rows::incident)
        })
        .await
    }

    async fn get_incident(&self, scope: &Scope, id: IncidentId) -> Result<Incident, StoreError> {
        bounded(async { get_incident_in(pg(&self.client().await?), scope, id, false).await }).await
    }

    async fn incident_summary(
        &self, scope: &Scope, team: Option<TeamId>, since: DateTime<Utc>,
    ) -> Result<IncidentSummary, StoreError> {
        bounded(async {
            let filter = |args: &mut Params| {
                let mut f = scope_sql(scope, "team_id", args);
                if let Some(t) = team {
                    args.push(Box::new(t));
                    f.push_str(&format!(" AND team_id = ${}", args.len()));
                }
                f
            };
            let c = self.client().await?;
            let mut args = Params::new();
            let f = filter(&mut args);
            args.push(Box::new(since));
            let sql = format!(
                "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, COUNT(*)
                 FROM incidents WHERE true{f} AND created_at >= ${} GROUP BY day ORDER BY day",
                args.len()
            );
            let opened_per_day = c
                .query(&sql, &refs(&args))
                .await?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_, tokio_postgres::Error>>()?;
            let mut args = Params::new();
            let f = filter(&mut args);
            let sql = format!("{}{f} GROUP BY service_id", sql::OPEN_BY_SERVICE);
            let open_by_service = c
                .query(&sql, &refs(&args))
                .await?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_, tokio_postgres::Error>>()?;
            Ok(IncidentSummary {
                opened_per_day,
                open_by_service,
            })
        })
        .await
    }

    async fn timeline_page(
        &self, scope: &Scope, id: IncidentId, q: &EventPageQuery,
    ) -> Result<EventPage, StoreError> {
        bounded(async { timeline::page(pg(&self.client().await?), scope, id, q).await }).await
    }

    async fn event_payload(
        &self, scope: &Scope, incident: IncidentId, event: EventId,
    ) -> Result<String, StoreError> {
        bounded(async {
            timeline::payload(pg(&self.client().await?), scope, incident, event).await
        })
        .await
    }

    async fn add_note(
        &self, scope: &Scope, id: IncidentId, actor: &str, text: &str,
    ) -> Result<TimelineEvent, StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let inc = get_incident_in(&*tx, scope, id, false).await?;
            let ev = note(&inc, actor, text, Utc::now());
            insert_human_event(&*tx, &ev).await?;
            tx.commit().await?;
            Ok(ev)
        })
        .await
    }
}
