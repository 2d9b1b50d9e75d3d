//! The JSON API under `/api/v1`. One module per resource, each with its own router; the
//! routers also carry each handler's OpenAPI description, so the document served at
//! `/api/v1/openapi.json` is generated from the same code that routes.

use axum::Router;
use tocsin_core::TeamId;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiError;
use crate::state::AppState;

mod alert_sources;
pub(crate) mod audit;
mod calendar;
mod channels;
mod contact_methods;
pub mod dto;
mod events;
pub mod heartbeats;
mod incidents;
pub mod kapacitor;
pub mod kapacitor_tasks;
mod login_csrf;
mod noise;
mod notification_rules;
mod notifications;
mod paging;
mod policies;
mod schedule_overrides;
mod schedules;
mod services;
mod session;
mod sessions;
mod teams;
mod tokens;
mod users;

pub use alert_sources::{catalogue, AlertSourceView};
pub use calendar::secret_feed as calendar_secret_feed;
pub use events::{page as events_page, EventsParams};
/// `ListParams` is public for the fuzz targets, which feed it arbitrary query strings.
pub use incidents::{page, ListParams};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tocsin API",
        description = "Self-hosted incident response. Authenticate with `Authorization: Bearer <token>` (or a session cookie plus `X-Tocsin-CSRF` for state-changing requests). Errors are `{code, detail}`; resources outside the caller's teams answer 404, too low a role 403. Every JSON body is one JSON object, decoded like alert bodies and refused (400) with the same codes: `empty_body`, `invalid_utf8`, `invalid_json` (not JSON, not an object, or data after it), `missing_field`, `invalid_field` (a wrong type or value, or an unknown field; the detail names it). A malformed id in the path is `invalid_id`, a bad query parameter `invalid_query`; a fault on the server is 500 `internal`, with no detail."
    ),
    security(("bearer" = [])),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The `/api/v1` routes and their OpenAPI document (paths include the `/api/v1` prefix).
pub fn router() -> (Router<AppState>, OpenApiDoc) {
    let api = OpenApiRouter::new()
        .merge(teams::router())
        .merge(users::router())
        .merge(tokens::router())
        .merge(session::router())
        .merge(sessions::router())
        .merge(services::router())
        .merge(alert_sources::router())
        .merge(heartbeats::router())
        .merge(incidents::router())
        .merge(events::router())
        .merge(notifications::router())
        .merge(audit::router())
        .merge(contact_methods::router())
        .merge(notification_rules::router())
        .merge(channels::router())
        .merge(policies::router())
        .merge(schedules::router())
        .merge(schedule_overrides::router())
        .merge(calendar::router())
        .merge(kapacitor::router())
        .merge(kapacitor_tasks::router())
        .merge(noise::router());
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", api)
        .split_for_parts();
    unique_operation_ids(&mut doc);
    (router, doc)
}

/// Handlers share names across modules (`list`, `show`), so name operations by method and
/// path instead: `get_teams_id_members`.
fn unique_operation_ids(doc: &mut OpenApiDoc) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let slug: String = path
            .trim_start_matches("/api/v1/")
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("_");
        for (method, op) in [
            ("get", &mut item.get),
            ("post", &mut item.post),
            ("put", &mut item.put),
            ("patch", &mut item.patch),
            ("delete", &mut item.delete),
        ] {
            if let Some(op) = op {
                op.operation_id = Some(format!("{method}_{slug}"));
            }
        }
    }
}

/// The OpenAPI 3.1 document, pretty-printed, as committed in `docs/openapi.json`.
pub fn openapi_json() -> String {
    let (_, mut doc) = router();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let mut s = doc
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// Parse a typed id from a query parameter, refusing other kinds with a clear 400 (path
/// segments use [`crate::json::ApiPath`]).
pub fn parse_id<T: std::str::FromStr<Err = tocsin_core::ids::InvalidId>>(
    s: &str,
) -> Result<T, ApiError> {
    s.parse::<T>()
        .map_err(|e| ApiError::bad_request("invalid_id", e.to_string()))
}

/// A name for a team, service or token: trimmed, 1–100 characters, no control characters.
/// A team-owned resource stays in its team: a `PUT` may repeat its `team_id` but not change
/// it (moving would carry its targets and history into another tenant).
pub(crate) fn stays_in_team(
    given: Option<TeamId>, team: TeamId, what: &str,
) -> Result<(), ApiError> {
    if given.is_some_and(|t| t != team) {
        return Err(ApiError::bad_request(
            "invalid_field",
            format!(
                "field `team_id`: a {what} stays in its team; create one in the other team instead"
            ),
        ));
    }
    Ok(())
}

pub(crate) fn parse_name(field: &str, s: &str) -> Result<String, ApiError> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > 100 || s.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "invalid_field",
            format!("field `{field}`: must be 1–100 characters without control characters"),
        ));
    }
    Ok(s.to_owned())
}
