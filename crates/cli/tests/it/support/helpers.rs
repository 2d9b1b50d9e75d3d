//! Helpers without a server of their own: clients, `/metrics` lines, alert bodies, deadlines.

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::json;

use super::Server;

/// An HTTP client whose connections come from `ip`: any 127.0.0.0/8 address reaches a server
/// on 127.0.0.1, so tests of per-client-address limits play a second client as 127.0.0.2
/// while `Server::http` stays 127.0.0.1.
pub fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().expect("ip"))
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// The line of `/metrics` for `name`, e.g. `tocsin_bearer_failures_total 3`.
pub async fn metric(server: &Server, name: &str) -> String {
    let text = server.metrics().await;
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with([' ', '{']))
        .unwrap_or_default()
        .to_owned()
}

/// A Kapacitor alert body, as its default `post` handler encodes it.
pub fn alert(id: &str, level: &str) -> String {
    let body = json!({
        "id": id,
        "message": format!("{id} is {level}"),
        "details": "",
        "time": "2026-11-24T10:00:00.123456789Z",
        "duration": 0,
        "level": level,
        "data": {"series": [{"name": "cpu", "tags": {"host": "web-1"}, "columns": ["time", "usage_idle"], "values": [["2026-11-24T10:00:00.123456789Z", 3.2]]}]},
        "previousLevel": "OK",
        "recoverable": true
    });
    format!("{body}\n")
}

/// The value of the `/metrics` sample `name` (labels included, e.g.
/// `tocsin_alerts_total{source="kapacitor",outcome="joined"}`) in the exposition `text`.
pub fn metric_value(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(' ')))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

/// How long [`eventually`] waits: far beyond what anything takes on a loaded machine.
pub const EVENTUALLY: Duration = Duration::from_secs(30);

/// Poll `probe` until it yields a value, for up to [`EVENTUALLY`]; a deadline, never a fixed
/// sleep. `Err` carries what was seen last, for the failure message.
pub async fn eventually<T, F, Fut>(what: &str, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    eventually_within(what, EVENTUALLY, probe).await
}

/// [`eventually`] with another deadline.
pub async fn eventually_within<T, F, Fut>(what: &str, within: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + within;
    loop {
        match probe().await {
            Ok(v) => return v,
            Err(last) if Instant::now() >= deadline => {
                panic!("{what}: not within {within:?}; last seen: {last}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(25)).await,
        }
    }
}

/// A page as `who` sees it (no redirect followed): its status and HTML.
pub async fn page(s: &Server, who: &super::Session, path: &str) -> (u16, String) {
    let r = s
        .no_redirects()
        .get(s.url(path))
        .header("cookie", &who.cookie)
        .send()
        .await
        .expect("GET page");
    let st = r.status().as_u16();
    (st, r.text().await.expect("html"))
}

/// A page that must answer 200, as `who` sees it.
pub async fn page_ok(s: &Server, who: &super::Session, path: &str) -> String {
    let (st, html) = page(s, who, path).await;
    assert_eq!(st, 200, "{path}: {html}");
    html
}

pub fn has_all(html: &str, path: &str, wants: &[&str]) {
    for w in wants {
        assert!(html.contains(w), "{path} should have {w:?}");
    }
}

pub fn has_none(html: &str, path: &str, unwanted: &[&str]) {
    for w in unwanted {
        assert!(!html.contains(w), "{path} should not have {w:?}");
    }
}
