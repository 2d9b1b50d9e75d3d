//! The sources beyond Kapacitor's `post` handler (Alertmanager, Grafana, Kapacitor's alerta
//! and opsgenie2 handlers) through a real server: their fixtures (trigger, repeat, resolve),
//! the bad-input matrix, the catalogue and the test button.

mod bad_input;
mod catalogue;
mod fixtures;

use crate::support::Server;

/// The webhook URL of `slug` for a service, from the catalogue (as a user copies it).
pub async fn source_url(server: &Server, service: &str, slug: &str) -> String {
    let (s, sources) = server
        .get(&format!("/api/v1/services/{service}/alert-sources"))
        .await;
    assert_eq!(s, 200, "{sources}");
    sources
        .as_array()
        .and_then(|a| a.iter().find(|x| x["source"] == slug))
        .and_then(|k| k["webhook_url"].as_str())
        .unwrap_or_else(|| panic!("no {slug} webhook url in {sources}"))
        .to_owned()
}

/// POST `body` to `url`, returning the status and the JSON answer.
pub async fn post(server: &Server, url: &str, body: Vec<u8>) -> (u16, serde_json::Value) {
    server.send(url, body).await
}
