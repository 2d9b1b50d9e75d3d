//! `GET /incidents/{id}/notifications`: what paging sent about an incident, to whom, and how
//! each delivery went.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tocsin_core::paging::delivery::DeliveryStatus;
use tocsin_core::paging::escalation::NotificationKind;
use tocsin_core::paging::records::Notification;
use tocsin_core::{ChannelId, ContactMethodId, IncidentId, NotificationId, UserId};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiPath;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// One notification: its delivery id (`X-Tocsin-Delivery`), why it was sent, to whom, and
/// how its delivery went.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    #[schema(value_type = String)]
    pub id: NotificationId,
    pub kind: NotificationKind,
    /// The run of the policy: 0, then one more each time an acknowledgement timed out.
    pub round: u32,
    pub step: u32,
    #[serde(rename = "loop")]
    pub loop_: u32,
    #[schema(value_type = Option<String>)]
    pub user_id: Option<UserId>,
    #[schema(value_type = Option<String>)]
    pub channel_id: Option<ChannelId>,
    #[schema(value_type = Option<String>)]
    pub contact_method_id: Option<ContactMethodId>,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        // Only an open delivery has a next attempt.
        let next_attempt_at = n.next_attempt_at.filter(|_| n.status.is_open());
        NotificationView {
            id: n.id,
            kind: n.kind,
            round: n.round,
            step: n.step,
            loop_: n.loop_,
            user_id: n.user_id,
            channel_id: n.channel_id,
            contact_method_id: n.contact_method_id,
            status: n.status,
            attempts: n.attempts,
            next_attempt_at,
            sent_at: n.sent_at,
            error: n.error,
            created_at: n.created_at,
        }
    }
}

/// Every notification about the incident, oldest first (anyone who can see the incident).
#[utoipa::path(get, path = "/incidents/{id}/notifications", tag = "incidents",
    params(("id" = IncidentId, Path, description = "incident id")),
    responses((status = 200, body = Vec<NotificationView>), (status = "4XX", body = ErrorBody)))]
async fn list(
    State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<IncidentId>,
) -> Result<Json<Vec<NotificationView>>, ApiError> {
    let all = s.store.incident_notifications(caller.reads(), id).await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}
