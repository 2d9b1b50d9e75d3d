//! [`ScheduleStore`] for PostgreSQL, behaving as SQLite's does. A schedule being deleted is
//! locked first (`FOR UPDATE`) and a policy naming it locks it shared while it is written
//! (`policies.rs`), so a policy cannot come to name a schedule deleted under it.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tocsin_core::model::Scope;
use tocsin_core::schedule::records::{Schedule, ScheduleOverride};
use tocsin_core::schedule::{Override, ScheduleRules};
use tocsin_core::{ScheduleId, TeamId, UserId};
use tokio_postgres::{GenericClient, Row};

use super::bind::col;
use super::{bounded, conflict_as, refs, rows, scope_sql, Params, PgStore};
use crate::paging_sql::{TEAM_POLICY_RULES, USER_EXISTS};
use crate::schedule_records as records;
use crate::schedule_sql::{self as sql, SCHEDULE_COLS};
use crate::schedules::ScheduleStore;
use crate::{require_team, sql as common, StoreError};

pub(super) fn schedule(r: &Row) -> Result<Schedule, StoreError> {
    let rules: String = col(r, 3)?;
    Ok(Schedule {
        id: col(r, 0)?,
        team_id: col(r, 1)?,
        name: col(r, 2)?,
        rules: records::parse_rules(&rules)?,
        created_at: col(r, 4)?,
        updated_at: col(r, 5)?,
    })
}

pub(super) fn schedule_override(r: &Row) -> Result<ScheduleOverride, StoreError> {
    Ok(ScheduleOverride {
        id: col(r, 0)?,
        schedule_id: col(r, 1)?,
        user_id: col(r, 2)?,
        start: col(r, 3)?,
        end: col(r, 4)?,
        created_at: col(r, 5)?,
    })
}

/// The schedule if `scope` sees it; `lock` is appended (`FOR UPDATE`, `FOR SHARE`, or nothing).
pub(super) async fn get_in(
    c: &impl GenericClient, scope: &Scope, id: ScheduleId, lock: &str,
) -> Result<Schedule, StoreError> {
    let mut args: Params = vec![Box::new(id)];
    let q = format!(
        "SELECT {SCHEDULE_COLS} FROM schedules WHERE id = $1{}{lock}",
        scope_sql(scope, "team_id", &mut args)
    );
    c.query_opt(&q, &refs(&args))
        .await?
        .as_ref()
        .map(schedule)
        .transpose()?
        .ok_or(StoreError::NotFound("schedule"))
}

/// Every participant exists; those found are locked shared until the transaction ends.
async fn check_participants(
    c: &impl GenericClient, rules: &ScheduleRules,
) -> Result<(), StoreError> {
    let mut found = HashSet::new();
    let q = format!("{USER_EXISTS} FOR SHARE");
    for l in &rules.layers {
        for u in &l.participants {
            if !found.contains(u) && c.query_opt(&q, &[u]).await?.is_some() {
                found.insert(*u);
            }
        }
    }
    records::check_participants(rules, |u| Ok(found.contains(&u)))
}

pub(super) async fn overrides_after(
    c: &impl GenericClient, id: ScheduleId, after: DateTime<Utc>,
) -> Result<Vec<Override>, StoreError> {
    c.query(sql::OVERRIDES_AFTER, &[&id, &after])
        .await?
        .iter()
        .map(|r| {
            Ok(Override {
                user: col(r, 0)?,
                start: col(r, 1)?,
                end: col(r, 2)?,
            })
        })
        .collect()
}

#[async_trait]
impl ScheduleStore for PgStore {
    async fn create_schedule(
        &self, scope: &Scope, team: TeamId, name: &str, rules: &ScheduleRules,
    ) -> Result<Schedule, StoreError> {
        require_team(scope, team, "team")?;
        let s = records::schedule(team, name, rules);
        let text = records::rules_json(rules)?;
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            tx.query_opt(common::TEAM_EXISTS, &[&team])
                .await?
                .ok_or(StoreError::NotFound("team"))?;
            check_participants(&*tx, rules).await?;
            tx.execute(
                sql::INSERT_SCHEDULE,
                &[&s.id, &team, &s.name, &text, &s.created_at, &s.updated_at],
            )
            .await
            .map_err(|e| conflict_as(e, records::name_taken(&s.name)))?;
            tx.commit().await?;
            Ok(s)
        })
        .await
    }

    async fn list_schedules(
        &self, scope: &Scope, team: Option<TeamId>,
    ) -> Result<Vec<Schedule>, StoreError> {
        bounded(async {
            let mut args = Params::new();
            let mut q = format!(
                "SELECT {SCHEDULE_COLS} FROM schedules WHERE true{}",
                scope_sql(scope, "team_id", &mut args)
            );
            if let Some(t) = team {
                args.push(Box::new(t));
                q.push_str(&format!(" AND team_id = ${}", args.len()));
            }
            q.push_str(" ORDER BY name, id");
            let rows = self.client().await?.query(&q, &refs(&args)).await?;
            rows::all(&rows, schedule)
        })
        .await
    }

    async fn get_schedule(&self, scope: &Scope, id: ScheduleId) -> Result<Schedule, StoreError> {
        bounded(async { get_in(&**self.client().await?, scope, id, "").await }).await
    }

    async fn update_schedule(
        &self, scope: &Scope, id: ScheduleId, name: &str, rules: &ScheduleRules,
    ) -> Result<Schedule, StoreError> {
        let text = records::rules_json(rules)?;
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let old = get_in(&*tx, scope, id, " FOR UPDATE").await?;
            check_participants(&*tx, rules).await?;
            let s = records::updated_schedule(old, name, rules);
            tx.execute(sql::UPDATE_SCHEDULE, &[&s.name, &text, &s.updated_at, &id])
                .await
                .map_err(|e| conflict_as(e, records::name_taken(&s.name)))?;
            tx.commit().await?;
            Ok(s)
        })
        .await
    }

    async fn delete_schedule(&self, scope: &Scope, id: ScheduleId) -> Result<(), StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            // Locked first: a policy naming it waits for this transaction (FOR SHARE in
            // `policies.rs`), then finds it gone.
            let s = get_in(&*tx, scope, id, " FOR UPDATE").await?;
            let policies = tx
                .query(TEAM_POLICY_RULES, &[&s.team_id])
                .await?
                .iter()
                .map(|r| Ok((col(r, 0)?, col(r, 1)?)))
                .collect::<Result<Vec<(String, String)>, StoreError>>()?;
            records::check_schedule_unused(policies, id)?;
            tx.execute(sql::DELETE_SCHEDULE, &[&id]).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn schedules_of_user(
        &self, user: UserId, after: DateTime<Utc>,
    ) -> Result<Vec<(Schedule, Vec<Override>)>, StoreError> {
        bounded(async {
            let c = self.client().await?;
            let all = rows::all(&c.query(sql::ALL_SCHEDULES, &[]).await?, schedule)?;
            let overriding = c
                .query(sql::SCHEDULES_OVERRIDING_USER, &[&user, &after])
                .await?
                .iter()
                .map(|r| col(r, 0))
                .collect::<Result<HashSet<ScheduleId>, _>>()?;
            let mut out = Vec::new();
            for s in records::of_user(all, &overriding, user) {
                let o = overrides_after(&**c, s.id, after).await?;
                out.push((s, o));
            }
            Ok(out)
        })
        .await
    }
}
