//! Headers that tell browsers how to treat what we send, set on every response by the edge
//! middleware ([`crate::edge`]) so no page can forget them.
//!
//! - `Content-Security-Policy`: scripts, styles, images and fetches only from this server, and
//!   no inline script or style at all (the pages have none: behaviour lives in
//!   `/assets/app.js`, looks in `/assets/app.css`), so an injection that slipped past maud's
//!   escaping still could not run. `frame-ancestors 'none'` (and the older
//!   `X-Frame-Options: DENY`) keeps the pages out of other sites' frames (clickjacking);
//!   `form-action 'self'` and `base-uri 'none'` stop a form or `<base>` from pointing elsewhere.
//!   JSON gets the same policy: it is never rendered, and the policy costs nothing there.
//! - `X-Content-Type-Options: nosniff`: a JSON body or an alert's text is never taken for HTML
//!   or script.
//! - `Referrer-Policy: no-referrer`: page URLs carry ids and filters, and Tocsin needs no
//!   `Referer` of its own (CSRF is checked by token and `Origin`), so none is sent anywhere;
//!   `strict-origin-when-cross-origin` would still tell other sites our host name.
//! - `Cache-Control: no-store` unless a handler chose otherwise (the static assets do): pages
//!   and API answers are per person, and some show a webhook key, a write credential, which
//!   must not stay in a shared or disk cache.

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::HeaderValue;
use axum::response::Response;

pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// Adds the headers the handler did not set (called by the edge middleware on every answer).
pub fn apply(res: &mut Response) {
    let h = res.headers_mut();
    for (name, value) in [
        (CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_VALUE),
        (X_FRAME_OPTIONS, "DENY"),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (REFERRER_POLICY, "no-referrer"),
        (CACHE_CONTROL, "no-store"),
    ] {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    }
}
