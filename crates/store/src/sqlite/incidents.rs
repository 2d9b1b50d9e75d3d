//! Incidents as people see and change them: lists, the overview's counts, timelines, and
//! acknowledge, resolve and notes (planned by [`tocsin_core::plan`], written here).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use tocsin_core::model::{Incident, IncidentQuery, IncidentSummary, Scope, TimelineEvent};
use tocsin_core::plan::{note, plan_human};
use tocsin_core::{EventId, EventPage, EventPageQuery, HumanAction, IncidentId, TeamId};

use super::rows::{self, INCIDENT_COLS};
use super::time::to_db;
use super::{scope_sql, timeline, SqliteStore};
use crate::{sql, IncidentStore, StoreError};

pub(super) fn get_incident_in(
    c: &Connection, scope: &Scope, id: IncidentId,
) -> Result<Incident, StoreError> {
    let mut args = vec![Value::Text(id.to_string())];
    let sql = format!(
        "SELECT {INCIDENT_COLS} FROM incidents WHERE id = ?{}",
        scope_sql(scope, "team_id", &mut args)
    );
    c.prepare_cached(&sql)?
        .query_row(params_from_iter(args), rows::incident)
        .optional()?
        .ok_or(StoreError::NotFound("incident"))
}

fn insert_human_event(c: &Connection, ev: &TimelineEvent) -> Result<(), StoreError> {
    c.prepare_cached(sql::INSERT_HUMAN_EVENT)?.execute(params![
        ev.id,
        ev.incident_id,
        ev.service_id,
        ev.kind.as_str(),
        ev.actor,
        ev.text,
        to_db(ev.received_at)
    ])?;
    Ok(())
}

#[async_trait]
impl IncidentStore for SqliteStore {
    async fn act(
        &self, scope: &Scope, id: IncidentId, actor: &str, action: HumanAction,
    ) -> Result<Incident, StoreError> {
        let (scope, actor) = (scope.clone(), actor.to_owned());
        self.writer
            .write(move |c| {
                let inc = get_incident_in(c, &scope, id)?;
                let change = plan_human(&inc, action, &actor, Utc::now())
                    .map_err(|why| StoreError::Conflict(why.into()))?;
                let Some(ch) = change else { return Ok(inc) };
                c.prepare_cached(sql::HUMAN_CHANGE)?.execute(params![
                    ch.status.as_str(),
                    ch.acknowledged_at.map(to_db),
                    ch.acknowledged_by,
                    ch.resolved_at.map(to_db),
                    ch.resolved_by,
                    to_db(ch.updated_at),
                    id
                ])?;
                insert_human_event(c, &ch.event)?;
                super::engine::write_escalation(c, id, None, ch.escalation)?;
                get_incident_in(c, &Scope::All, id)
            })
            .await
    }

    async fn list_incidents(
        &self, scope: &Scope, q: &IncidentQuery,
    ) -> Result<Vec<Incident>, StoreError> {
        let (scope, q) = (scope.clone(), q.clone());
        self.read(move |c| {
            let mut args = Vec::new();
            let mut sql = format!(
                "SELECT {INCIDENT_COLS} FROM incidents WHERE 1{}",
                scope_sql(&scope, "team_id", &mut args)
            );
            if let Some(s) = q.service_id {
                sql.push_str(" AND service_id = ?");
                args.push(Value::Text(s.to_string()));
            }
            if let Some(t) = q.team_id {
                sql.push_str(" AND team_id = ?");
                args.push(Value::Text(t.to_string()));
            }
            if !q.statuses.is_empty() {
                let marks = vec!["?"; q.statuses.len()].join(",");
                sql.push_str(&format!(" AND status IN ({marks})"));
                args.extend(q.statuses.iter().map(|s| Value::Text(s.as_str().to_owned())));
            }
            if let Some(k) = &q.dedup_key {
                sql.push_str(" AND dedup_key = ?");
                args.push(Value::Text(k.clone()));
            }
            if let Some(t) = &q.text {
                sql.push_str(
                    " AND (instr(lower(title), lower(?)) > 0 OR instr(lower(dedup_key), lower(?)) > 0)",
                );
                args.push(Value::Text(t.clone()));
                args.push(Value::Text(t.clone()));
            }
            if let Some(b) = q.before {
                sql.push_str(" AND id < ?");
                args.push(Value::Text(b.to_string()));
            }
            sql.push_str(" ORDER BY id DESC LIMIT ?");
            args.push(Value::Integer(i64::from(q.limit.max(1))));
            let rows = c
                .prepare_cached(&sql)?
                .query_map(params_from_iter(args), rows::incident)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn get_incident(&self, scope: &Scope, id: IncidentId) -> Result<Incident, StoreError> {
        let scope = scope.clone();
        self.read(move |c| get_incident_in(c, &scope, id)).await
    }

    async fn incident_summary(
        &self, scope: &Scope, team: Option<TeamId>, since: DateTime<Utc>,
    ) -> Result<IncidentSummary, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = Vec::new();
            let mut filter = scope_sql(&scope, "team_id", &mut args);
            if let Some(t) = team {
                filter.push_str(" AND team_id = ?");
                args.push(Value::Text(t.to_string()));
            }
            let mut day_args = args.clone();
            day_args.push(Value::Integer(to_db(since)));
            let opened_per_day = c
                .prepare_cached(&format!(
                    "SELECT date(created_at / 1000000, 'unixepoch') AS day, COUNT(*) FROM incidents
                     WHERE 1{filter} AND created_at >= ? GROUP BY day ORDER BY day"
                ))?
                .query_map(params_from_iter(day_args), |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            let open_by_service = c
                .prepare_cached(&format!(
                    "{}{filter} GROUP BY service_id",
                    sql::OPEN_BY_SERVICE
                ))?
                .query_map(params_from_iter(args), |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
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
        let (scope, q) = (scope.clone(), *q);
        self.read(move |c| timeline::page(c, &scope, id, &q)).await
    }

    async fn event_payload(
        &self, scope: &Scope, incident: IncidentId, event: EventId,
    ) -> Result<String, StoreError> {
        let scope = scope.clone();
        self.read(move |c| timeline::payload(c, &scope, incident, event))
            .await
    }

    async fn add_note(
        &self, scope: &Scope, id: IncidentId, actor: &str, text: &str,
    ) -> Result<TimelineEvent, StoreError> {
        let (scope, actor, text) = (scope.clone(), actor.to_owned(), text.to_owned());
        self.writer
            .write(move |c| {
                let inc = get_incident_in(c, &scope, id)?;
                let ev = note(&inc, &actor, &text, Utc::now());
                insert_human_event(c, &ev)?;
                Ok(ev)
            })
            .await
    }
}
