//! End to end with a real InfluxData Kapacitor: every test starts the real `tocsin` binary
//! (its own SQLite file) and a real `kapacitord` (its own temp dir and port), defines a
//! TICKscript task, writes points, and watches what Tocsin made of the alerts.
//!
//! `KAPACITORD` names the directory holding `kapacitord` and `kapacitor`
//! (`scripts/kapacitord.sh` builds and caches them; `scripts/test` sets it). Without it every
//! test here fails with that instruction: a missing Kapacitor is never a silent pass.

#[allow(dead_code)]
#[path = "../it/support/mod.rs"]
mod support;

mod bodies;
mod kapacitord;

mod alerta_opsgenie2;
mod config_cli;
mod grouping;
mod live_tasks;
mod outage;
mod pagerduty2;
mod post_endpoint;
mod post_url;
mod service_test;

use serde_json::Value;

pub use crate::support::eventually;
use crate::support::Server;

/// Point times: 2023-11-14T22:13:20Z. Kapacitor evaluates points by their own time, never the
/// wall clock, so fixed times make the alert bodies predictable.
pub const T0: i64 = 1_700_000_000_000_000_000;
pub const SECOND: i64 = 1_000_000_000;

/// `cpu,host=<host> usage_idle=<idle>` at `T0 + secs`.
pub fn cpu(host: &str, idle: f64, secs: i64) -> String {
    format!("cpu,host={host} usage_idle={idle} {}", T0 + secs * SECOND)
}

/// The `[[httppost]]` block exactly as the seed's method 2 writes it.
pub fn httppost_block(endpoint: &str, url: &str) -> String {
    format!(
        "[[httppost]]\n  endpoint = \"{endpoint}\"\n  url = \"{url}\"\n  headers = {{ Content-Type = \"application/json\" }}\n"
    )
}

/// Wait until the service's incidents satisfy `ok`, and return them.
pub async fn incidents_until(
    server: &Server, svc: &str, what: &str, ok: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let ok = &ok;
    eventually(what, || async move {
        let list = server.incidents(svc).await;
        if ok(&list) {
            Ok(list)
        } else {
            Err(serde_json::to_string_pretty(&list).unwrap_or_default())
        }
    })
    .await
}

/// The one incident with this dedup key, if any.
pub fn by_key<'a>(list: &'a [Value], key: &str) -> Option<&'a Value> {
    list.iter().find(|i| i["dedup_key"] == key)
}

/// An incident with its timeline.
pub async fn detail(server: &Server, incident: &Value) -> Value {
    let id = incident["id"].as_str().expect("incident id");
    let (status, body) = server.get(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body
}
