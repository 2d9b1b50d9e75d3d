//! Escalation policies: who is paged, in what order, after how long. Members read their
//! teams' policies; team admins write them. What a policy must satisfy is core's
//! (`PolicyRules::validate`, then `check_targets` against what the store holds).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use tocsin_core::paging::policy::{PolicyRules, Repeat, Step};
use tocsin_core::paging::records::check_name;
use tocsin_core::{PolicyId, TeamId};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::record;
use super::dto::{self, EscalationPolicy};
use super::parse_id;
use crate::auth::{role, Caller};
use crate::error::{ApiError, ErrorBody};
use crate::json::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, update, remove))
}

/// A policy as written: `team_id` on creation (and, on update, only the policy's own).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    /// Required to create; on update it may be given, and must be the policy's team.
    team_id: Option<TeamId>,
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    #[schema(value_type = Repeat)]
    repeat: Repeat,
    /// An acknowledged incident not resolved this many minutes later escalates again
    /// from the first step (1 to 10080; absent or null: never).
    #[serde(default)]
    ack_timeout_minutes: Option<u32>,
    /// 1 to 20 steps, each with 1 to 50 targets: `{"type": "user" | "channel" | "schedule",
    /// "id"}`; a schedule target pages whoever is on call on it when the step fires.
    steps: Vec<Step>,
}

impl PolicyBody {
    /// The name and rules, checked by core; 400 naming the field otherwise.
    fn check(self) -> Result<(Option<TeamId>, String, PolicyRules), ApiError> {
        let name = check_name(&self.name)
            .map_err(|e| ApiError::bad_request("invalid_field", format!("field `name`: {e}")))?;
        let rules = PolicyRules {
            repeat: self.repeat,
            ack_timeout_minutes: self.ack_timeout_minutes,
            steps: self.steps,
        };
        rules.validate().map_err(|e| {
            ApiError::bad_request("invalid_field", format!("field `{}`: {e}", e.field()))
        })?;
        Ok((self.team_id, name, rules))
    }
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only this team's policies (default: every team you can see).
    team_id: Option<String>,
}

#[utoipa::path(get, path = "/escalation-policies", tag = "paging", params(ListQuery),
    responses((status = 200, body = Vec<EscalationPolicy>), (status = "4XX", body = ErrorBody)))]
async fn list(
    State(s): State<AppState>, caller: Caller, ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<EscalationPolicy>>, ApiError> {
    let team = q
        .team_id
        .as_deref()
        .filter(|t| !t.is_empty())
        .map(parse_id::<TeamId>)
        .transpose()?;
    Ok(Json(dto::all(
        s.store.list_policies(caller.reads(), team).await?,
    )))
}

/// Create a policy (team admins). Every user target must exist and every channel and
/// schedule target be the team's (400 naming `steps[i].targets[j]` otherwise).
#[utoipa::path(post, path = "/escalation-policies", tag = "paging", request_body = PolicyBody,
    responses((status = 201, body = EscalationPolicy),
        (status = 409, description = "The team has a policy of that name", body = ErrorBody),
        (status = "4XX", body = ErrorBody)))]
async fn create(
    State(s): State<AppState>, caller: Caller, ApiJson(body): ApiJson<PolicyBody>,
) -> Result<(StatusCode, Json<EscalationPolicy>), ApiError> {
    let (team, name, rules) = body.check()?;
    let team =
        team.ok_or_else(|| ApiError::bad_request("missing_field", "missing field `team_id`"))?;
    let team = caller.at::<role::Admin>(team)?;
    let p = s
        .store
        .create_policy(team.scope(), team.team(), &name, &rules)
        .await?;
    record(
        &s,
        team.actor(),
        "escalation_policy.create",
        Some(p.team_id),
        p.id,
        Some(p.name.clone()),
    )
    .await;
    Ok((StatusCode::CREATED, Json(p.into())))
}

#[utoipa::path(get, path = "/escalation-policies/{id}", tag = "paging",
    params(("id" = PolicyId, Path, description = "escalation policy id")),
    responses((status = 200, body = EscalationPolicy), (status = "4XX", body = ErrorBody)))]
async fn show(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<PolicyId>,
) -> Result<Json<EscalationPolicy>, ApiError> {
    Ok(Json(s.store.get_policy(caller.reads(), id).await?.into()))
}

/// Replace a policy's name and rules (team admins). Incidents already escalating follow
/// the new rules from their next step.
#[utoipa::path(put, path = "/escalation-policies/{id}", tag = "paging",
    params(("id" = PolicyId, Path, description = "escalation policy id")),
    request_body = PolicyBody,
    responses((status = 200, body = EscalationPolicy), (status = "4XX", body = ErrorBody)))]
async fn update(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<PolicyId>,
    ApiJson(body): ApiJson<PolicyBody>,
) -> Result<Json<EscalationPolicy>, ApiError> {
    let old = s.store.get_policy(caller.reads(), id).await?;
    let team = caller.at::<role::Admin>(old.team_id)?;
    let (moved_to, name, rules) = body.check()?;
    super::stays_in_team(moved_to, old.team_id, "policy")?;
    let p = s
        .store
        .update_policy(team.scope(), id, &name, &rules)
        .await?;
    record(
        &s,
        team.actor(),
        "escalation_policy.update",
        Some(p.team_id),
        p.id,
        Some(p.name.clone()),
    )
    .await;
    Ok(Json(p.into()))
}

/// Delete a policy (team admins); refused (409) while a service uses it.
#[utoipa::path(delete, path = "/escalation-policies/{id}", tag = "paging",
    params(("id" = PolicyId, Path, description = "escalation policy id")),
    responses((status = 204, description = "Deleted"),
        (status = 409, description = "A service uses it", body = ErrorBody),
        (status = "4XX", body = ErrorBody)))]
async fn remove(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<PolicyId>,
) -> Result<StatusCode, ApiError> {
    let old = s.store.get_policy(caller.reads(), id).await?;
    let team = caller.at::<role::Admin>(old.team_id)?;
    s.store.delete_policy(team.scope(), id).await?;
    record(
        &s,
        team.actor(),
        "escalation_policy.delete",
        Some(old.team_id),
        id,
        Some(old.name),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
