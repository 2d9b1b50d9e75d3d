//! [`RuleStore`] and [`MaintenanceWindowStore`] for PostgreSQL, behaving as SQLite's do.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tocsin_core::model::Scope;
use tocsin_core::noise::records::{MaintenanceWindow, StoredAlert, WindowEnd};
use tocsin_core::noise::rules::RuleSpec;
use tocsin_core::noise::windows::WindowSpec;
use tocsin_core::{MaintenanceWindowId, ServiceId, TeamId};
use tokio_postgres::Row;

use super::bind::col;
use super::{bounded, PgStore};
use crate::noise::{
    not_in_team, routes, rules_from_json, rules_to_json, sql, MaintenanceWindowStore, RuleStore,
};
use crate::{require_team, StoreError};

/// The service's team, if `scope` sees it.
async fn team_of(
    c: &impl deadpool_postgres::GenericClient, scope: &Scope, service: ServiceId,
) -> Result<TeamId, StoreError> {
    let row = c
        .query_opt(sql::SERVICE_TEAM, &[&service])
        .await?
        .ok_or(StoreError::NotFound("service"))?;
    let team: TeamId = col(&row, 0)?;
    require_team(scope, team, "service")?;
    Ok(team)
}

fn window(r: &Row) -> Result<MaintenanceWindow, StoreError> {
    Ok(MaintenanceWindow {
        id: col(r, 0)?,
        service_id: col(r, 1)?,
        spec: WindowSpec {
            start: col(r, 2)?,
            end: col(r, 3)?,
            time_zone: Some(col(r, 4)?),
            weekly: col(r, 5)?,
        },
        ended_at: col(r, 6)?,
        created_by: col(r, 7)?,
        created_at: col(r, 8)?,
    })
}

#[async_trait]
impl RuleStore for PgStore {
    async fn service_rules(
        &self, scope: &Scope, service: ServiceId,
    ) -> Result<Vec<RuleSpec>, StoreError> {
        bounded(async {
            let c = self.client().await?;
            team_of(&c, scope, service).await?;
            match c.query_opt(sql::RULES, &[&service]).await? {
                Some(r) => rules_from_json(&col::<String>(&r, 0)?),
                None => Ok(Vec::new()),
            }
        })
        .await
    }

    async fn set_service_rules(
        &self, scope: &Scope, service: ServiceId, rules: &[RuleSpec], actor: &str,
    ) -> Result<(), StoreError> {
        let json = rules_to_json(rules)?;
        let now = crate::records::now_micros();
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let team = team_of(&tx, scope, service).await?;
            for (i, target) in routes(rules) {
                tx.query_opt(
                    &format!("{} FOR SHARE", sql::SERVICE_IN_TEAM),
                    &[&target, &team],
                )
                .await?
                .ok_or_else(|| not_in_team(i, target))?;
            }
            tx.execute(sql::UPSERT_RULES, &[&service, &json, &now, &actor])
                .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    async fn recent_alerts(
        &self, scope: &Scope, service: ServiceId, limit: u32,
    ) -> Result<Vec<StoredAlert>, StoreError> {
        bounded(async {
            let c = self.client().await?;
            team_of(&c, scope, service).await?;
            c.query(sql::RECENT_ALERTS, &[&service, &i64::from(limit)])
                .await?
                .iter()
                .map(|r| {
                    Ok(StoredAlert {
                        event_id: col(r, 0)?,
                        incident_id: col(r, 1)?,
                        source: col(r, 2)?,
                        received_at: col(r, 3)?,
                        payload: col(r, 4)?,
                    })
                })
                .collect()
        })
        .await
    }
}

#[async_trait]
impl MaintenanceWindowStore for PgStore {
    async fn create_maintenance_window(
        &self, scope: &Scope, service: ServiceId, spec: &WindowSpec, actor: &str,
    ) -> Result<MaintenanceWindow, StoreError> {
        let w = MaintenanceWindow::new(service, spec, actor, crate::records::now_micros());
        bounded(async {
            let c = self.client().await?;
            team_of(&c, scope, service).await?;
            c.execute(
                sql::INSERT_WINDOW,
                &[
                    &w.id,
                    &service,
                    &w.spec.start,
                    &w.spec.end,
                    &w.spec.time_zone,
                    &w.spec.weekly,
                    &w.created_by,
                    &w.created_at,
                ],
            )
            .await?;
            Ok(w)
        })
        .await
    }

    async fn list_maintenance_windows(
        &self, scope: &Scope, service: ServiceId,
    ) -> Result<Vec<MaintenanceWindow>, StoreError> {
        bounded(async {
            let c = self.client().await?;
            team_of(&c, scope, service).await?;
            c.query(sql::LIST_WINDOWS, &[&service])
                .await?
                .iter()
                .map(window)
                .collect()
        })
        .await
    }

    async fn end_maintenance_window(
        &self, scope: &Scope, service: ServiceId, id: MaintenanceWindowId, at: DateTime<Utc>,
    ) -> Result<WindowEnd, StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            team_of(&tx, scope, service).await?;
            let row = tx
                .query_opt(&format!("{} FOR UPDATE", sql::GET_WINDOW), &[&id, &service])
                .await?
                .ok_or(StoreError::NotFound("maintenance window"))?;
            let w = window(&row)?;
            let end = if w.ends_by_removal(at) {
                tx.execute(sql::DELETE_WINDOW, &[&id]).await?;
                WindowEnd::Removed
            } else {
                tx.execute(sql::END_WINDOW, &[&at, &id]).await?;
                WindowEnd::Ended
            };
            tx.commit().await?;
            Ok(end)
        })
        .await
    }

    async fn noise_config(
        &self, service: ServiceId, at: DateTime<Utc>,
    ) -> Result<(Vec<RuleSpec>, Vec<MaintenanceWindow>), StoreError> {
        bounded(async {
            let c = self.client().await?;
            let rules = match c.query_opt(sql::RULES, &[&service]).await? {
                Some(r) => rules_from_json(&col::<String>(&r, 0)?)?,
                None => Vec::new(),
            };
            let windows = c
                .query(sql::LIVE_WINDOWS, &[&service, &at])
                .await?
                .iter()
                .map(window)
                .collect::<Result<_, _>>()?;
            Ok((rules, windows))
        })
        .await
    }
}
