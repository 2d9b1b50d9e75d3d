//! [`ScheduleStore`] for SQLite: a team's schedules, within the caller's scope. The single
//! writer runs each check with its write, so a policy cannot come to name a schedule deleted
//! under it, nor a participant vanish between check and write.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use tocsin_core::model::Scope;
use tocsin_core::schedule::records::{Schedule, ScheduleOverride};
use tocsin_core::schedule::{Override, ScheduleRules};
use tocsin_core::{ScheduleId, TeamId, UserId};

use super::time::{from_db, to_db};
use super::{scope_sql, SqliteStore};
use crate::paging_sql::{TEAM_POLICY_RULES, USER_EXISTS};
use crate::schedule_records as records;
use crate::schedule_sql::{self as sql, SCHEDULE_COLS};
use crate::schedules::ScheduleStore;
use crate::{require_team, sql as common, StoreError};

pub(super) fn schedule(r: &Row) -> rusqlite::Result<Schedule> {
    let rules: String = r.get(3)?;
    Ok(Schedule {
        id: r.get(0)?,
        team_id: r.get(1)?,
        name: r.get(2)?,
        rules: serde_json::from_str(&rules).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
        })?,
        created_at: from_db(r.get(4)?),
        updated_at: from_db(r.get(5)?),
    })
}

pub(super) fn schedule_override(r: &Row) -> rusqlite::Result<ScheduleOverride> {
    Ok(ScheduleOverride {
        id: r.get(0)?,
        schedule_id: r.get(1)?,
        user_id: r.get(2)?,
        start: from_db(r.get(3)?),
        end: from_db(r.get(4)?),
        created_at: from_db(r.get(5)?),
    })
}

/// The schedule if `scope` sees it.
pub(super) fn get_in(
    c: &Connection, scope: &Scope, id: ScheduleId,
) -> Result<Schedule, StoreError> {
    let mut args = vec![Value::Text(id.to_string())];
    let q = format!(
        "SELECT {SCHEDULE_COLS} FROM schedules WHERE id = ?{}",
        scope_sql(scope, "team_id", &mut args)
    );
    c.prepare_cached(&q)?
        .query_row(params_from_iter(args), schedule)
        .optional()?
        .ok_or(StoreError::NotFound("schedule"))
}

fn check_participants(c: &Connection, rules: &ScheduleRules) -> Result<(), StoreError> {
    records::check_participants(rules, |u| {
        Ok(c.query_row(USER_EXISTS, params![u], |_| Ok(()))
            .optional()?
            .is_some())
    })
}

pub(super) fn overrides_after(
    c: &Connection, id: ScheduleId, after: DateTime<Utc>,
) -> Result<Vec<Override>, StoreError> {
    Ok(c.prepare_cached(sql::OVERRIDES_AFTER)?
        .query_map(params![id, to_db(after)], |r| {
            Ok(Override {
                user: r.get(0)?,
                start: from_db(r.get(1)?),
                end: from_db(r.get(2)?),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?)
}

#[async_trait]
impl ScheduleStore for SqliteStore {
    async fn create_schedule(
        &self, scope: &Scope, team: TeamId, name: &str, rules: &ScheduleRules,
    ) -> Result<Schedule, StoreError> {
        require_team(scope, team, "team")?;
        let s = records::schedule(team, name, rules);
        let text = records::rules_json(rules)?;
        self.writer
            .write(move |c| {
                c.query_row(common::TEAM_EXISTS, params![team], |_| Ok(()))
                    .optional()?
                    .ok_or(StoreError::NotFound("team"))?;
                check_participants(c, &s.rules)?;
                c.execute(
                    sql::INSERT_SCHEDULE,
                    params![
                        s.id,
                        team,
                        s.name,
                        text,
                        to_db(s.created_at),
                        to_db(s.updated_at)
                    ],
                )
                .map_err(|e| StoreError::from(e).conflict_as(records::name_taken(&s.name)))?;
                Ok(s.clone())
            })
            .await
    }

    async fn list_schedules(
        &self, scope: &Scope, team: Option<TeamId>,
    ) -> Result<Vec<Schedule>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = Vec::new();
            let mut q = format!(
                "SELECT {SCHEDULE_COLS} FROM schedules WHERE 1{}",
                scope_sql(&scope, "team_id", &mut args)
            );
            if let Some(t) = team {
                q.push_str(" AND team_id = ?");
                args.push(Value::Text(t.to_string()));
            }
            q.push_str(" ORDER BY name, id");
            let rows = c
                .prepare_cached(&q)?
                .query_map(params_from_iter(args), schedule)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn get_schedule(&self, scope: &Scope, id: ScheduleId) -> Result<Schedule, StoreError> {
        let scope = scope.clone();
        self.read(move |c| get_in(c, &scope, id)).await
    }

    async fn update_schedule(
        &self, scope: &Scope, id: ScheduleId, name: &str, rules: &ScheduleRules,
    ) -> Result<Schedule, StoreError> {
        let scope = scope.clone();
        let (name, rules) = (name.to_owned(), rules.clone());
        let text = records::rules_json(&rules)?;
        self.writer
            .write(move |c| {
                let old = get_in(c, &scope, id)?;
                check_participants(c, &rules)?;
                let s = records::updated_schedule(old, &name, &rules);
                c.execute(
                    sql::UPDATE_SCHEDULE,
                    params![s.name, text, to_db(s.updated_at), id],
                )
                .map_err(|e| StoreError::from(e).conflict_as(records::name_taken(&s.name)))?;
                Ok(s)
            })
            .await
    }

    async fn delete_schedule(&self, scope: &Scope, id: ScheduleId) -> Result<(), StoreError> {
        let scope = scope.clone();
        self.writer
            .write(move |c| {
                let s = get_in(c, &scope, id)?;
                let policies = c
                    .prepare_cached(TEAM_POLICY_RULES)?
                    .query_map(params![s.team_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<Vec<(String, String)>, _>>()?;
                records::check_schedule_unused(policies, id)?;
                c.execute(sql::DELETE_SCHEDULE, params![id])?;
                Ok(())
            })
            .await
    }

    async fn schedules_of_user(
        &self, user: UserId, after: DateTime<Utc>,
    ) -> Result<Vec<(Schedule, Vec<Override>)>, StoreError> {
        self.read(move |c| {
            let all = c
                .prepare_cached(sql::ALL_SCHEDULES)?
                .query_map([], schedule)?
                .collect::<Result<Vec<_>, _>>()?;
            let overriding = c
                .prepare_cached(sql::SCHEDULES_OVERRIDING_USER)?
                .query_map(params![user, to_db(after)], |r| r.get(0))?
                .collect::<Result<HashSet<ScheduleId>, _>>()?;
            records::of_user(all, &overriding, user)
                .into_iter()
                .map(|s| {
                    let o = overrides_after(c, s.id, after)?;
                    Ok((s, o))
                })
                .collect()
        })
        .await
    }
}
