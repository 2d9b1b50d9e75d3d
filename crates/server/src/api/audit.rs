//! The audit log: who did what, when. Organisation admins read all of it, team owners their
//! teams' entries.

use axum::extract::State;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use tocsin_core::model::{self, Scope};
use tocsin_core::{AuditId, TeamId};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{self, AuditEntry};
use super::parse_id;
use crate::auth::{role, Caller};
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiQuery;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// Write one entry. The action has already happened, so a failure to record it is logged
/// rather than turned into an error for the caller.
pub(crate) async fn record(
    s: &AppState, actor: &str, action: &str, team: Option<TeamId>, target: impl ToString,
    detail: Option<String>,
) {
    let entry = model::AuditEntry {
        id: AuditId::new(),
        at: Utc::now(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        team_id: team,
        target: Some(target.to_string()).filter(|t| !t.is_empty()),
        detail,
    };
    if let Err(e) = s.accounts.record_audit(entry).await {
        tracing::error!(
            error = crate::logsafe::escape_up_to(
                &e.to_string(),
                crate::logsafe::MAX_LOGGED_ERROR_CHARS
            ),
            action,
            "could not write the audit log"
        );
    }
}

#[derive(Deserialize, IntoParams)]
pub struct AuditParams {
    /// 1–500, default 100.
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    entries: Vec<AuditEntry>,
    next_cursor: Option<AuditId>,
}

/// Newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = AuditPage), (status = "4XX", body = ErrorBody)))]
async fn list(
    State(s): State<AppState>, caller: Caller, ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = p.limit.unwrap_or(100);
    if limit == 0 || limit > 500 {
        return Err(ApiError::bad_request(
            "invalid_query",
            "limit must be 1–500",
        ));
    }
    let before = p
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(parse_id::<AuditId>)
        .transpose()?;
    let scope = match caller.teams_at::<role::Owner>() {
        _ if caller.is_org_admin() => Scope::All,
        Scope::Teams(t) if t.is_empty() => {
            return Err(ApiError::forbidden(
                "the audit log is for organisation admins and team owners",
            ))
        }
        // Owner of every team without org rights (an org-wide token): team entries only.
        Scope::All => Scope::Teams(
            s.store
                .list_teams(&Scope::All)
                .await?
                .into_iter()
                .map(|t| t.id)
                .collect(),
        ),
        teams => teams,
    };
    let mut entries = s.accounts.list_audit(&scope, limit + 1, before).await?;
    let next_cursor = if entries.len() > limit as usize {
        entries.truncate(limit as usize);
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(Json(AuditPage {
        entries: dto::all(entries),
        next_cursor,
    }))
}
