//! Services.

use async_trait::async_trait;
use tocsin_core::model::{Scope, Service};
use tocsin_core::{ServiceId, TeamId};
use tokio_postgres::GenericClient;

use super::rows::{self, SERVICE_COLS};
use super::{bounded, conflict_as, pg, refs, scope_sql, Params, PgStore};
use crate::{records, require_team, sql, ServiceStore, StoreError};

pub(super) async fn insert(
    c: &impl GenericClient, team: TeamId, name: &str, key: &str,
) -> Result<Service, StoreError> {
    c.query_opt(sql::TEAM_EXISTS, &[&team])
        .await?
        .ok_or(StoreError::NotFound("team"))?;
    let svc = records::service(team, name, key);
    let hash = tocsin_core::secret::hash(key);
    c.execute(
        sql::INSERT_SERVICE,
        &[
            &svc.id,
            &team,
            &name,
            &key,
            &hash.as_slice(),
            &svc.created_at,
        ],
    )
    .await
    .map_err(|e| {
        conflict_as(e, || {
            format!("the team already has a service named {name:?}")
        })
    })?;
    Ok(svc)
}

#[async_trait]
impl ServiceStore for PgStore {
    async fn create_service(
        &self, scope: &Scope, team: TeamId, name: &str, api_key: &str,
    ) -> Result<Service, StoreError> {
        require_team(scope, team, "team")?;
        bounded(async { insert(pg(&self.client().await?), team, name, api_key).await }).await
    }

    async fn list_services(
        &self, scope: &Scope, team: Option<TeamId>,
    ) -> Result<Vec<Service>, StoreError> {
        bounded(async {
            let mut args = Params::new();
            let mut sql = format!(
                "SELECT {SERVICE_COLS} FROM services WHERE true{}",
                scope_sql(scope, "team_id", &mut args)
            );
            if let Some(t) = team {
                args.push(Box::new(t));
                sql.push_str(&format!(" AND team_id = ${}", args.len()));
            }
            sql.push_str(" ORDER BY name");
            let rows = self.client().await?.query(&sql, &refs(&args)).await?;
            rows::all(&rows, rows::service)
        })
        .await
    }

    async fn get_service(&self, scope: &Scope, id: ServiceId) -> Result<Service, StoreError> {
        bounded(async {
            let mut args: Params = vec![Box::new(id)];
            let sql = format!(
                "SELECT {SERVICE_COLS} FROM services WHERE id = $1{}",
                scope_sql(scope, "team_id", &mut args)
            );
            self.client()
                .await?
                .query_opt(&sql, &refs(&args))
                .await?
                .as_ref()
                .map(rows::service)
                .transpose()?
                .ok_or(StoreError::NotFound("service"))
        })
        .await
    }
}
