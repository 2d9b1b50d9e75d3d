use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use tocsin_core::model::Service;
use tocsin_core::{ServiceId, TeamId};

use super::{parse_id, parse_name};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::{ApiJson, ApiQuery};
use crate::secrets::new_service_key;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services", get(list).post(create))
        .route("/services/{id}", get(show))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewService {
    name: String,
    team_id: TeamId,
}

#[derive(Deserialize)]
struct ListQuery {
    team_id: Option<String>,
}

async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<Service>>, ApiError> {
    let team = q.team_id.as_deref().map(parse_id::<TeamId>).transpose()?;
    Ok(Json(s.store.list_services(&caller.scope, team).await?))
}

async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewService>,
) -> Result<(StatusCode, Json<Service>), ApiError> {
    let name = parse_name("name", &body.name)?;
    // Seen-through check first: a team the caller cannot see is "not found", not "forbidden".
    s.store.get_team(&caller.scope, body.team_id).await?;
    let svc = s
        .store
        .create_service(body.team_id, &name, &new_service_key())
        .await?;
    Ok((StatusCode::CREATED, Json(svc)))
}

async fn show(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Service>, ApiError> {
    let id: ServiceId = parse_id(&id)?;
    Ok(Json(s.store.get_service(&caller.scope, id).await?))
}
