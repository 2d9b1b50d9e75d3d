//! [`ChannelStore`] for SQLite: a team's channels, within the caller's scope.

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use tocsin_core::model::Scope;
use tocsin_core::paging::records::Channel;
use tocsin_core::{ChannelId, TeamId};

use super::time::to_db;
use super::{rows, scope_sql, SqliteStore};
use crate::paging::{ChannelStore, NewDestination};
use crate::paging_sql::{self as sql, CHANNEL_COLS};
use crate::{records, require_team, sql as common, StoreError};

/// The channel if `scope` sees it.
fn get_in(c: &Connection, scope: &Scope, id: ChannelId) -> Result<Channel, StoreError> {
    let mut args = vec![Value::Text(id.to_string())];
    let q = format!(
        "SELECT {CHANNEL_COLS} FROM channels WHERE id = ?{}",
        scope_sql(scope, "team_id", &mut args)
    );
    c.prepare_cached(&q)?
        .query_row(params_from_iter(args), rows::channel)
        .optional()?
        .ok_or(StoreError::NotFound("channel"))
}

#[async_trait]
impl ChannelStore for SqliteStore {
    async fn create_channel(
        &self, scope: &Scope, team: TeamId, new: NewDestination,
    ) -> Result<Channel, StoreError> {
        require_team(scope, team, "team")?;
        let ch = records::channel(team, &new);
        self.writer
            .write(move |c| {
                c.query_row(common::TEAM_EXISTS, params![team], |_| Ok(()))
                    .optional()?
                    .ok_or(StoreError::NotFound("team"))?;
                let count: i64 = c.query_row(sql::COUNT_CHANNELS, params![team], |r| r.get(0))?;
                records::check_room(count, "channels per team")?;
                c.execute(
                    sql::INSERT_CHANNEL,
                    params![
                        ch.id,
                        team,
                        ch.kind.as_str(),
                        ch.name,
                        ch.target,
                        ch.signing_secret,
                        to_db(ch.created_at)
                    ],
                )
                .map_err(|e| {
                    StoreError::from(e).conflict_as(|| {
                        format!("the team already has a channel named {:?}", ch.name)
                    })
                })?;
                Ok(ch.clone())
            })
            .await
    }

    async fn list_channels(
        &self, scope: &Scope, team: Option<TeamId>,
    ) -> Result<Vec<Channel>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = Vec::new();
            let mut q = format!(
                "SELECT {CHANNEL_COLS} FROM channels WHERE 1{}",
                scope_sql(&scope, "team_id", &mut args)
            );
            if let Some(t) = team {
                q.push_str(" AND team_id = ?");
                args.push(Value::Text(t.to_string()));
            }
            q.push_str(" ORDER BY name, id");
            let rows = c
                .prepare_cached(&q)?
                .query_map(params_from_iter(args), rows::channel)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn get_channel(&self, scope: &Scope, id: ChannelId) -> Result<Channel, StoreError> {
        let scope = scope.clone();
        self.read(move |c| get_in(c, &scope, id)).await
    }

    async fn delete_channel(&self, scope: &Scope, id: ChannelId) -> Result<(), StoreError> {
        let scope = scope.clone();
        // The single writer runs this whole: no policy can name the channel between the
        // check and the delete.
        self.writer
            .write(move |c| {
                let ch = get_in(c, &scope, id)?;
                let policies = c
                    .prepare_cached(sql::TEAM_POLICY_RULES)?
                    .query_map(params![ch.team_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<Vec<(String, String)>, _>>()?;
                records::check_channel_unused(policies, id)?;
                c.execute(sql::DELETE_CHANNEL, params![id])?;
                Ok(())
            })
            .await
    }
}
