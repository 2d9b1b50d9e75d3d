//! The web UI: server-rendered HTML (maud) with a little plain JavaScript.
//!
//! Pages read through the same store calls and the same [`Caller`] scope as the API, and every
//! change a person makes goes through the JSON API from the browser, so the UI adds no second
//! path for writes. Everything is served by Tocsin itself: no CDN, no build step.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::Markup;
use tocsin_core::model::Team;
use tocsin_core::TeamId;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

mod account;
mod assets;
mod chart;
mod contacts;
mod incidents;
mod kapacitor;
mod layout;
mod login;
mod notifications;
mod overview;
mod paging;
mod policy_editor;
mod schedules;
mod service_heartbeats;
mod service_noise;
mod service_policy;
mod services;
mod source_guides;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(overview::page))
        .route("/login", get(login::page))
        .route("/account", get(account::page))
        .route("/services", get(services::list))
        .route("/services/{id}", get(services::show))
        .route("/incidents", get(incidents::list))
        .route("/incidents/{id}", get(incidents::show))
        .route("/paging", get(paging::page))
        .route("/paging/policies/new", get(policy_editor::new))
        .route("/paging/policies/{id}", get(policy_editor::edit))
        .route("/kapacitor", get(kapacitor::page))
        .route("/schedules", get(schedules::list))
        .route("/schedules/new", get(schedules::new))
        .route("/schedules/{id}", get(schedules::show))
        .route("/schedules/{id}/edit", get(schedules::edit))
        .route("/assets/app.css", get(assets::css))
        .route("/assets/app.js", get(assets::js))
        .route("/assets/paging.js", get(assets::paging_js))
        .route("/assets/schedules.js", get(assets::schedules_js))
        .route("/assets/kapacitor.js", get(assets::kapacitor_js))
        .route("/assets/noise.js", get(assets::noise_js))
}

/// A signed-in person. Pages that need one send everyone else to the login page, and come
/// back to where they were after it.
pub struct WebCaller(pub Caller);

impl FromRequestParts<AppState> for WebCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match <Caller as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(c) => Ok(WebCaller(c)),
            Err(e) if e.status == axum::http::StatusCode::UNAUTHORIZED => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let to = format!("/login?next={}", urlencode(next));
                Err(Redirect::to(&to).into_response())
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

impl OptionalFromRequestParts<AppState> for WebCaller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts, state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <Caller as FromRequestParts<AppState>>::from_request_parts(parts, state)
                .await
                .ok()
                .map(WebCaller),
        )
    }
}

/// What every page knows: who is looking, the teams they can pick, and the one picked.
pub struct Ctx {
    pub caller: Caller,
    pub teams: Vec<Team>,
    pub team: Option<Team>,
    /// Set when the picker changed the team: remembered in a cookie.
    remember: Option<TeamId>,
    pub path: String,
    /// Cookies get `Secure` under an https public URL, as the session cookie does.
    secure: bool,
}

const TEAM_COOKIE: &str = "tocsin_team";

impl Ctx {
    /// `picked` is the `team` query parameter, if any; otherwise the remembered team, otherwise
    /// the first the caller can see.
    pub async fn load(
        state: &AppState, caller: Caller, headers: &HeaderMap, picked: Option<&str>, path: &str,
    ) -> Result<Ctx, ApiError> {
        let teams = state.store.list_teams(caller.reads()).await?;
        let picked_id = picked.and_then(|p| p.parse::<TeamId>().ok());
        let remembered = cookie(headers, TEAM_COOKIE).and_then(|c| c.parse::<TeamId>().ok());
        let team = picked_id
            .or(remembered)
            .and_then(|id| teams.iter().find(|t| t.id == id))
            .or(teams.first())
            .cloned();
        Ok(Ctx {
            caller,
            remember: picked_id.filter(|id| team.as_ref().is_some_and(|t| t.id == *id)),
            teams,
            team,
            path: path.to_owned(),
            secure: state.secure_cookies(),
        })
    }

    pub fn team_id(&self) -> Option<TeamId> {
        self.team.as_ref().map(|t| t.id)
    }

    /// The page as a response, remembering a newly picked team.
    pub fn respond(&self, page: Markup) -> Response {
        let mut res = page.into_response();
        if let Some(id) = self.remember {
            let secure = if self.secure { "; Secure" } else { "" };
            let v = format!(
                "{TEAM_COOKIE}={id}; Path=/; SameSite=Lax; HttpOnly; Max-Age=31536000{secure}"
            );
            if let Ok(v) = HeaderValue::from_str(&v) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        res
    }
}

/// One cookie's value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Typed ids from a page's path, as [`crate::json::ApiPath`]; a malformed one is a 400 page.
pub struct WebPath<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send> FromRequestParts<AppState> for WebPath<T> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        crate::json::ApiPath::<T>::from_request_parts(parts, state)
            .await
            .map(|crate::json::ApiPath(v)| Self(v))
            .map_err(WebError)
    }
}

/// Errors on pages are shown as pages: a person following a link to an incident of another
/// team gets a readable "not found", not a JSON body.
pub struct WebError(pub ApiError);

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> Self {
        WebError(e)
    }
}

impl From<tocsin_store::StoreError> for WebError {
    fn from(e: tocsin_store::StoreError) -> Self {
        WebError(e.into())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let body = maud::html! {
            section.card {
                h1 { (self.0.status.as_u16()) " — " (self.0.status.canonical_reason().unwrap_or("Error")) }
                p { (self.0.detail) }
                p { a href="/" { "Back to the overview" } }
            }
        };
        (self.0.status, layout::bare("Error", body)).into_response()
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn fmt_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}
