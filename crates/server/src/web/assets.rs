//! The stylesheet and script, compiled into the binary so Tocsin needs no files beside it.

use axum::http::header;
use axum::response::IntoResponse;

const CSS: &str = include_str!("../../assets/app.css");
const JS: &str = include_str!("../../assets/app.js");
/// Paging's forms (contact methods, channels, the policy editor): apart from `app.js` so each
/// stays one concern.
const PAGING_JS: &str = include_str!("../../assets/paging.js");
/// Schedules' pages (list, editor, timeline, overrides, calendar feeds, your upcoming
/// shifts): everything through the schedules API.
const SCHEDULES_JS: &str = include_str!("../../assets/schedules.js");
/// The Kapacitor doctor's box on a service's Kapacitor panel.
const KAPACITOR_JS: &str = include_str!("../../assets/kapacitor.js");
/// The service page's Noise card (maintenance windows, rules and their preview).
const NOISE_JS: &str = include_str!("../../assets/noise.js");

pub async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        CSS,
    )
}

pub async fn js() -> impl IntoResponse {
    script(JS)
}

pub async fn paging_js() -> impl IntoResponse {
    script(PAGING_JS)
}

pub async fn schedules_js() -> impl IntoResponse {
    script(SCHEDULES_JS)
}

pub async fn kapacitor_js() -> impl IntoResponse {
    script(KAPACITOR_JS)
}

pub async fn noise_js() -> impl IntoResponse {
    script(NOISE_JS)
}

fn script(body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
}
