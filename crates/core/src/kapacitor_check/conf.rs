//! The `[[httppost]]` endpoints of a kapacitor.conf, and which URLs are this Tocsin's.

use std::collections::BTreeSet;

use serde::Deserialize;

/// One `[[httppost]]` block: `.post().endpoint(name)` posts to `url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpPostEndpoint {
    pub name: String,
    pub url: String,
}

#[derive(Deserialize)]
struct Conf {
    #[serde(default)]
    httppost: Vec<Block>,
}

#[derive(Deserialize)]
struct Block {
    endpoint: Option<String>,
    url: Option<String>,
}

/// The endpoints a kapacitor.conf defines. Kapacitor adds an `example` endpoint
/// (`http://example.com`) only when the file has no `[[httppost]]` at all; that one is kept out
/// on purpose: posting to it is a mistake the checks should report.
pub fn endpoints(conf: &str) -> Result<Vec<HttpPostEndpoint>, String> {
    let conf: Conf = toml::from_str(conf).map_err(|e| e.message().to_string())?;
    Ok(conf
        .httppost
        .into_iter()
        .filter_map(|b| {
            Some(HttpPostEndpoint {
                name: b.endpoint?,
                url: b.url.unwrap_or_default(),
            })
        })
        .collect())
}

/// This Tocsin's webhook URLs, as the checks need them: the current service keys, and the
/// hosts (`host[:port]`) Tocsin is reached at. A URL is this Tocsin's when its path ends in
/// `/v1/incidents/kapacitor/<a current key>`, whatever its host: Kapacitor often reaches
/// Tocsin by an internal name or address that is not the public URL.
#[derive(Debug, Clone, Default)]
pub struct TocsinUrls {
    pub keys: BTreeSet<String>,
    pub hosts: BTreeSet<String>,
}

/// What a posted-to URL is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlVerdict {
    /// One of this Tocsin's webhook URLs (the service key it carries).
    Tocsin { key: String },
    /// Meant for Tocsin (Tocsin's path, or Tocsin's host) but not a current webhook URL: a
    /// typo, a rotated key, or still Squadcast's host.
    NotTocsin,
    /// Somewhere else entirely.
    Elsewhere,
}

const PATH: &str = "/v1/incidents/kapacitor/";

/// The key in a Kapacitor webhook URL's path, if it has that shape.
pub fn webhook_key(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url.trim()).ok()?;
    let path = parsed.path();
    let at = path.rfind(PATH)?;
    let key = &path[at + PATH.len()..];
    (!key.is_empty() && !key.contains('/')).then(|| key.to_string())
}

impl TocsinUrls {
    pub fn verdict(&self, url: &str) -> UrlVerdict {
        if let Some(key) = webhook_key(url) {
            return if self.keys.contains(&key) {
                UrlVerdict::Tocsin { key }
            } else {
                UrlVerdict::NotTocsin
            };
        }
        let host = url::Url::parse(url.trim()).ok().and_then(|u| {
            let host = u.host_str()?.to_ascii_lowercase();
            Some(match u.port_or_known_default() {
                Some(p) => format!("{host}:{p}"),
                None => host,
            })
        });
        match host {
            Some(h) if self.hosts.contains(&h) => UrlVerdict::NotTocsin,
            _ => UrlVerdict::Elsewhere,
        }
    }

    /// `host:port` of a base URL such as the public URL, as [`TocsinUrls::hosts`] holds it.
    pub fn host_of(base: &str) -> Option<String> {
        let u = url::Url::parse(base.trim()).ok()?;
        let host = u.host_str()?.to_ascii_lowercase();
        Some(match u.port_or_known_default() {
            Some(p) => format!("{host}:{p}"),
            None => host,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_endpoints_and_ignores_the_rest() {
        let e = endpoints(
            "hostname = \"x\"\n[http]\nbind-address = \":9092\"\n[[httppost]]\nendpoint = \"tocsin\"\nurl = \"http://h/v1/incidents/kapacitor/K\"\nheaders = { Content-Type = \"application/json\" }\n",
        )
        .expect("parses");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].name, "tocsin");
        assert!(endpoints("[[httppost]\n").is_err());
    }

    #[test]
    fn verdicts() {
        let t = TocsinUrls {
            keys: ["K1".to_string()].into(),
            hosts: ["tocsin.example:443".to_string()].into(),
        };
        assert_eq!(
            t.verdict("http://10.0.0.1:8080/v1/incidents/kapacitor/K1"),
            UrlVerdict::Tocsin { key: "K1".into() }
        );
        assert_eq!(
            t.verdict("https://api.squadcast.com/v1/incidents/kapacitor/K1x"),
            UrlVerdict::NotTocsin
        );
        assert_eq!(
            t.verdict("https://tocsin.example/v1/incident/kapacitor/K1"),
            UrlVerdict::NotTocsin
        );
        assert_eq!(t.verdict("http://hooks.example/x"), UrlVerdict::Elsewhere);
        assert_eq!(t.verdict("not a url"), UrlVerdict::Elsewhere);
    }
}
