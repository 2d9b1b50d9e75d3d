//! An incident's timeline: pages of events without their raw bodies, newest first, and one raw
//! body on demand. Read by every member of the incident's team, like the incident itself.
//!
//! Bodies are left out of every list (each carries `payload_size` and `payload_url` instead)
//! rather than cut short: a cut JSON body is no longer JSON, and leaving them out means a page's
//! size depends only on how many events it holds, so neither the response nor the server's
//! memory grows with what the alerts carried (an incident of 300 alerts of 250 KiB once made a
//! 73 MiB page).

use axum::extract::State;
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use tocsin_core::{EventId, EventPage, EventPageQuery, IncidentId};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::dto::{self, TimelineEvent};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::ingest::MAX_BODY;
use crate::json::{ApiPath, ApiQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(payload))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsParams {
    /// 1–200 (default 50); a larger one is refused (400), as in the incident list.
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page (or the incident's `events_next_cursor`).
    pub cursor: Option<String>,
}

impl EventsParams {
    pub fn to_query(&self) -> Result<EventPageQuery, ApiError> {
        EventPageQuery::parse(self.limit, self.cursor.as_deref())
            .map_err(|e| ApiError::bad_request("invalid_query", e.to_string()))
    }
}

#[derive(Serialize, ToSchema)]
pub struct EventsPage {
    /// Newest first; `payload` is always null here (see `payload_url`).
    pub events: Vec<TimelineEvent>,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    pub next_cursor: Option<EventId>,
}

/// Where one event's raw body is served.
pub fn payload_url(incident: IncidentId, event: EventId) -> String {
    format!("/api/v1/incidents/{incident}/events/{event}/payload")
}

/// One page of the incident's timeline, newest first, each alert event linked to its body.
pub async fn page(
    state: &AppState, caller: &Caller, id: IncidentId, q: &EventPageQuery,
) -> Result<EventPage, ApiError> {
    let mut page = state.store.timeline_page(caller.reads(), id, q).await?;
    for ev in &mut page.events {
        if ev.payload_size.is_some() {
            ev.payload_url = Some(payload_url(id, ev.id));
        }
    }
    Ok(page)
}

/// The incident's timeline, newest first, without raw bodies.
#[utoipa::path(get, path = "/incidents/{id}/events", tag = "incidents",
    params(("id" = IncidentId, Path, description = "incident id"), EventsParams),
    responses((status = 200, body = EventsPage), (status = "4XX", body = ErrorBody)))]
async fn list(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<IncidentId>,
    ApiQuery(p): ApiQuery<EventsParams>,
) -> Result<Json<EventsPage>, ApiError> {
    let q = p.to_query()?;
    let EventPage {
        events,
        next_cursor,
    } = page(&s, &caller, id, &q).await?;
    Ok(Json(EventsPage {
        events: dto::all(events),
        next_cursor,
    }))
}

/// One event's raw body exactly as the source sent it: `application/json` when it is JSON,
/// else `text/plain`. At most 256 KiB (the ingest limit, which every stored body passed).
#[utoipa::path(get, path = "/incidents/{id}/events/{event_id}/payload", tag = "incidents",
    params(("id" = IncidentId, Path, description = "incident id"),
           ("event_id" = EventId, Path, description = "event id")),
    responses(
        (status = 200, description = "the body as received",
         content((serde_json::Value = "application/json"), (String = "text/plain"))),
        (status = "4XX", body = ErrorBody)))]
async fn payload(
    State(s): State<AppState>, caller: Caller, ApiPath((id, event)): ApiPath<(IncidentId, EventId)>,
) -> Result<Response, ApiError> {
    let body = s.store.event_payload(caller.reads(), id, event).await?;
    Ok(raw(body))
}

/// The body as a response. It is whatever the sender posted, served from Tocsin's origin, so
/// the browser is told not to sniff it into HTML and to run nothing in it if opened directly.
fn raw(mut body: String) -> Response {
    let mut truncated = false;
    if body.len() > MAX_BODY {
        // Only a body written around the ingest limit (by hand, in the database) gets here.
        let mut end = MAX_BODY;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        body.truncate(end);
        truncated = true;
    }
    let is_json = !truncated && serde_json::from_str::<serde::de::IgnoredAny>(&body).is_ok();
    let content_type = if is_json {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    let mut res = (
        [
            (header::CONTENT_TYPE, content_type),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response();
    if truncated {
        res.headers_mut().insert(
            HeaderName::from_static("x-tocsin-truncated"),
            HeaderValue::from_static("true"),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn served(body: String) -> (String, Option<String>, String) {
        let res = raw(body);
        let header = |n: &str| {
            res.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (ct, truncated) = (
            header("content-type").unwrap_or_default(),
            header("x-tocsin-truncated"),
        );
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .expect("body");
        (
            ct,
            truncated,
            String::from_utf8(bytes.to_vec()).expect("utf-8"),
        )
    }

    #[tokio::test]
    async fn json_is_served_as_json_and_anything_else_as_text() {
        let json = r#"{"id":"a","level":"CRITICAL"}"#.to_owned();
        assert_eq!(
            served(json.clone()).await,
            ("application/json".into(), None, json)
        );
        let text = "<script>alert(1)</script>".to_owned();
        assert_eq!(
            served(text.clone()).await,
            ("text/plain; charset=utf-8".into(), None, text)
        );
    }

    #[tokio::test]
    async fn a_body_over_the_ingest_limit_is_cut_at_a_character_and_marked() {
        let body = format!("\"{}\"", "é".repeat(MAX_BODY));
        let (ct, truncated, got) = served(body.clone()).await;
        assert_eq!(ct, "text/plain; charset=utf-8");
        assert_eq!(truncated.as_deref(), Some("true"));
        assert!(got.len() <= MAX_BODY && got.len() > MAX_BODY - 4);
        assert!(body.starts_with(&got));
    }
}
