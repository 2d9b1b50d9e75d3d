//! [`PolicyStore`] for SQLite: escalation policies, and which one a service runs. The single
//! writer runs each check with its write, so a target cannot vanish between them.

use std::collections::HashSet;

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use tocsin_core::model::{Scope, Service};
use tocsin_core::paging::policy::{PolicyRules, Target};
use tocsin_core::paging::records::EscalationPolicy;
use tocsin_core::{PolicyId, ServiceId, TeamId};

use super::rows::{self, SERVICE_COLS};
use super::time::to_db;
use super::{scope_sql, SqliteStore};
use crate::paging::PolicyStore;
use crate::paging_sql::{self as sql, POLICY_COLS};
use crate::schedule_sql::SCHEDULE_IN_TEAM;
use crate::{records, require_team, sql as common, StoreError};

fn get_in(c: &Connection, scope: &Scope, id: PolicyId) -> Result<EscalationPolicy, StoreError> {
    let mut args = vec![Value::Text(id.to_string())];
    let q = format!(
        "SELECT {POLICY_COLS} FROM escalation_policies WHERE id = ?{}",
        scope_sql(scope, "team_id", &mut args)
    );
    c.prepare_cached(&q)?
        .query_row(params_from_iter(args), rows::policy)
        .optional()?
        .ok_or(StoreError::NotFound("escalation policy"))
}

/// Core's check of the targets against what the database holds for `team`.
fn check_targets(c: &Connection, team: TeamId, rules: &PolicyRules) -> Result<(), StoreError> {
    let mut found = HashSet::new();
    for t in rules.targets() {
        let exists = match t {
            Target::User { id } => c
                .query_row(sql::USER_EXISTS, params![id], |_| Ok(()))
                .optional()?
                .is_some(),
            Target::Channel { id } => c
                .query_row(sql::CHANNEL_IN_TEAM, params![id, team], |_| Ok(()))
                .optional()?
                .is_some(),
            Target::Schedule { id } => c
                .query_row(SCHEDULE_IN_TEAM, params![id, team], |_| Ok(()))
                .optional()?
                .is_some(),
        };
        if exists {
            found.insert(t);
        }
    }
    records::check_targets(rules, &found)
}

fn name_taken(name: &str) -> impl FnOnce() -> String + '_ {
    move || format!("the team already has an escalation policy named {name:?}")
}

#[async_trait]
impl PolicyStore for SqliteStore {
    async fn create_policy(
        &self, scope: &Scope, team: TeamId, name: &str, rules: &PolicyRules,
    ) -> Result<EscalationPolicy, StoreError> {
        require_team(scope, team, "team")?;
        let p = records::policy(team, name, rules);
        let text = records::rules_json(rules)?;
        self.writer
            .write(move |c| {
                c.query_row(common::TEAM_EXISTS, params![team], |_| Ok(()))
                    .optional()?
                    .ok_or(StoreError::NotFound("team"))?;
                check_targets(c, team, &p.rules)?;
                c.execute(
                    sql::INSERT_POLICY,
                    params![
                        p.id,
                        team,
                        p.name,
                        text,
                        to_db(p.created_at),
                        to_db(p.updated_at)
                    ],
                )
                .map_err(|e| StoreError::from(e).conflict_as(name_taken(&p.name)))?;
                Ok(p.clone())
            })
            .await
    }

    async fn list_policies(
        &self, scope: &Scope, team: Option<TeamId>,
    ) -> Result<Vec<EscalationPolicy>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = Vec::new();
            let mut q = format!(
                "SELECT {POLICY_COLS} FROM escalation_policies WHERE 1{}",
                scope_sql(&scope, "team_id", &mut args)
            );
            if let Some(t) = team {
                q.push_str(" AND team_id = ?");
                args.push(Value::Text(t.to_string()));
            }
            q.push_str(" ORDER BY name, id");
            let rows = c
                .prepare_cached(&q)?
                .query_map(params_from_iter(args), rows::policy)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn get_policy(
        &self, scope: &Scope, id: PolicyId,
    ) -> Result<EscalationPolicy, StoreError> {
        let scope = scope.clone();
        self.read(move |c| get_in(c, &scope, id)).await
    }

    async fn update_policy(
        &self, scope: &Scope, id: PolicyId, name: &str, rules: &PolicyRules,
    ) -> Result<EscalationPolicy, StoreError> {
        let scope = scope.clone();
        let (name, rules) = (name.to_owned(), rules.clone());
        let text = records::rules_json(&rules)?;
        self.writer
            .write(move |c| {
                let old = get_in(c, &scope, id)?;
                check_targets(c, old.team_id, &rules)?;
                let p = records::updated_policy(old, &name, &rules);
                c.execute(
                    sql::UPDATE_POLICY,
                    params![p.name, text, to_db(p.updated_at), id],
                )
                .map_err(|e| StoreError::from(e).conflict_as(name_taken(&p.name)))?;
                Ok(p)
            })
            .await
    }

    async fn delete_policy(&self, scope: &Scope, id: PolicyId) -> Result<(), StoreError> {
        let scope = scope.clone();
        self.writer
            .write(move |c| {
                get_in(c, &scope, id)?;
                let user: Option<String> = c
                    .query_row(sql::SERVICE_USING_POLICY, params![id], |r| r.get(0))
                    .optional()?;
                if let Some(service) = user {
                    return Err(StoreError::Conflict(records::policy_in_use(Some(&service))));
                }
                c.execute(sql::DELETE_POLICY, params![id]).map_err(|e| {
                    StoreError::from(e).conflict_as(|| records::policy_in_use(None))
                })?;
                Ok(())
            })
            .await
    }

    async fn set_service_policy(
        &self, scope: &Scope, service: ServiceId, policy: Option<PolicyId>,
    ) -> Result<Service, StoreError> {
        let scope = scope.clone();
        self.writer
            .write(move |c| {
                let mut args = vec![Value::Text(service.to_string())];
                let q = format!(
                    "SELECT {SERVICE_COLS} FROM services WHERE id = ?{}",
                    scope_sql(&scope, "team_id", &mut args)
                );
                let svc = c
                    .prepare_cached(&q)?
                    .query_row(params_from_iter(args), rows::service)
                    .optional()?
                    .ok_or(StoreError::NotFound("service"))?;
                if let Some(p) = policy {
                    let team: Option<TeamId> = c
                        .query_row(sql::POLICY_TEAM, params![p], |r| r.get(0))
                        .optional()?;
                    if team != Some(svc.team_id) {
                        return Err(records::foreign_policy(p));
                    }
                }
                c.execute(sql::SET_SERVICE_POLICY, params![policy, service])?;
                Ok(Service {
                    escalation_policy_id: policy,
                    ..svc
                })
            })
            .await
    }

    async fn service_policy(
        &self, scope: &Scope, service: ServiceId,
    ) -> Result<Option<PolicyId>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = vec![Value::Text(service.to_string())];
            let q = format!(
                "SELECT escalation_policy_id FROM services WHERE id = ?{}",
                scope_sql(&scope, "team_id", &mut args)
            );
            c.prepare_cached(&q)?
                .query_row(params_from_iter(args), |r| r.get(0))
                .optional()?
                .ok_or(StoreError::NotFound("service"))
        })
        .await
    }
}
