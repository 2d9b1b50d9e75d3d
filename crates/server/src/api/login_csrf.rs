//! Login CSRF: another site must not be able to sign a visitor's browser in (to the attacker's
//! account, whose pages the victim would then fill). A plain HTML form can post to any site
//! with `enctype=text/plain` and no custom header, so sign-in, the one cookie-setting request
//! that has no CSRF token yet, accepts only what such a form cannot send:
//!
//! - `Content-Type: application/json` (415 otherwise): a form cannot send it, and a script on
//!   another site that tries must first pass a CORS preflight, which we never grant;
//! - no `Sec-Fetch-Site: cross-site`, and an `Origin`, when sent, that is this server's own
//!   (403 otherwise). The own origin is the public URL's, or the one the request was addressed
//!   to (`Host`, with the public URL's scheme), so a server reached by another name than its
//!   public URL still works; a cross-site browser request always names the attacker's origin,
//!   not ours. The scheme must match so that an `http://` page cannot sign in to an `https://`
//!   server on the same host.
//!
//! Requests without `Origin` (curl, the CLI, scripts) pass: they carry no victim's browser.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};

use crate::error::ApiError;
use crate::state::AppState;

/// The request came from a page of this site (or from no browser at all), as JSON.
pub struct FromThisSite;

impl FromRequestParts<AppState> for FromThisSite {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        check(&parts.headers, &state.public_url)?;
        Ok(FromThisSite)
    }
}

/// The rule, apart from axum so it is tested on headers alone.
pub fn check(headers: &HeaderMap, public_url: &str) -> Result<(), ApiError> {
    // A header that is not text is kept as something that matches nothing.
    let text = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or("\u{fffd}"));
    if text("sec-fetch-site").is_some_and(|s| s.eq_ignore_ascii_case("cross-site")) {
        return Err(cross_site(
            "the request was sent by another site (Sec-Fetch-Site: cross-site)",
        ));
    }
    if let Some(origin) = text("origin") {
        let (public, origin) = (origin_of(public_url), origin_of(origin));
        let own = match (&public, &origin) {
            (Some(p), Some(o)) => {
                p == o
                    || (scheme(p) == scheme(o)
                        && text("host").is_some_and(|host| authority(o).eq_ignore_ascii_case(host)))
            }
            _ => false,
        };
        if !own {
            return Err(cross_site(
                "the request's Origin is not this server's; sign in from Tocsin's own login page",
            ));
        }
    }
    let json = text("content-type")
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "sign-in takes a JSON body: send `Content-Type: application/json`",
        ));
    }
    Ok(())
}

fn cross_site(detail: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "cross_site_request", detail)
}

/// `scheme://host[:port]` of a URL, lower-cased, default ports dropped; `None` for anything
/// else (`null`, a bare word).
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let auth = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    if auth.is_empty() || auth.contains('@') {
        return None;
    }
    let auth = match (scheme.as_str(), auth.rsplit_once(':')) {
        ("http", Some((h, "80"))) | ("https", Some((h, "443"))) => h.to_owned(),
        _ => auth,
    };
    Some(format!("{scheme}://{auth}"))
}

fn authority(origin: &str) -> &str {
    origin.split_once("://").map_or(origin, |(_, a)| a)
}

fn scheme(origin: &str) -> &str {
    origin.split_once("://").map_or("", |(s, _)| s)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    const PUBLIC: &str = "https://tocsin.example.com";

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).expect("value"));
        }
        h
    }

    fn code(pairs: &[(&'static str, &str)]) -> Option<&'static str> {
        check(&headers(pairs), PUBLIC).err().map(|e| e.code)
    }

    const JSON: (&str, &str) = ("content-type", "application/json");

    #[test]
    fn what_a_cross_site_form_sends_is_refused() {
        // <form enctype=text/plain method=post action=https://tocsin.example.com/api/v1/session>
        let form = [
            ("content-type", "text/plain"),
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
            ("host", "tocsin.example.com"),
        ];
        assert_eq!(code(&form), Some("cross_site_request"));
        assert_eq!(
            code(&[("content-type", "text/plain")]),
            Some("unsupported_media_type")
        );
        assert_eq!(
            code(&[("content-type", "application/x-www-form-urlencoded")]),
            Some("unsupported_media_type")
        );
        assert_eq!(code(&[]), Some("unsupported_media_type"));
        assert_eq!(
            code(&[("content-type", "application/jsonx")]),
            Some("unsupported_media_type")
        );
        for origin in [
            "https://evil.example",
            "null",
            "https://tocsin.example.com.evil.example",
            "http://tocsin.example.com",
            "https://evil@tocsin.example.com",
            "https://tocsin.example.com:8443",
        ] {
            assert_eq!(
                code(&[JSON, ("origin", origin), ("host", "tocsin.example.com")]),
                Some("cross_site_request"),
                "{origin}"
            );
        }
        assert_eq!(
            code(&[JSON, ("sec-fetch-site", "cross-site")]),
            Some("cross_site_request")
        );
    }

    #[test]
    fn this_sites_pages_and_plain_clients_pass() {
        assert_eq!(code(&[JSON]), None);
        assert_eq!(
            code(&[("content-type", "Application/JSON; charset=utf-8")]),
            None
        );
        assert_eq!(
            code(&[JSON, ("origin", PUBLIC), ("sec-fetch-site", "same-origin")]),
            None
        );
        assert_eq!(
            code(&[JSON, ("origin", "https://tocsin.example.com:443")]),
            None
        );
        // Reached by another name than the public URL: the origin the browser addressed.
        let by_name = |origin: &str, host: &str| {
            let h = headers(&[JSON, ("origin", origin), ("host", host)]);
            check(&h, "http://127.0.0.1:8080").err().map(|e| e.code)
        };
        assert_eq!(by_name("http://localhost:8080", "localhost:8080"), None);
        assert_eq!(
            by_name("http://localhost:8080", "localhost:9090"),
            Some("cross_site_request")
        );
        assert_eq!(
            by_name("https://localhost:8080", "localhost:8080"),
            Some("cross_site_request")
        );
    }
}
