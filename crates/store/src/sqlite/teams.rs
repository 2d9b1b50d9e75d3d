//! Teams.

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use tocsin_core::model::{Scope, Team};
use tocsin_core::TeamId;

use super::rows::{self, TEAM_COLS};
use super::time::to_db;
use super::{scope_sql, SqliteStore};
use crate::{records, sql, StoreError, TeamStore};

pub(super) fn insert(c: &Connection, name: &str) -> Result<Team, StoreError> {
    let team = records::team(name);
    c.execute(
        sql::INSERT_TEAM,
        params![team.id, team.name, to_db(team.created_at)],
    )
    .map_err(|e| {
        StoreError::from(e).conflict_as(|| format!("a team named {name:?} already exists"))
    })?;
    Ok(team)
}

#[async_trait]
impl TeamStore for SqliteStore {
    async fn create_team(&self, name: &str) -> Result<Team, StoreError> {
        let name = name.to_owned();
        self.writer.write(move |c| insert(c, &name)).await
    }

    async fn list_teams(&self, scope: &Scope) -> Result<Vec<Team>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = Vec::new();
            let sql = format!(
                "SELECT {TEAM_COLS} FROM teams WHERE 1{} ORDER BY name",
                scope_sql(&scope, "id", &mut args)
            );
            let rows = c
                .prepare_cached(&sql)?
                .query_map(params_from_iter(args), rows::team)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn get_team(&self, scope: &Scope, id: TeamId) -> Result<Team, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = vec![Value::Text(id.to_string())];
            let sql = format!(
                "SELECT {TEAM_COLS} FROM teams WHERE id = ?{}",
                scope_sql(&scope, "id", &mut args)
            );
            c.prepare_cached(&sql)?
                .query_row(params_from_iter(args), rows::team)
                .optional()?
                .ok_or(StoreError::NotFound("team"))
        })
        .await
    }

    async fn team_kapacitor_url(
        &self, scope: &Scope, team: TeamId,
    ) -> Result<Option<String>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = vec![Value::Text(team.to_string())];
            let sql = format!(
                "SELECT kapacitor_url FROM teams WHERE id = ?{}",
                scope_sql(&scope, "id", &mut args)
            );
            c.prepare_cached(&sql)?
                .query_row(params_from_iter(args), |r| r.get::<_, Option<String>>(0))
                .optional()?
                .ok_or(StoreError::NotFound("team"))
        })
        .await
    }

    async fn set_team_kapacitor_url(
        &self, scope: &Scope, team: TeamId, url: Option<&str>,
    ) -> Result<(), StoreError> {
        let scope = scope.clone();
        let url = url.map(str::to_owned);
        self.writer
            .write(move |c| {
                let mut args = vec![
                    url.clone().map_or(Value::Null, Value::Text),
                    Value::Text(team.to_string()),
                ];
                let sql = format!(
                    "UPDATE teams SET kapacitor_url = ? WHERE id = ?{}",
                    scope_sql(&scope, "id", &mut args)
                );
                match c.execute(&sql, params_from_iter(args))? {
                    0 => Err(StoreError::NotFound("team")),
                    _ => Ok(()),
                }
            })
            .await
    }
}
