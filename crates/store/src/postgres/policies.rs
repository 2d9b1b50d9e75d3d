//! [`PolicyStore`] for PostgreSQL, behaving as SQLite's does. Each write runs in one
//! transaction with its checks: the channels and schedules a policy names are locked shared
//! while it is written (their deletes lock them exclusively, see `channels.rs` and
//! `schedules.rs`), the policy given to a service is locked shared until the service names
//! it, and the foreign key from services refuses the delete of a policy a service took
//! meanwhile.

use std::collections::HashSet;

use async_trait::async_trait;
use tocsin_core::model::{Scope, Service};
use tocsin_core::paging::policy::{PolicyRules, Target};
use tocsin_core::paging::records::EscalationPolicy;
use tocsin_core::{PolicyId, ServiceId, TeamId};
use tokio_postgres::GenericClient;

use super::bind::col;
use super::rows::SERVICE_COLS;
use super::{bounded, conflict_as, refs, rows, scope_sql, Params, PgStore};
use crate::paging::PolicyStore;
use crate::paging_sql::{self as sql, POLICY_COLS};
use crate::schedule_sql::SCHEDULE_IN_TEAM;
use crate::{records, require_team, sql as common, StoreError};

async fn get_in(
    c: &impl GenericClient, scope: &Scope, id: PolicyId, lock: &str,
) -> Result<EscalationPolicy, StoreError> {
    let mut args: Params = vec![Box::new(id)];
    let q = format!(
        "SELECT {POLICY_COLS} FROM escalation_policies WHERE id = $1{}{lock}",
        scope_sql(scope, "team_id", &mut args)
    );
    c.query_opt(&q, &refs(&args))
        .await?
        .as_ref()
        .map(rows::policy)
        .transpose()?
        .ok_or(StoreError::NotFound("escalation policy"))
}

/// Core's check of the targets against what the database holds for `team`, locking the
/// channels found until the transaction ends.
async fn check_targets(
    c: &impl GenericClient, team: TeamId, rules: &PolicyRules,
) -> Result<(), StoreError> {
    let mut found = HashSet::new();
    let channel_in_team = format!("{} FOR SHARE", sql::CHANNEL_IN_TEAM);
    let schedule_in_team = format!("{SCHEDULE_IN_TEAM} FOR SHARE");
    for t in rules.targets() {
        let exists = match t {
            Target::User { id } => c.query_opt(sql::USER_EXISTS, &[&id]).await?.is_some(),
            Target::Channel { id } => c
                .query_opt(&channel_in_team, &[&id, &team])
                .await?
                .is_some(),
            Target::Schedule { id } => c
                .query_opt(&schedule_in_team, &[&id, &team])
                .await?
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
impl PolicyStore for PgStore {
    async fn create_policy(
        &self, scope: &Scope, team: TeamId, name: &str, rules: &PolicyRules,
    ) -> Result<EscalationPolicy, StoreError> {
        require_team(scope, team, "team")?;
        let p = records::policy(team, name, rules);
        let text = records::rules_json(rules)?;
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            tx.query_opt(common::TEAM_EXISTS, &[&team])
                .await?
                .ok_or(StoreError::NotFound("team"))?;
            check_targets(&*tx, team, rules).await?;
            tx.execute(
                sql::INSERT_POLICY,
                &[&p.id, &team, &p.name, &text, &p.created_at, &p.updated_at],
            )
            .await
            .map_err(|e| conflict_as(e, name_taken(&p.name)))?;
            tx.commit().await?;
            Ok(p)
        })
        .await
    }

    async fn list_policies(
        &self, scope: &Scope, team: Option<TeamId>,
    ) -> Result<Vec<EscalationPolicy>, StoreError> {
        bounded(async {
            let mut args = Params::new();
            let mut q = format!(
                "SELECT {POLICY_COLS} FROM escalation_policies WHERE true{}",
                scope_sql(scope, "team_id", &mut args)
            );
            if let Some(t) = team {
                args.push(Box::new(t));
                q.push_str(&format!(" AND team_id = ${}", args.len()));
            }
            q.push_str(" ORDER BY name, id");
            let rows = self.client().await?.query(&q, &refs(&args)).await?;
            rows::all(&rows, rows::policy)
        })
        .await
    }

    async fn get_policy(
        &self, scope: &Scope, id: PolicyId,
    ) -> Result<EscalationPolicy, StoreError> {
        bounded(async { get_in(&**self.client().await?, scope, id, "").await }).await
    }

    async fn update_policy(
        &self, scope: &Scope, id: PolicyId, name: &str, rules: &PolicyRules,
    ) -> Result<EscalationPolicy, StoreError> {
        let text = records::rules_json(rules)?;
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let old = get_in(&*tx, scope, id, " FOR UPDATE").await?;
            check_targets(&*tx, old.team_id, rules).await?;
            let p = records::updated_policy(old, name, rules);
            tx.execute(sql::UPDATE_POLICY, &[&p.name, &text, &p.updated_at, &id])
                .await
                .map_err(|e| conflict_as(e, name_taken(&p.name)))?;
            tx.commit().await?;
            Ok(p)
        })
        .await
    }

    async fn delete_policy(&self, scope: &Scope, id: PolicyId) -> Result<(), StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            get_in(&*tx, scope, id, " FOR UPDATE").await?;
            if let Some(r) = tx.query_opt(sql::SERVICE_USING_POLICY, &[&id]).await? {
                let service: String = col(&r, 0)?;
                return Err(StoreError::Conflict(records::policy_in_use(Some(&service))));
            }
            // The foreign key from services is the backstop; the check above names the service.
            tx.execute(sql::DELETE_POLICY, &[&id])
                .await
                .map_err(|e| conflict_as(e, || records::policy_in_use(None)))?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn set_service_policy(
        &self, scope: &Scope, service: ServiceId, policy: Option<PolicyId>,
    ) -> Result<Service, StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let mut args: Params = vec![Box::new(service)];
            let q = format!(
                "SELECT {SERVICE_COLS} FROM services WHERE id = $1{} FOR UPDATE",
                scope_sql(scope, "team_id", &mut args)
            );
            let svc = tx
                .query_opt(&q, &refs(&args))
                .await?
                .as_ref()
                .map(rows::service)
                .transpose()?
                .ok_or(StoreError::NotFound("service"))?;
            if let Some(p) = policy {
                let team: Option<TeamId> = tx
                    .query_opt(&format!("{} FOR SHARE", sql::POLICY_TEAM), &[&p])
                    .await?
                    .map(|r| col(&r, 0))
                    .transpose()?;
                if team != Some(svc.team_id) {
                    return Err(records::foreign_policy(p));
                }
            }
            tx.execute(sql::SET_SERVICE_POLICY, &[&policy, &service])
                .await?;
            tx.commit().await?;
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
        bounded(async {
            let mut args: Params = vec![Box::new(service)];
            let q = format!(
                "SELECT escalation_policy_id FROM services WHERE id = $1{}",
                scope_sql(scope, "team_id", &mut args)
            );
            let row = self
                .client()
                .await?
                .query_opt(&q, &refs(&args))
                .await?
                .ok_or(StoreError::NotFound("service"))?;
            col(&row, 0)
        })
        .await
    }
}
