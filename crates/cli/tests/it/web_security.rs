//! The web UI's defences against other sites: the redirect after sign-in stays on this server,
//! sign-in refuses what a cross-site form can send (login CSRF), sign-out always ends the
//! cookie's session, and every page carries the browser security headers.

use serde_json::{json, Value};

use crate::support::{alert, Server, ADMIN_TOKEN};

const PASSWORD: &str = "a long enough password";

async fn server_with_user() -> (tempfile::TempDir, Server) {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = Server::spawn_app(tmp.path()).await;
    let (st, v) = s
        .post(
            "/api/v1/users",
            json!({"username": "ann", "email": "ann@example.com", "password": PASSWORD, "org_admin": true}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    (tmp, s)
}

/// `data-redirect="…"` of the login form.
fn data_redirect(html: &str) -> &str {
    html.split("data-redirect=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("data-redirect")
}

#[tokio::test]
async fn the_redirect_after_sign_in_stays_on_this_server() {
    let (_tmp, s) = server_with_user().await;
    let cookie = s.session("ann", PASSWORD).await.cookie;
    let client = s.no_redirects();
    // Browsers drop TAB/CR/LF from URLs: `/\t/evil.example` would land on //evil.example.
    let hostile = [
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%0d%0a/evil.example",
        "/%5c/evil.example",
        "//evil.example",
        "/%5cevil.example",
        "https://evil.example",
        "/%00",
        "/%1b%5b31m",
    ];
    for next in hostile {
        let path = format!("/login?next={next}");
        // Signed in: the server redirects at once.
        let r = client
            .get(s.url(&path))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("GET");
        assert!(r.status().is_redirection(), "{next}: {}", r.status());
        assert_eq!(r.headers()["location"], "/", "{next}");
        // Not signed in: the form goes there after signing in.
        let r = client.get(s.url(&path)).send().await.expect("GET");
        assert_eq!(r.status(), 200, "{next}");
        assert_eq!(data_redirect(&r.text().await.expect("html")), "/", "{next}");
    }
    let fine = "/incidents?status=open";
    let r = client
        .get(s.url("/login?next=%2Fincidents%3Fstatus%3Dopen"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.headers()["location"], fine);
    // A page that needs a sign-in sends people to the login page with the way back.
    let r = client
        .get(s.url("/incidents?status=open"))
        .send()
        .await
        .expect("GET");
    let to = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let r = client.get(s.url(&to)).send().await.expect("GET");
    assert_eq!(data_redirect(&r.text().await.expect("html")), fine);
}

/// One sign-in attempt with the given content type and headers: status, error code, and
/// whether a cookie was set.
async fn attempt(s: &Server, ct: Option<&str>, headers: &[(&str, &str)]) -> (u16, String, bool) {
    let creds = json!({"username": "ann", "password": PASSWORD}).to_string();
    let mut req = s.http.post(s.url("/api/v1/session")).body(creds);
    if let Some(ct) = ct {
        req = req.header("content-type", ct);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.expect("POST");
    let cookie = r.headers().get("set-cookie").is_some();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    (
        status,
        body["code"].as_str().unwrap_or("").to_owned(),
        cookie,
    )
}

#[tokio::test]
async fn sign_in_refuses_what_another_site_can_send() {
    let (_tmp, s) = server_with_user().await;
    let refused = |code: &str| {
        (
            if code == "cross_site_request" {
                403
            } else {
                415
            },
            code.to_owned(),
            false,
        )
    };
    // What `<form enctype=text/plain>` on another site sends: no cookie is set.
    let form = [
        ("origin", "http://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-mode", "navigate"),
    ];
    assert_eq!(
        attempt(&s, Some("text/plain"), &form).await,
        refused("cross_site_request")
    );
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        assert_eq!(
            attempt(&s, ct, &[]).await,
            refused("unsupported_media_type"),
            "{ct:?}"
        );
    }
    for headers in [
        [("origin", "http://evil.example")],
        [("origin", "null")],
        [("sec-fetch-site", "cross-site")],
    ] {
        assert_eq!(
            attempt(&s, Some("application/json"), &headers).await,
            refused("cross_site_request"),
            "{headers:?}"
        );
    }
    // Tocsin's own login page, and clients that are not browsers, sign in.
    let page = [
        ("origin", s.base.as_str()),
        ("sec-fetch-site", "same-origin"),
    ];
    assert_eq!(
        attempt(&s, Some("application/json; charset=utf-8"), &page).await,
        (201, String::new(), true)
    );
    assert_eq!(
        attempt(&s, Some("application/json"), &[]).await,
        (201, String::new(), true)
    );
}

#[tokio::test]
async fn sign_out_ends_the_cookies_session_whatever_the_csrf_header() {
    let (_tmp, s) = server_with_user().await;
    let old_csrf = s.session("ann", PASSWORD).await.csrf;
    let users = |cookie: String| {
        let req = s.http.get(s.url("/api/v1/users")).header("cookie", cookie);
        async move { req.send().await.expect("GET").status().as_u16() }
    };
    // The browser's stored token is another session's (an older sign-in), or there is none.
    for csrf in [Some(old_csrf.as_str()), None, Some("tocsin_garbage")] {
        let cookie = s.session("ann", PASSWORD).await.cookie;
        assert_eq!(users(cookie.clone()).await, 200);
        let mut req = s
            .http
            .delete(s.url("/api/v1/session"))
            .header("cookie", &cookie);
        if let Some(c) = csrf {
            req = req.header("x-tocsin-csrf", c);
        }
        let r = req.send().await.expect("DELETE");
        assert_eq!(r.status(), 204, "{csrf:?}");
        let cleared = r.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .to_owned();
        assert!(
            cleared.starts_with("tocsin_session=;") && cleared.contains("Max-Age=0"),
            "{cleared}"
        );
        assert_eq!(users(cookie).await, 401, "the session ended ({csrf:?})");
    }
    // No cookie, or a stale one: still 204 and a cleared cookie.
    for cookie in [None, Some("tocsin_session=tocsin_long_gone")] {
        let mut req = s.http.delete(s.url("/api/v1/session"));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let r = req.send().await.expect("DELETE");
        assert_eq!(r.status(), 204);
        assert!(r.headers().contains_key("set-cookie"));
    }
    let (_, audit) = s.get("/api/v1/audit").await;
    let logouts = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "logout")
        .count();
    assert_eq!(logouts, 3, "{audit}");
}

#[tokio::test]
async fn pages_carry_the_browser_security_headers_and_no_inline_code() {
    let (_tmp, s) = server_with_user().await;
    let cookie = s.session("ann", PASSWORD).await.cookie;
    let svc = s.default_service().await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let url = s.kapacitor_url(&svc).await;
    let (st, opened) = s.send(&url, alert("cpu:web-1", "CRITICAL")).await;
    assert_eq!(st, 202, "{opened}");
    let inc = opened["incident_id"].as_str().expect("incident");
    let (_, users) = s.get("/api/v1/users").await;
    let ann = users
        .as_array()
        .and_then(|u| u.iter().find(|u| u["username"] == "ann"))
        .and_then(|u| u["id"].as_str())
        .expect("ann")
        .to_owned();
    let team = s.default_service().await["team_id"]
        .as_str()
        .expect("team")
        .to_owned();
    let (st, policy) = s
        .post(
            "/api/v1/escalation-policies",
            json!({"team_id": team, "name": "p", "repeat": 0,
                "steps": [{"delay_minutes": 0, "targets": [{"type": "user", "id": ann}]}]}),
        )
        .await;
    assert_eq!(st, 201, "{policy}");
    let policy = policy["id"].as_str().expect("policy");
    let (st, schedule) = s
        .post(
            "/api/v1/schedules",
            json!({"team_id": team, "name": "s", "time_zone": "Europe/Berlin",
                "layers": [{"name": "l", "participants": [ann], "rotation": {"unit": "week", "length": 1},
                    "start": "2026-01-05T09:00:00"}]}),
        )
        .await;
    assert_eq!(st, 201, "{schedule}");
    let schedule = schedule["id"].as_str().expect("schedule");
    let pages = [
        "/".to_owned(),
        "/services".to_owned(),
        format!("/services/{svc}"),
        "/incidents".to_owned(),
        format!("/incidents/{inc}"),
        "/account".to_owned(),
        "/paging".to_owned(),
        "/paging/policies/new".to_owned(),
        format!("/paging/policies/{policy}"),
        "/schedules".to_owned(),
        "/schedules/new".to_owned(),
        format!("/schedules/{schedule}"),
        format!("/schedules/{schedule}/edit"),
        "/login".to_owned(),
    ];
    for page in &pages {
        let r = s
            .no_redirects()
            .get(s.url(page))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("GET");
        let h = r.headers().clone();
        let html = r.text().await.expect("html");
        let header = |n: &str| {
            h.get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let csp = header("content-security-policy");
        for part in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ] {
            assert!(csp.contains(part), "{page}: {csp}");
        }
        assert!(!csp.contains("unsafe"), "{page}: {csp}");
        assert_eq!(header("x-frame-options"), "DENY", "{page}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{page}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{page}");
        assert_eq!(header("cache-control"), "no-store", "{page}");
        // What the policy would block must not be there: inline script, styles, handlers.
        let lower = html.to_ascii_lowercase();
        assert!(!lower.contains(" style="), "{page} has an inline style");
        assert!(!lower.contains("<style"), "{page} has a style element");
        assert_eq!(
            lower.matches("<script").count(),
            lower.matches("<script src=\"/assets/").count(),
            "{page} has an inline script"
        );
        for attr in [
            " onclick=",
            " onchange=",
            " onload=",
            " onsubmit=",
            " oninput=",
            "javascript:",
        ] {
            assert!(!lower.contains(attr), "{page} has {attr}");
        }
    }
    // API answers: not sniffed, not stored; the assets may be cached.
    let r = s
        .http
        .get(s.url(&format!("/api/v1/services/{svc}/alert-sources")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let r = s
        .http
        .get(s.url("/assets/app.js"))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.headers()["cache-control"]
        .to_str()
        .expect("cc")
        .starts_with("public"));
}
