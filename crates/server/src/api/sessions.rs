//! One's own sign-in sessions: list them (which one is this one, when each was last used) and
//! end one, or all but this one. A user's sessions only: an org admin ends another user's by
//! disabling it or resetting its password.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use tocsin_core::model::User;
use tocsin_core::SessionId;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::record;
use super::dto::SessionView;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiPath;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, end_others))
        .routes(routes!(end_one))
}

#[derive(Serialize, ToSchema)]
pub struct Ended {
    /// How many sessions ended.
    ended: u64,
}

fn user(caller: &Caller) -> Result<&User, ApiError> {
    caller
        .user
        .as_ref()
        .ok_or_else(|| ApiError::forbidden("sessions belong to users; this token acts for no user"))
}

/// Your sessions that have not expired, oldest first.
#[utoipa::path(get, path = "/session/sessions", tag = "session",
    responses((status = 200, body = Vec<SessionView>), (status = "4XX", body = ErrorBody)))]
async fn list(
    State(s): State<AppState>, caller: Caller,
) -> Result<Json<Vec<SessionView>>, ApiError> {
    let me = user(&caller)?;
    let rows = s.accounts.list_sessions(me.id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| SessionView::new(r, caller.session))
            .collect(),
    ))
}

/// End all your sessions but the one this request was made with (all of them, with a token).
#[utoipa::path(delete, path = "/session/sessions", tag = "session",
    responses((status = 200, body = Ended), (status = "4XX", body = ErrorBody)))]
async fn end_others(State(s): State<AppState>, caller: Caller) -> Result<Json<Ended>, ApiError> {
    let me = user(&caller)?;
    let ended = s.accounts.end_sessions(me.id, caller.session).await?;
    record(
        &s,
        caller.actor(),
        "session.end_others",
        None,
        me.id,
        Some(format!("{ended} session(s) ended")),
    )
    .await;
    Ok(Json(Ended { ended }))
}

/// End one of your sessions (404 for anyone else's).
#[utoipa::path(delete, path = "/session/sessions/{id}", tag = "session",
    params(("id" = SessionId, Path, description = "session id")),
    responses((status = 204, description = "Ended"), (status = "4XX", body = ErrorBody)))]
async fn end_one(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<SessionId>,
) -> Result<StatusCode, ApiError> {
    let me = user(&caller)?;
    s.accounts.end_session(me.id, id).await?;
    record(&s, caller.actor(), "session.end", None, id, None).await;
    Ok(StatusCode::NO_CONTENT)
}
