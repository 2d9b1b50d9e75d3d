//! [`MemberStore`] for SQLite. A change reads the team's owners and applies core's last-owner
//! rule on the writer's connection, so SQLite's single writer serialises the read with the
//! change it allows.

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use tocsin_core::lifecycle::check_member_change_among;
use tocsin_core::model::{Member, Scope};
use tocsin_core::{Role, TeamId, UserId};

use super::rows;
use super::{scope_sql, SqliteStore};
use crate::accounts::sql::{self, sqlite};
use crate::accounts::MemberStore;
use crate::accounts::Result;
use crate::StoreError;

fn team_visible(c: &Connection, scope: &Scope, team: TeamId) -> Result<()> {
    let mut args = vec![Value::Text(team.to_string())];
    let sql = format!(
        "SELECT 1 FROM teams WHERE id = ?{}",
        scope_sql(scope, "id", &mut args)
    );
    c.prepare_cached(&sql)?
        .query_row(params_from_iter(args), |_| Ok(()))
        .optional()?
        .ok_or(StoreError::NotFound("team"))
}

fn member_of(c: &Connection, team: TeamId, user: UserId) -> Result<Option<Member>> {
    Ok(c.prepare_cached(&sqlite(sql::MEMBER_OF))?
        .query_row(params![team, user], rows::member)
        .optional()?)
}

/// Refuse a change of `user` to `new_role` (`None`: removal) that would leave `team` without
/// an active owner. Returns the role before.
fn guard_member_change(
    c: &Connection, team: TeamId, user: UserId, new_role: Option<Role>,
) -> Result<Option<Role>> {
    let owners = c
        .prepare_cached(&sqlite(sql::TEAM_OWNERS))?
        .query_map(params![team], |r| Ok((r.get(0)?, r.get::<_, bool>(1)?)))?
        .collect::<Result<Vec<(UserId, bool)>, _>>()?;
    let before = member_of(c, team, user)?.map(|m| m.role);
    check_member_change_among(user, before, new_role, &owners).map_err(StoreError::Refused)?;
    Ok(before)
}

#[async_trait]
impl MemberStore for SqliteStore {
    async fn memberships(&self, user: UserId) -> Result<Vec<(TeamId, Role)>> {
        self.read(move |c| {
            let rows = c
                .prepare_cached(&sqlite(sql::MEMBERSHIPS))?
                .query_map(params![user], |r| {
                    let role: String = r.get(1)?;
                    Ok((r.get(0)?, rows::role(1, &role)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn list_members(&self, scope: &Scope, team: TeamId) -> Result<Vec<Member>> {
        let scope = scope.clone();
        self.read(move |c| {
            team_visible(c, &scope, team)?;
            let rows = c
                .prepare_cached(&sqlite(sql::TEAM_MEMBERS))?
                .query_map(params![team], rows::member)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn set_member(
        &self, scope: &Scope, team: TeamId, user: UserId, role: Role,
    ) -> Result<(Member, Option<Role>)> {
        let scope = scope.clone();
        self.writer
            .write(move |c| {
                team_visible(c, &scope, team)?;
                c.query_row(&sqlite(sql::USER_EXISTS), params![user], |_| Ok(()))
                    .optional()?
                    .ok_or(StoreError::NotFound("user"))?;
                let before = guard_member_change(c, team, user, Some(role))?;
                c.execute(
                    &sqlite(sql::UPSERT_MEMBER),
                    params![team, user, role.as_str()],
                )?;
                let m = member_of(c, team, user)?.ok_or(StoreError::NotFound("member"))?;
                Ok((m, before))
            })
            .await
    }

    async fn remove_member(&self, scope: &Scope, team: TeamId, user: UserId) -> Result<()> {
        let scope = scope.clone();
        self.writer
            .write(move |c| {
                team_visible(c, &scope, team)?;
                guard_member_change(c, team, user, None)?.ok_or(StoreError::NotFound("member"))?;
                c.execute(&sqlite(sql::DELETE_MEMBER), params![team, user])?;
                Ok(())
            })
            .await
    }
}
