//! The Kapacitor doctor over HTTP: `POST /kapacitor/check` reads a TICKscript (never runs it)
//! and answers what would lose or merge incidents, as `tocsin kapacitor check` does.
//!
//! Anyone signed in may call it: it reads nothing but the script and writes nothing. "This
//! Tocsin's webhook URLs" are those of the services the caller can see (their keys are
//! compared, never returned), with the public URL's host; so a post to a service the caller
//! cannot see is reported as not this Tocsin's, which is true for them.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use tocsin_core::kapacitor_check::{self, Finding, Inputs, TocsinUrls};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiJson;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(check))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    /// The TICKscript.
    script: String,
    /// The Kapacitor config (kapacitor.conf, TOML), for its `[[httppost]]` endpoints; without
    /// it `.endpoint()` names are not checked.
    #[serde(default)]
    kapacitor_conf: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FindingView {
    /// A stable code, e.g. `id-without-group`, `url-not-tocsin`.
    pub code: &'static str,
    /// `error` (alerts are lost, merged or misrouted) or `warning`.
    #[schema(example = "error")]
    pub severity: &'static str,
    /// From 1.
    pub line: u32,
    /// From 1, in characters.
    pub column: u32,
    pub message: String,
    /// What to write instead, in one line.
    pub fix: String,
}

impl From<Finding> for FindingView {
    fn from(f: Finding) -> Self {
        FindingView {
            code: f.code.as_str(),
            severity: f.severity.as_str(),
            line: f.line,
            column: f.column,
            message: f.message,
            fix: f.fix,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResult {
    pub findings: Vec<FindingView>,
}

/// The findings for `script` as `caller` may have them (see the module's note on URLs).
pub async fn findings(
    state: &AppState, caller: &Caller, script: &str, conf: Option<&str>,
) -> Result<Vec<FindingView>, ApiError> {
    let endpoints = match conf.filter(|c| !c.trim().is_empty()) {
        Some(c) => Some(kapacitor_check::endpoints(c).map_err(|e| {
            ApiError::bad_request(
                "invalid_field",
                format!("field `kapacitor_conf`: not a valid kapacitor.conf: {e}"),
            )
        })?),
        None => None,
    };
    let services = state.store.list_services(caller.reads(), None).await?;
    let tocsin = TocsinUrls {
        keys: services.into_iter().map(|s| s.api_key).collect(),
        hosts: TocsinUrls::host_of(&state.public_url).into_iter().collect(),
    };
    let inputs = Inputs {
        endpoints,
        tocsin: Some(tocsin),
    };
    Ok(kapacitor_check::check(script, &inputs)
        .into_iter()
        .map(FindingView::from)
        .collect())
}

/// Check a TICKscript for what loses or merges incidents: an id without the group or the
/// task, `.noRecoveries()`, `.stateChangesOnly()` without an interval, `.flapping()`, an
/// endpoint the config lacks, a URL that is not one of this Tocsin's webhook URLs, an empty id,
/// message or details. Lines and columns count from 1. Anyone signed in.
#[utoipa::path(post, path = "/kapacitor/check", tag = "kapacitor",
    request_body = CheckBody,
    responses((status = 200, body = CheckResult), (status = "4XX", body = ErrorBody)))]
async fn check(
    State(s): State<AppState>, caller: Caller, ApiJson(body): ApiJson<CheckBody>,
) -> Result<Json<CheckResult>, ApiError> {
    let findings = findings(&s, &caller, &body.script, body.kapacitor_conf.as_deref()).await?;
    Ok(Json(CheckResult { findings }))
}
