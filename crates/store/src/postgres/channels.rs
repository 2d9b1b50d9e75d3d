//! [`ChannelStore`] for PostgreSQL, behaving as SQLite's does. A channel being deleted is
//! locked first (`FOR UPDATE`) and a policy naming it locks it shared while it is written
//! (`policies.rs`), so a policy cannot come to name a channel deleted under it.

use async_trait::async_trait;
use tocsin_core::model::Scope;
use tocsin_core::paging::records::Channel;
use tocsin_core::{ChannelId, TeamId};
use tokio_postgres::GenericClient;

use super::bind::col;
use super::{bounded, conflict_as, refs, rows, scope_sql, Params, PgStore};
use crate::paging::{ChannelStore, NewDestination};
use crate::paging_sql::{self as sql, CHANNEL_COLS};
use crate::{records, require_team, sql as common, StoreError};

/// The channel if `scope` sees it; `lock` is appended (`FOR UPDATE`, or nothing).
async fn get_in(
    c: &impl GenericClient, scope: &Scope, id: ChannelId, lock: &str,
) -> Result<Channel, StoreError> {
    let mut args: Params = vec![Box::new(id)];
    let q = format!(
        "SELECT {CHANNEL_COLS} FROM channels WHERE id = $1{}{lock}",
        scope_sql(scope, "team_id", &mut args)
    );
    c.query_opt(&q, &refs(&args))
        .await?
        .as_ref()
        .map(rows::channel)
        .transpose()?
        .ok_or(StoreError::NotFound("channel"))
}

#[async_trait]
impl ChannelStore for PgStore {
    async fn create_channel(
        &self, scope: &Scope, team: TeamId, new: NewDestination,
    ) -> Result<Channel, StoreError> {
        require_team(scope, team, "team")?;
        let ch = records::channel(team, &new);
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            tx.execute(sql::PG_LOCK_OWNER, &[&team]).await?;
            tx.query_opt(common::TEAM_EXISTS, &[&team])
                .await?
                .ok_or(StoreError::NotFound("team"))?;
            let count: i64 = col(&tx.query_one(sql::COUNT_CHANNELS, &[&team]).await?, 0)?;
            records::check_room(count, "channels per team")?;
            tx.execute(
                sql::INSERT_CHANNEL,
                &[
                    &ch.id,
                    &team,
                    &ch.kind.as_str(),
                    &ch.name,
                    &ch.target,
                    &ch.signing_secret,
                    &ch.created_at,
                ],
            )
            .await
            .map_err(|e| {
                conflict_as(e, || {
                    format!("the team already has a channel named {:?}", ch.name)
                })
            })?;
            tx.commit().await?;
            Ok(ch)
        })
        .await
    }

    async fn list_channels(
        &self, scope: &Scope, team: Option<TeamId>,
    ) -> Result<Vec<Channel>, StoreError> {
        bounded(async {
            let mut args = Params::new();
            let mut q = format!(
                "SELECT {CHANNEL_COLS} FROM channels WHERE true{}",
                scope_sql(scope, "team_id", &mut args)
            );
            if let Some(t) = team {
                args.push(Box::new(t));
                q.push_str(&format!(" AND team_id = ${}", args.len()));
            }
            q.push_str(" ORDER BY name, id");
            let rows = self.client().await?.query(&q, &refs(&args)).await?;
            rows::all(&rows, rows::channel)
        })
        .await
    }

    async fn get_channel(&self, scope: &Scope, id: ChannelId) -> Result<Channel, StoreError> {
        bounded(async { get_in(&**self.client().await?, scope, id, "").await }).await
    }

    async fn delete_channel(&self, scope: &Scope, id: ChannelId) -> Result<(), StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let ch = get_in(&*tx, scope, id, " FOR UPDATE").await?;
            let policies = tx
                .query(sql::TEAM_POLICY_RULES, &[&ch.team_id])
                .await?
                .iter()
                .map(|r| Ok((col(r, 0)?, col(r, 1)?)))
                .collect::<Result<Vec<(String, String)>, StoreError>>()?;
            records::check_channel_unused(policies, id)?;
            tx.execute(sql::DELETE_CHANNEL, &[&id]).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }
}
