//! What the generator talks to: a loopback address, a path, and the body shape of that target.
//!
//! Only loopback is allowed. A load generator pointed at someone else's server is an attack,
//! so the host must be `127.0.0.1`, `[::1]` or `localhost` (which we pin to 127.0.0.1 rather
//! than trust a resolver with).

use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use anyhow::{bail, Context};
use chrono::{DateTime, SecondsFormat, Utc};
use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// A Tocsin Kapacitor webhook URL (`/v1/incidents/kapacitor/<key>`).
    Tocsin,
    /// Prometheus Alertmanager; the URL's path defaults to `/api/v2/alerts`.
    Alertmanager,
    /// Anything that takes a Kapacitor body, e.g. `noop-server` (the ceiling).
    Noop,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Tocsin => "tocsin",
            Kind::Alertmanager => "alertmanager",
            Kind::Noop => "noop",
        }
    }
}

/// A parsed, checked target URL.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub addr: SocketAddr,
    /// The `Host` header.
    pub host: String,
    pub path: String,
}

impl Endpoint {
    pub fn parse(url: &str, kind: Kind) -> anyhow::Result<Self> {
        let uri: hyper::Uri = url.parse().with_context(|| format!("not a URL: {url:?}"))?;
        if uri.scheme_str() != Some("http") {
            bail!("only http:// URLs are supported (loopback needs no TLS): {url:?}");
        }
        let host = uri.host().context("the URL has no host")?;
        let ip = loopback(host)?;
        let port = uri.port_u16().unwrap_or(80);
        let mut path = uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        if kind == Kind::Alertmanager && (path.is_empty() || path == "/") {
            path = "/api/v2/alerts".to_owned();
        }
        if path.is_empty() {
            path = "/".to_owned();
        }
        Ok(Endpoint {
            addr: SocketAddr::new(ip, port),
            host: uri
                .authority()
                .map(|a| a.as_str().to_owned())
                .unwrap_or_default(),
            path,
        })
    }

    /// The URL without secrets, for reports: a webhook key in a path is a password.
    pub fn display(&self) -> String {
        let path = match self.path.find("/incidents/") {
            Some(i) => {
                let rest = &self.path[i + "/incidents/".len()..];
                match rest.find('/') {
                    Some(j) => format!("{}{}/<key>", &self.path[..i + 11], &rest[..j]),
                    None => self.path.clone(),
                }
            }
            None => self.path.clone(),
        };
        format!("http://{}{}", self.host, path)
    }
}

/// The only hosts we send load to.
pub fn loopback(host: &str) -> anyhow::Result<IpAddr> {
    let trimmed = host.trim_start_matches('[').trim_end_matches(']');
    if trimmed.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    match trimmed.parse::<IpAddr>() {
        Ok(ip @ IpAddr::V4(v4)) if v4 == Ipv4Addr::LOCALHOST => Ok(ip),
        Ok(ip @ IpAddr::V6(v6)) if v6 == Ipv6Addr::LOCALHOST => Ok(ip),
        _ => bail!("refusing to send load to {host:?}: only 127.0.0.1, [::1] or localhost"),
    }
}

/// One alert to send: which key, and whether it is a recovery.
#[derive(Debug, Clone, Copy)]
pub struct Alert {
    pub key: u32,
    pub ok: bool,
    pub critical: bool,
}

/// Write the request body for `alert` into `out` (cleared first).
pub fn body(kind: Kind, alert: Alert, now: DateTime<Utc>, out: &mut String) {
    out.clear();
    match kind {
        Kind::Tocsin | Kind::Noop => kapacitor(alert, now, out),
        Kind::Alertmanager => alertmanager(alert, now, out),
    }
}

fn level(a: Alert) -> &'static str {
    match (a.ok, a.critical) {
        (true, _) => "OK",
        (false, true) => "CRITICAL",
        (false, false) => "WARNING",
    }
}

/// Shaped like Kapacitor's default `post` handler output: compact JSON, trailing newline,
/// `duration` in nanoseconds, one series with the group's tags.
fn kapacitor(a: Alert, now: DateTime<Utc>, out: &mut String) {
    let t = now.to_rfc3339_opts(SecondsFormat::Nanos, true);
    let lvl = level(a);
    let prev = if a.ok { "CRITICAL" } else { "OK" };
    let duration: u64 = if a.ok { 0 } else { 60_000_000_000 };
    let host = a.key;
    let value = if a.ok { 42.5 } else { 3.2 };
    let _ = write!(
        out,
        concat!(
            r#"{{"id":"cpu:host=web-{host:05}","message":"cpu:host=web-{host:05} is {lvl}: usage_idle={value}","#,
            r#""details":"{{&#34;Name&#34;:&#34;cpu&#34;,&#34;TaskName&#34;:&#34;cpu_alert&#34;,&#34;Group&#34;:&#34;host=web-{host:05}&#34;}}","#,
            r#""time":"{t}","duration":{duration},"level":"{lvl}","#,
            r#""data":{{"series":[{{"name":"cpu","tags":{{"cpu":"cpu-total","host":"web-{host:05}"}},"#,
            r#""columns":["time","usage_idle"],"values":[["{t}",{value}]]}}]}},"#,
            r#""previousLevel":"{prev}","recoverable":true}}"#,
            "\n"
        ),
        host = host,
        lvl = lvl,
        value = value,
        t = t,
        duration = duration,
        prev = prev,
    );
}

/// The same alert as Prometheus would post it to Alertmanager: an array of alerts with labels
/// (the identity), annotations, and `endsAt` set to now for a resolved alert.
fn alertmanager(a: Alert, now: DateTime<Utc>, out: &mut String) {
    let t = now.to_rfc3339_opts(SecondsFormat::Millis, true);
    let severity = if a.critical { "critical" } else { "warning" };
    let host = a.key;
    let ends = if a.ok {
        format!(r#","endsAt":"{t}""#)
    } else {
        String::new()
    };
    let _ = write!(
        out,
        concat!(
            r#"[{{"labels":{{"alertname":"cpu","host":"web-{host:05}","cpu":"cpu-total","severity":"{severity}"}},"#,
            r#""annotations":{{"summary":"cpu:host=web-{host:05} is {lvl}","description":"usage_idle below threshold"}},"#,
            r#""startsAt":"{t}"{ends},"generatorURL":"http://127.0.0.1:9092/kapacitor/v1/tasks/cpu_alert"}}]"#,
            "\n"
        ),
        host = host,
        severity = severity,
        lvl = level(a),
        t = t,
        ends = ends,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use tocsin_core::{Action, SourceKind};

    #[test]
    fn only_loopback_is_accepted() {
        for ok in [
            "http://127.0.0.1:8080/x",
            "http://[::1]:9093",
            "http://localhost:1/",
        ] {
            assert!(Endpoint::parse(ok, Kind::Noop).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1:80/",
            "http://127.0.0.2/",
            "http://example.com/",
            "https://127.0.0.1/",
            "http://0.0.0.0:80/",
        ] {
            assert!(Endpoint::parse(bad, Kind::Noop).is_err(), "{bad}");
        }
    }

    #[test]
    fn alertmanager_path_defaults_and_keys_are_hidden() {
        let am = Endpoint::parse("http://127.0.0.1:9093", Kind::Alertmanager).expect("parses");
        assert_eq!(am.path, "/api/v2/alerts");
        let t = Endpoint::parse(
            "http://127.0.0.1:8080/v1/incidents/kapacitor/s3cr3t",
            Kind::Tocsin,
        )
        .expect("parses");
        assert_eq!(
            t.display(),
            "http://127.0.0.1:8080/v1/incidents/kapacitor/<key>"
        );
    }

    #[test]
    fn kapacitor_bodies_decode_as_tocsin_does() {
        let mut s = String::new();
        let at = Utc::now();
        let a = Alert {
            key: 7,
            ok: false,
            critical: true,
        };
        body(Kind::Tocsin, a, at, &mut s);
        assert!(s.ends_with("}\n"));
        let ev = SourceKind::Kapacitor.decode(s.as_bytes()).expect("decodes");
        assert_eq!(ev[0].dedup_key, "cpu:host=web-00007");
        assert!(matches!(ev[0].action, Action::Trigger(_)));
        body(Kind::Noop, Alert { ok: true, ..a }, at, &mut s);
        let ev = SourceKind::Kapacitor.decode(s.as_bytes()).expect("decodes");
        assert_eq!(ev[0].action, Action::Resolve);
    }

    #[test]
    fn alertmanager_bodies_are_json_arrays() {
        let mut s = String::new();
        let a = Alert {
            key: 1,
            ok: true,
            critical: false,
        };
        body(Kind::Alertmanager, a, Utc::now(), &mut s);
        let v: serde_json::Value = serde_json::from_str(&s).expect("json");
        assert_eq!(v[0]["labels"]["host"], "web-00001");
        assert!(v[0]["endsAt"].is_string());
    }
}
