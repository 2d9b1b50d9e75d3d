//! A user's contact methods: how paging reaches them. A user manages their own, an
//! organisation admin anyone's; for everyone else they do not exist (404).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use tocsin_core::{ContactMethodId, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit::record;
use super::dto::{self, ContactMethod, TestSend};
use super::paging::{managed_user, send_test, DestinationBody};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::json::{ApiJson, ApiPath};
use crate::notify::outbound::Destination;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(show, remove))
        .routes(routes!(test))
}

/// The user's contact methods, by name (never their signing secrets).
#[utoipa::path(get, path = "/users/{id}/contact-methods", tag = "paging",
    params(("id" = UserId, Path, description = "user id")),
    responses((status = 200, body = Vec<ContactMethod>), (status = "4XX", body = ErrorBody)))]
async fn list(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<UserId>,
) -> Result<Json<Vec<ContactMethod>>, ApiError> {
    let user = managed_user(&s, &caller, id).await?;
    Ok(Json(dto::all(s.store.list_contact_methods(user).await?)))
}

/// Add a contact method: `{type, name, url}` for `webhook` and `slack`, `{type, name,
/// address}` for `email`. A webhook's `signing_secret` is in this answer only.
#[utoipa::path(post, path = "/users/{id}/contact-methods", tag = "paging",
    params(("id" = UserId, Path, description = "user id")),
    request_body = DestinationBody,
    responses((status = 201, body = ContactMethod),
        (status = 409, description = "The name is taken, or the user has 50", body = ErrorBody),
        (status = "4XX", body = ErrorBody)))]
async fn create(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<UserId>,
    ApiJson(body): ApiJson<DestinationBody>,
) -> Result<(StatusCode, Json<ContactMethod>), ApiError> {
    let user = managed_user(&s, &caller, id).await?;
    let new = body.check()?;
    let cm = s.store.create_contact_method(user, new).await?;
    let detail = format!("{} {:?}", cm.kind.as_str(), cm.name);
    record(
        &s,
        caller.actor(),
        "contact_method.create",
        None,
        cm.id,
        Some(detail),
    )
    .await;
    Ok((StatusCode::CREATED, Json(ContactMethod::created(cm))))
}

#[utoipa::path(get, path = "/users/{id}/contact-methods/{cm_id}", tag = "paging",
    params(("id" = UserId, Path, description = "user id"),
        ("cm_id" = ContactMethodId, Path, description = "contact method id")),
    responses((status = 200, body = ContactMethod), (status = "4XX", body = ErrorBody)))]
async fn show(
    State(s): State<AppState>, caller: Caller,
    ApiPath((id, cm)): ApiPath<(UserId, ContactMethodId)>,
) -> Result<Json<ContactMethod>, ApiError> {
    let user = managed_user(&s, &caller, id).await?;
    Ok(Json(s.store.get_contact_method(user, cm).await?.into()))
}

/// Delete a contact method, and the notification rules that use it.
#[utoipa::path(delete, path = "/users/{id}/contact-methods/{cm_id}", tag = "paging",
    params(("id" = UserId, Path, description = "user id"),
        ("cm_id" = ContactMethodId, Path, description = "contact method id")),
    responses((status = 204, description = "Deleted"), (status = "4XX", body = ErrorBody)))]
async fn remove(
    State(s): State<AppState>, caller: Caller,
    ApiPath((id, cm)): ApiPath<(UserId, ContactMethodId)>,
) -> Result<StatusCode, ApiError> {
    let user = managed_user(&s, &caller, id).await?;
    s.store.delete_contact_method(user, cm).await?;
    record(&s, caller.actor(), "contact_method.delete", None, cm, None).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a test notification (incident number 0, "Test notification from Tocsin") to the
/// contact method now, as paging would send it, and say whether the receiver took it.
#[utoipa::path(post, path = "/users/{id}/contact-methods/{cm_id}/test", tag = "paging",
    params(("id" = UserId, Path, description = "user id"),
        ("cm_id" = ContactMethodId, Path, description = "contact method id")),
    responses((status = 200, body = TestSend),
        (status = 503, description = "`notifications_unavailable`: this server sends nothing", body = ErrorBody),
        (status = "4XX", body = ErrorBody)))]
async fn test(
    State(s): State<AppState>, caller: Caller,
    ApiPath((id, cm)): ApiPath<(UserId, ContactMethodId)>,
) -> Result<Json<TestSend>, ApiError> {
    let user = managed_user(&s, &caller, id).await?;
    let cm = s.store.get_contact_method(user, cm).await?;
    let to = Destination {
        kind: cm.kind,
        target: &cm.target,
        signing_secret: cm.signing_secret.as_deref(),
    };
    Ok(Json(send_test(&s, to).await?))
}
