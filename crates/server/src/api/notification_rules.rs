//! A user's notification rules: "after N minutes, on this contact method". Who may manage
//! them is who may manage the user's contact methods.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use tocsin_core::paging::records::{check_rule_delay, MAX_RULE_DELAY_MINUTES};
use tocsin_core::{ContactMethodId, NotificationRuleId, UserId};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::record;
use super::dto::{self, NotificationRule};
use super::paging::managed_user;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::json::{ApiJson, ApiPath};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(remove))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRule {
    /// One of the user's contact methods.
    contact_method_id: ContactMethodId,
    /// Minutes after the user is paged; 0 is at once.
    #[schema(maximum = 1440)]
    delay_minutes: u32,
}

/// The user's rules, soonest first. A user with none is notified on every contact method
/// at once.
#[utoipa::path(get, path = "/users/{id}/notification-rules", tag = "paging",
    params(("id" = UserId, Path, description = "user id")),
    responses((status = 200, body = Vec<NotificationRule>), (status = "4XX", body = ErrorBody)))]
async fn list(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<UserId>,
) -> Result<Json<Vec<NotificationRule>>, ApiError> {
    let user = managed_user(&s, &caller, id).await?;
    Ok(Json(dto::all(s.store.list_notification_rules(user).await?)))
}

#[utoipa::path(post, path = "/users/{id}/notification-rules", tag = "paging",
    params(("id" = UserId, Path, description = "user id")),
    request_body = NewRule,
    responses((status = 201, body = NotificationRule),
        (status = 409, description = "The contact method already has a rule at that delay", body = ErrorBody),
        (status = "4XX", body = ErrorBody)))]
async fn create(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<UserId>,
    ApiJson(body): ApiJson<NewRule>,
) -> Result<(StatusCode, Json<NotificationRule>), ApiError> {
    const _: () = assert!(MAX_RULE_DELAY_MINUTES == 1440, "the schema's maximum");
    let user = managed_user(&s, &caller, id).await?;
    let delay = check_rule_delay(body.delay_minutes).map_err(|e| {
        ApiError::bad_request("invalid_field", format!("field `delay_minutes`: {e}"))
    })?;
    let rule = s
        .store
        .create_notification_rule(user, body.contact_method_id, delay)
        .await?;
    let detail = format!("{} after {delay} min", rule.contact_method_id);
    record(
        &s,
        caller.actor(),
        "notification_rule.create",
        None,
        rule.id,
        Some(detail),
    )
    .await;
    Ok((StatusCode::CREATED, Json(rule.into())))
}

#[utoipa::path(delete, path = "/users/{id}/notification-rules/{rule_id}", tag = "paging",
    params(("id" = UserId, Path, description = "user id"),
        ("rule_id" = NotificationRuleId, Path, description = "notification rule id")),
    responses((status = 204, description = "Deleted"), (status = "4XX", body = ErrorBody)))]
async fn remove(
    State(s): State<AppState>, caller: Caller,
    ApiPath((id, rule)): ApiPath<(UserId, NotificationRuleId)>,
) -> Result<StatusCode, ApiError> {
    let user = managed_user(&s, &caller, id).await?;
    s.store.delete_notification_rule(user, rule).await?;
    record(
        &s,
        caller.actor(),
        "notification_rule.delete",
        None,
        rule,
        None,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
