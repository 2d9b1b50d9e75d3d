//! What the paging routes share: whose contact methods a caller may manage, the body that
//! makes a contact method or a channel, and the test send.

use axum::http::StatusCode;
use chrono::Utc;
use serde::Deserialize;
use tocsin_core::paging::delivery::Attempt;
use tocsin_core::paging::records::{check_name, check_target, MethodKind, TargetError};
use tocsin_core::UserId;
use tocsin_store::paging::NewDestination;
use utoipa::ToSchema;

use super::dto::{TestSend, TestStatus};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::notify::outbound::{test_outbound, Destination};
use crate::secrets::new_signing_secret;
use crate::state::AppState;

/// The user whose contact methods and rules `id` addresses, when the caller may manage them:
/// the user itself, or an organisation admin. Anyone else gets 404, as for a user who does
/// not exist: whether a user has contact methods is theirs to know.
pub async fn managed_user(s: &AppState, caller: &Caller, id: UserId) -> Result<UserId, ApiError> {
    let me = caller.user.as_ref().map(|u| u.id);
    if me == Some(id) {
        return Ok(id);
    }
    if caller.is_org_admin() {
        // Not found when there is no such user.
        s.accounts.get_user(caller.reads(), me, id).await?;
        return Ok(id);
    }
    Err(ApiError::not_found("user"))
}

/// A new contact method or channel.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DestinationBody {
    #[serde(rename = "type")]
    kind: MethodKind,
    /// 1–100 characters, unique per user (contact methods) or per team (channels).
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// `webhook` and `slack`: an http(s) URL.
    url: Option<String>,
    /// `email`: the address.
    address: Option<String>,
}

fn target_error(e: TargetError) -> ApiError {
    let code = match e {
        TargetError::Missing(..) => "missing_field",
        _ => "invalid_field",
    };
    ApiError::bad_request(code, format!("field `{}`: {e}", e.field()))
}

impl DestinationBody {
    /// Checked by core's rules; a webhook gets a new signing secret.
    pub fn check(self) -> Result<NewDestination, ApiError> {
        let name = check_name(&self.name).map_err(target_error)?;
        let target = check_target(self.kind, self.url.as_deref(), self.address.as_deref())
            .map_err(target_error)?;
        Ok(NewDestination {
            kind: self.kind,
            name,
            target,
            signing_secret: self.kind.is_signed().then(new_signing_secret),
        })
    }
}

/// Send the test message to `to` now, and say what came of it. 503
/// `notifications_unavailable` when this server has no senders.
pub async fn send_test(s: &AppState, to: Destination<'_>) -> Result<TestSend, ApiError> {
    let Some(notifier) = &s.notifier else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "notifications_unavailable",
            "this server sends no notifications",
        ));
    };
    let out = test_outbound(to, &s.public_url, Utc::now());
    let (status, error) = match notifier.send(&out).await {
        Attempt::Delivered => (TestStatus::Sent, None),
        Attempt::Transient(e) | Attempt::Permanent(e) => (TestStatus::Failed, Some(e)),
    };
    Ok(TestSend {
        status,
        error,
        delivery_id: out.delivery,
    })
}
