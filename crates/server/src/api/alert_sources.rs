//! A service's alert sources: the catalogue with each source's webhook URL and whether it is
//! receiving alerts, and the "send test alert" button.
//!
//! The webhook URL holds the service's key, a write credential: anyone holding it can open
//! incidents and resolve any of them. It is returned only to callers who may change the service
//! ([`Role::MANAGES_SERVICES`]); everyone else who can see the service learns that a source
//! exists and whether it is receiving alerts, with `webhook_url: null`.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tocsin_core::model::Service;
use tocsin_core::sources::Endpoint;
use tocsin_core::{ServiceId, SourceKind};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{role, Caller};
use crate::error::{ApiError, ErrorBody};
use crate::ingest::{accept, Accepted};
use crate::json::{ApiPath, ApiQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(test))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertSourceView {
    pub source: SourceKind,
    pub name: &'static str,
    /// The URL to post this source's alerts to. It holds the service's key, so it is null
    /// unless the caller may change the service (team owner or admin, org admin, or a token
    /// not narrowed below admin).
    pub webhook_url: Option<String>,
    /// For sources whose key travels in the body (PagerDuty's Events API v2: `routing_key`),
    /// the key to send there: the service's key, shown and hidden as `webhook_url` is. Null
    /// for sources whose URL holds the key.
    pub routing_key: Option<String>,
    /// "Receiving alerts": an incident came in through it in the last 30 days.
    pub active: bool,
    pub last_incident_at: Option<DateTime<Utc>>,
    pub last_event_at: Option<DateTime<Utc>>,
    /// The last connectivity test (Kapacitor's "Test" button) received.
    pub last_test_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Case-insensitive search over source names and slugs ("kap" finds Kapacitor, "pager"
    /// PagerDuty).
    q: Option<String>,
}

/// The catalogue for one service as `caller` may see it, optionally filtered by a search text.
pub async fn catalogue(
    state: &AppState, caller: &Caller, svc: &Service, q: Option<&str>,
) -> Result<Vec<AlertSourceView>, ApiError> {
    let sees_key = caller.grants.sees_webhook_keys(svc.team_id);
    let activity = state
        .store
        .alert_source_activity(caller.reads(), svc.id)
        .await?;
    let now = Utc::now();
    let needle = q.map(|s| s.trim().to_lowercase()).unwrap_or_default();
    Ok(SourceKind::ALL
        .iter()
        .filter(|k| {
            needle.is_empty()
                || k.display_name().to_lowercase().contains(&needle)
                || k.slug().contains(&needle)
        })
        .map(|kind| {
            let a = activity.iter().find(|a| a.source == *kind);
            AlertSourceView {
                source: *kind,
                name: kind.display_name(),
                webhook_url: sees_key
                    .then(|| format!("{}{}", state.public_url, kind.webhook_path(&svc.api_key))),
                routing_key: (sees_key && kind.endpoint() == Endpoint::Enqueue)
                    .then(|| svc.api_key.clone()),
                active: a.is_some_and(|a| a.is_active(now)),
                last_incident_at: a.and_then(|a| a.last_incident_at),
                last_event_at: a.and_then(|a| a.last_event_at),
                last_test_at: a.and_then(|a| a.last_test_at),
            }
        })
        .collect())
}

/// The service's alert sources: whether each is receiving alerts, and its webhook URL for
/// callers who may change the service (null for responders and observers: the URL holds a
/// write credential).
#[utoipa::path(get, path = "/services/{id}/alert-sources", tag = "services",
    params(("id" = ServiceId, Path, description = "service id"), SearchQuery),
    responses((status = 200, body = Vec<AlertSourceView>), (status = "4XX", body = ErrorBody)))]
async fn list(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<ServiceId>,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<Vec<AlertSourceView>>, ApiError> {
    let svc = s.store.get_service(caller.reads(), id).await?;
    Ok(Json(catalogue(&s, &caller, &svc, q.q.as_deref()).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestResult {
    triggered: Accepted,
    resolved: Accepted,
}

/// Send a realistic alert through the real pipeline, then its recovery: an incident opens and
/// auto-resolves, and the source shows as receiving alerts. Team admins.
#[utoipa::path(post, path = "/services/{id}/alert-sources/{source}/test", tag = "services",
    params(("id" = ServiceId, Path, description = "service id"), ("source" = String, Path, description = "alert source slug, e.g. kapacitor")),
    responses((status = 200, body = TestResult), (status = "4XX", body = ErrorBody)))]
async fn test(
    State(s): State<AppState>, caller: Caller, ApiPath((id, source)): ApiPath<(ServiceId, String)>,
) -> Result<Json<TestResult>, ApiError> {
    let svc = s.store.get_service(caller.reads(), id).await?;
    // Alerts reach the store through the webhook's path, which takes no scope; the role
    // check is still the handle's.
    let _team = caller.at::<role::ManagesServices>(svc.team_id)?;
    let kind = SourceKind::from_slug(&source).ok_or_else(|| ApiError::not_found("alert source"))?;
    let key = format!(
        "tocsin-test-{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let mut outcomes = Vec::with_capacity(2);
    for level in ["CRITICAL", "OK"] {
        let mut events = kind.sample_events(&key, level, Utc::now())?;
        let event = events
            .pop()
            .ok_or_else(|| ApiError::internal("send test alert", "no alert in the sample"))?;
        let outcome = accept(&s, &svc, event).await?;
        s.metrics
            .count_alert(kind.slug(), outcome.decision.outcome());
        outcomes.push(Accepted::from(outcome));
    }
    let resolved = outcomes
        .pop()
        .ok_or_else(|| ApiError::internal("send test alert", "no outcome"))?;
    let triggered = outcomes
        .pop()
        .ok_or_else(|| ApiError::internal("send test alert", "no outcome"))?;
    Ok(Json(TestResult {
        triggered,
        resolved,
    }))
}
