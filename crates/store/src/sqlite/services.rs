//! Services.

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use tocsin_core::model::{Scope, Service};
use tocsin_core::{ServiceId, TeamId};

use super::rows::{self, SERVICE_COLS};
use super::time::to_db;
use super::{scope_sql, SqliteStore};
use crate::{records, require_team, sql, ServiceStore, StoreError};

pub(super) fn insert(
    c: &Connection, team: TeamId, name: &str, key: &str,
) -> Result<Service, StoreError> {
    c.query_row(sql::TEAM_EXISTS, params![team], |_| Ok(()))
        .optional()?
        .ok_or(StoreError::NotFound("team"))?;
    let svc = records::service(team, name, key);
    let hash = tocsin_core::secret::hash(key);
    c.execute(
        sql::INSERT_SERVICE,
        params![
            svc.id,
            team,
            name,
            key,
            hash.as_slice(),
            to_db(svc.created_at)
        ],
    )
    .map_err(|e| {
        StoreError::from(e).conflict_as(|| format!("the team already has a service named {name:?}"))
    })?;
    Ok(svc)
}

#[async_trait]
impl ServiceStore for SqliteStore {
    async fn create_service(
        &self, scope: &Scope, team: TeamId, name: &str, api_key: &str,
    ) -> Result<Service, StoreError> {
        require_team(scope, team, "team")?;
        let (name, key) = (name.to_owned(), api_key.to_owned());
        self.writer
            .write(move |c| insert(c, team, &name, &key))
            .await
    }

    async fn list_services(
        &self, scope: &Scope, team: Option<TeamId>,
    ) -> Result<Vec<Service>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = Vec::new();
            let mut sql = format!(
                "SELECT {SERVICE_COLS} FROM services WHERE 1{}",
                scope_sql(&scope, "team_id", &mut args)
            );
            if let Some(t) = team {
                sql.push_str(" AND team_id = ?");
                args.push(Value::Text(t.to_string()));
            }
            sql.push_str(" ORDER BY name");
            let rows = c
                .prepare_cached(&sql)?
                .query_map(params_from_iter(args), rows::service)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn get_service(&self, scope: &Scope, id: ServiceId) -> Result<Service, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = vec![Value::Text(id.to_string())];
            let sql = format!(
                "SELECT {SERVICE_COLS} FROM services WHERE id = ?{}",
                scope_sql(&scope, "team_id", &mut args)
            );
            c.prepare_cached(&sql)?
                .query_row(params_from_iter(args), rows::service)
                .optional()?
                .ok_or(StoreError::NotFound("service"))
        })
        .await
    }
}
