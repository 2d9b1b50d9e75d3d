//! The bodies real Kapacitor sent, as Tocsin kept them in incident timelines: each must
//! decode, and carry every field of our own test data, in the same order, with the same
//! types. `TOCSIN_KAPACITOR_RECORD=<dir>` also writes them there, to compare with
//! `crates/core/testdata/kapacitor/` by eye.

use std::fmt;
use std::path::PathBuf;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use crate::eventually;
use crate::support::Server;

/// Every body received for the service's incidents, oldest first per incident, parsed,
/// after checking each one. Polls until there are `expected` of them: an OK that resolves an
/// incident is committed with it, so the count settles with the incident states.
pub async fn received(server: &Server, svc: &str, expected: usize) -> Vec<Value> {
    let raw = eventually("alert bodies in timelines", || async move {
        let mut all = Vec::new();
        for inc in server.incidents(svc).await {
            let id = inc["id"].as_str().expect("incident id");
            for ev in server.timeline(id).await {
                if ev["payload_url"].is_string() {
                    all.push((
                        ev["received_at"].as_str().unwrap_or("").to_owned(),
                        server.payload(&ev).await,
                    ));
                }
            }
        }
        if all.len() == expected {
            Ok(all)
        } else {
            Err(format!("{} bodies: {all:#?}", all.len()))
        }
    })
    .await;
    let mut raw = raw;
    raw.sort();
    raw.iter()
        .enumerate()
        .map(|(i, (_, body))| check(svc, i, body))
        .collect()
}

/// One real body against our fixtures' shape.
fn check(svc: &str, n: usize, body: &str) -> Value {
    record(svc, n, body);
    assert!(
        body.ends_with("}\n"),
        "Go's json.Encoder ends a body with one newline: {body:?}"
    );
    if let Err(e) = tocsin_core::sources::kapacitor::decode(body.as_bytes()) {
        panic!("a real Kapacitor body does not decode: {e:?}\n{body}");
    }
    assert_eq!(
        keys(body),
        keys(&fixture("01_critical_default_encoder.json")),
        "a real body's fields differ from our fixtures': {body}"
    );
    let v: Value = serde_json::from_str(body).expect("JSON");
    assert!(v["id"].as_str().is_some_and(|s| !s.is_empty()), "{v}");
    assert!(v["message"].is_string() && v["details"].is_string(), "{v}");
    assert!(
        chrono::DateTime::parse_from_rfc3339(v["time"].as_str().unwrap_or("")).is_ok(),
        "{v}"
    );
    assert!(v["duration"].is_u64(), "duration is integer ns: {v}");
    for level in ["level", "previousLevel"] {
        assert!(
            ["OK", "INFO", "WARNING", "CRITICAL"].contains(&v[level].as_str().unwrap_or("")),
            "{v}"
        );
    }
    assert_eq!(v["recoverable"], true, "{v}");
    let series = v["data"]["series"].as_array().expect("data.series");
    assert_eq!(series.len(), 1, "a stream alert carries its one point: {v}");
    assert!(series[0]["name"].is_string(), "{v}");
    assert_eq!(series[0]["columns"][0], "time", "{v}");
    assert_eq!(series[0]["values"][0][0], v["time"], "{v}");
    // The default details template is `{{ json . }}` through html/template: HTML-escaped
    // JSON of the whole alert, including the server's identity.
    let details = v["details"].as_str().unwrap_or("");
    assert!(
        details.starts_with("{&#34;Name&#34;:") && details.ends_with("}\n"),
        "details: {details:?}"
    );
    let ours: Value =
        serde_json::from_str(&fixture("05_real_grouped_critical.json")).expect("fixture");
    let ours = unescape_html(ours["details"].as_str().unwrap_or(""));
    assert_eq!(
        keys(&unescape_html(details)),
        keys(&ours),
        "details differ from our fixture 05's: {details}"
    );
    v
}

/// What html/template escaped in `{{ json . }}`.
fn unescape_html(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#43;", "+")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn record(svc: &str, n: usize, body: &str) {
    if let Some(dir) = std::env::var_os("TOCSIN_KAPACITOR_RECORD") {
        let dir = PathBuf::from(dir);
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(format!("{svc}_{n:02}.json")), body);
    }
}

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../core/testdata/kapacitor")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Top-level keys in the order they appear (serde_json's `Value` would sort them).
pub fn keys(body: &str) -> Vec<String> {
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<String>, A::Error> {
            let mut out = Vec::new();
            while let Some(k) = map.next_key::<String>()? {
                map.next_value::<IgnoredAny>()?;
                out.push(k);
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_str(body);
    de.deserialize_map(Keys).expect("a JSON object")
}
