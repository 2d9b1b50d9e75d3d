//! [`RuleStore`] and [`MaintenanceWindowStore`] for SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use tocsin_core::model::Scope;
use tocsin_core::noise::records::{MaintenanceWindow, StoredAlert, WindowEnd};
use tocsin_core::noise::rules::RuleSpec;
use tocsin_core::noise::windows::WindowSpec;
use tocsin_core::{MaintenanceWindowId, ServiceId, TeamId};

use super::time::{from_db, to_db};
use super::SqliteStore;
use crate::noise::{
    not_in_team, routes, rules_from_json, rules_to_json, sql, MaintenanceWindowStore, RuleStore,
};
use crate::{require_team, StoreError};

/// The service's team, if `scope` sees it.
fn team_of(c: &Connection, scope: &Scope, service: ServiceId) -> Result<TeamId, StoreError> {
    let team: TeamId = c
        .query_row(sql::SERVICE_TEAM, params![service], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound("service"))?;
    require_team(scope, team, "service")?;
    Ok(team)
}

fn window(r: &Row<'_>) -> rusqlite::Result<MaintenanceWindow> {
    Ok(MaintenanceWindow {
        id: r.get(0)?,
        service_id: r.get(1)?,
        spec: WindowSpec {
            start: from_db(r.get(2)?),
            end: r.get::<_, Option<i64>>(3)?.map(from_db),
            time_zone: Some(r.get(4)?),
            weekly: r.get(5)?,
        },
        ended_at: r.get::<_, Option<i64>>(6)?.map(from_db),
        created_by: r.get(7)?,
        created_at: from_db(r.get(8)?),
    })
}

#[async_trait]
impl RuleStore for SqliteStore {
    async fn service_rules(
        &self, scope: &Scope, service: ServiceId,
    ) -> Result<Vec<RuleSpec>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            team_of(c, &scope, service)?;
            let text: Option<String> = c
                .query_row(sql::RULES, params![service], |r| r.get(0))
                .optional()?;
            text.map_or(Ok(Vec::new()), |t| rules_from_json(&t))
        })
        .await
    }

    async fn set_service_rules(
        &self, scope: &Scope, service: ServiceId, rules: &[RuleSpec], actor: &str,
    ) -> Result<(), StoreError> {
        let scope = scope.clone();
        let json = rules_to_json(rules)?;
        let routes = routes(rules);
        let actor = actor.to_owned();
        let now = to_db(crate::records::now_micros());
        self.writer
            .write(move |c| {
                let team = team_of(c, &scope, service)?;
                for (i, target) in &routes {
                    c.query_row(sql::SERVICE_IN_TEAM, params![target, team], |_| Ok(()))
                        .optional()?
                        .ok_or_else(|| not_in_team(*i, *target))?;
                }
                c.execute(sql::UPSERT_RULES, params![service, json, now, actor])?;
                Ok(())
            })
            .await
    }

    async fn recent_alerts(
        &self, scope: &Scope, service: ServiceId, limit: u32,
    ) -> Result<Vec<StoredAlert>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            team_of(c, &scope, service)?;
            let rows = c
                .prepare_cached(sql::RECENT_ALERTS)?
                .query_map(params![service, i64::from(limit)], |r| {
                    Ok(StoredAlert {
                        event_id: r.get(0)?,
                        incident_id: r.get(1)?,
                        source: r.get(2)?,
                        received_at: from_db(r.get(3)?),
                        payload: r.get(4)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }
}

#[async_trait]
impl MaintenanceWindowStore for SqliteStore {
    async fn create_maintenance_window(
        &self, scope: &Scope, service: ServiceId, spec: &WindowSpec, actor: &str,
    ) -> Result<MaintenanceWindow, StoreError> {
        let scope = scope.clone();
        let w = MaintenanceWindow::new(service, spec, actor, crate::records::now_micros());
        self.writer
            .write(move |c| {
                team_of(c, &scope, service)?;
                c.execute(
                    sql::INSERT_WINDOW,
                    params![
                        w.id,
                        service,
                        to_db(w.spec.start),
                        w.spec.end.map(to_db),
                        w.spec.time_zone,
                        w.spec.weekly,
                        w.created_by,
                        to_db(w.created_at)
                    ],
                )?;
                Ok(w.clone())
            })
            .await
    }

    async fn list_maintenance_windows(
        &self, scope: &Scope, service: ServiceId,
    ) -> Result<Vec<MaintenanceWindow>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            team_of(c, &scope, service)?;
            let rows = c
                .prepare_cached(sql::LIST_WINDOWS)?
                .query_map(params![service], window)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn end_maintenance_window(
        &self, scope: &Scope, service: ServiceId, id: MaintenanceWindowId, at: DateTime<Utc>,
    ) -> Result<WindowEnd, StoreError> {
        let scope = scope.clone();
        self.writer
            .write(move |c| {
                team_of(c, &scope, service)?;
                let w = c
                    .query_row(sql::GET_WINDOW, params![id, service], window)
                    .optional()?
                    .ok_or(StoreError::NotFound("maintenance window"))?;
                if w.ends_by_removal(at) {
                    c.execute(sql::DELETE_WINDOW, params![id])?;
                    Ok(WindowEnd::Removed)
                } else {
                    c.execute(sql::END_WINDOW, params![to_db(at), id])?;
                    Ok(WindowEnd::Ended)
                }
            })
            .await
    }

    async fn noise_config(
        &self, service: ServiceId, at: DateTime<Utc>,
    ) -> Result<(Vec<RuleSpec>, Vec<MaintenanceWindow>), StoreError> {
        self.read(move |c| {
            let text: Option<String> = c
                .prepare_cached(sql::RULES)?
                .query_row(params![service], |r| r.get(0))
                .optional()?;
            let rules = text.map_or(Ok(Vec::new()), |t| rules_from_json(&t))?;
            let windows = c
                .prepare_cached(sql::LIVE_WINDOWS)?
                .query_map(params![service, to_db(at)], window)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok((rules, windows))
        })
        .await
    }
}
