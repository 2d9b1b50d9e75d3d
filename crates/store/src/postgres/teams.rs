//! Teams.

use async_trait::async_trait;
use tocsin_core::model::{Scope, Team};
use tocsin_core::TeamId;
use tokio_postgres::GenericClient;

use super::rows::{self, TEAM_COLS};
use super::{bounded, conflict_as, pg, refs, scope_sql, Params, PgStore};
use crate::{records, sql, StoreError, TeamStore};

pub(super) async fn insert(c: &impl GenericClient, name: &str) -> Result<Team, StoreError> {
    let team = records::team(name);
    c.execute(sql::INSERT_TEAM, &[&team.id, &team.name, &team.created_at])
        .await
        .map_err(|e| conflict_as(e, || format!("a team named {name:?} already exists")))?;
    Ok(team)
}

#[async_trait]
impl TeamStore for PgStore {
    async fn create_team(&self, name: &str) -> Result<Team, StoreError> {
        bounded(async { insert(pg(&self.client().await?), name).await }).await
    }

    async fn list_teams(&self, scope: &Scope) -> Result<Vec<Team>, StoreError> {
        bounded(async {
            let mut args = Params::new();
            let sql = format!(
                "SELECT {TEAM_COLS} FROM teams WHERE true{} ORDER BY name",
                scope_sql(scope, "id", &mut args)
            );
            let rows = self.client().await?.query(&sql, &refs(&args)).await?;
            rows::all(&rows, rows::team)
        })
        .await
    }

    async fn get_team(&self, scope: &Scope, id: TeamId) -> Result<Team, StoreError> {
        bounded(async {
            let mut args: Params = vec![Box::new(id)];
            let sql = format!(
                "SELECT {TEAM_COLS} FROM teams WHERE id = $1{}",
                scope_sql(scope, "id", &mut args)
            );
            self.client()
                .await?
                .query_opt(&sql, &refs(&args))
                .await?
                .as_ref()
                .map(rows::team)
                .transpose()?
                .ok_or(StoreError::NotFound("team"))
        })
        .await
    }

    async fn team_kapacitor_url(
        &self, scope: &Scope, team: TeamId,
    ) -> Result<Option<String>, StoreError> {
        bounded(async {
            let mut args: Params = vec![Box::new(team)];
            let sql = format!(
                "SELECT kapacitor_url FROM teams WHERE id = $1{}",
                scope_sql(scope, "id", &mut args)
            );
            let row = self
                .client()
                .await?
                .query_opt(&sql, &refs(&args))
                .await?
                .ok_or(StoreError::NotFound("team"))?;
            Ok(row.try_get(0)?)
        })
        .await
    }

    async fn set_team_kapacitor_url(
        &self, scope: &Scope, team: TeamId, url: Option<&str>,
    ) -> Result<(), StoreError> {
        bounded(async {
            let mut args: Params = vec![Box::new(url.map(str::to_owned)), Box::new(team)];
            let sql = format!(
                "UPDATE teams SET kapacitor_url = $1 WHERE id = $2{}",
                scope_sql(scope, "id", &mut args)
            );
            match self.client().await?.execute(&sql, &refs(&args)).await? {
                0 => Err(StoreError::NotFound("team")),
                _ => Ok(()),
            }
        })
        .await
    }
}
