//! [`MemberStore`] for PostgreSQL. Several nodes may write at once, so a change reads the
//! team's owners under row locks in the transaction that makes it, and core's last-owner rule
//! judges what it read: two owners demoting each other at once cannot both pass.

use async_trait::async_trait;
use tocsin_core::lifecycle::check_member_change_among;
use tocsin_core::model::{Member, Scope};
use tocsin_core::{Role, TeamId, UserId};
use tokio_postgres::GenericClient;

use super::bind::col;
use super::rows;
use super::{bounded, pg, refs, scope_sql, Params, PgStore};
use crate::accounts::sql;
use crate::accounts::MemberStore;
use crate::accounts::Result;
use crate::StoreError;

async fn team_visible(c: &impl GenericClient, scope: &Scope, team: TeamId) -> Result<()> {
    let mut args: Params = vec![Box::new(team)];
    let sql = format!(
        "SELECT 1 FROM teams WHERE id = $1{}",
        scope_sql(scope, "id", &mut args)
    );
    c.query_opt(sql.as_str(), &refs(&args))
        .await?
        .map(|_| ())
        .ok_or(StoreError::NotFound("team"))
}

/// Lock what a membership change of `user` in `team` depends on, read the member's role now,
/// and refuse a change to `new_role` (`None`: removal) that would leave the team without an
/// active owner. Returns the role before. The team's owner rows are locked first, in id order,
/// then the member's own row: every membership change takes its locks in that order, so two at
/// once wait for each other instead of deadlocking, and the second sees the first's result
/// (READ COMMITTED re-checks a locked row's `role` after the other transaction commits).
async fn lock_member_change(
    c: &impl GenericClient, team: TeamId, user: UserId, new_role: Option<Role>,
) -> Result<Option<Role>> {
    let owners = c
        .query(&format!("{} FOR UPDATE OF m", sql::TEAM_OWNERS), &[&team])
        .await?
        .iter()
        .map(|r| Ok((col(r, 0)?, col(r, 1)?)))
        .collect::<Result<Vec<(UserId, bool)>>>()?;
    let before = c
        .query_opt(&format!("{} FOR UPDATE", sql::MEMBER_ROLE), &[&team, &user])
        .await?
        .as_ref()
        .map(|r| rows::role(r, 0))
        .transpose()?;
    check_member_change_among(user, before, new_role, &owners).map_err(StoreError::Refused)?;
    Ok(before)
}

#[async_trait]
impl MemberStore for PgStore {
    async fn memberships(&self, user: UserId) -> Result<Vec<(TeamId, Role)>> {
        bounded(async {
            let rows = self
                .client()
                .await?
                .query(sql::MEMBERSHIPS, &[&user])
                .await?;
            rows.iter()
                .map(|r| Ok((col(r, 0)?, rows::role(r, 1)?)))
                .collect()
        })
        .await
    }

    async fn list_members(&self, scope: &Scope, team: TeamId) -> Result<Vec<Member>> {
        bounded(async {
            let c = self.client().await?;
            team_visible(pg(&c), scope, team).await?;
            let rows = c.query(sql::TEAM_MEMBERS, &[&team]).await?;
            rows::all(&rows, rows::member)
        })
        .await
    }

    async fn set_member(
        &self, scope: &Scope, team: TeamId, user: UserId, role: Role,
    ) -> Result<(Member, Option<Role>)> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            team_visible(&*tx, scope, team).await?;
            tx.query_opt(sql::USER_EXISTS, &[&user])
                .await?
                .ok_or(StoreError::NotFound("user"))?;
            // Locked, so two nodes changing one member each report the role they replaced,
            // and the last-owner rule holds across nodes.
            let before = lock_member_change(&*tx, team, user, Some(role)).await?;
            tx.execute(sql::UPSERT_MEMBER, &[&team, &user, &role.as_str()])
                .await?;
            let m = tx
                .query_opt(sql::MEMBER_OF, &[&team, &user])
                .await?
                .as_ref()
                .map(rows::member)
                .transpose()?
                .ok_or(StoreError::NotFound("member"))?;
            tx.commit().await?;
            Ok((m, before))
        })
        .await
    }

    async fn remove_member(&self, scope: &Scope, team: TeamId, user: UserId) -> Result<()> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            team_visible(&*tx, scope, team).await?;
            lock_member_change(&*tx, team, user, None)
                .await?
                .ok_or(StoreError::NotFound("member"))?;
            tx.execute(sql::DELETE_MEMBER, &[&team, &user]).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }
}
