use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use tocsin_core::model::Team;
use tocsin_core::TeamId;

use super::{parse_id, parse_name};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/teams", get(list).post(create))
        .route("/teams/{id}", get(show))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTeam {
    name: String,
}

async fn list(State(s): State<AppState>, caller: Caller) -> Result<Json<Vec<Team>>, ApiError> {
    Ok(Json(s.store.list_teams(&caller.scope).await?))
}

async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewTeam>,
) -> Result<(StatusCode, Json<Team>), ApiError> {
    caller.require_org_admin()?;
    let name = parse_name("name", &body.name)?;
    Ok((StatusCode::CREATED, Json(s.store.create_team(&name).await?)))
}

async fn show(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Team>, ApiError> {
    let id: TeamId = parse_id(&id)?;
    Ok(Json(s.store.get_team(&caller.scope, id).await?))
}
