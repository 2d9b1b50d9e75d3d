//! Webhook and Slack-compatible sends: one JSON `POST`, judged by its status code.
//!
//! The URL was typed by a user, so the request is treated as hostile territory:
//! - every address it connects to is checked with `core::paging::destination::check_ip`, on
//!   every attempt: names through [`GuardedResolver`] (a name that re-resolves to the metadata
//!   service is refused at connect time, not only when saved), IP literals here before
//!   sending (reqwest does not ask a resolver about them); a pooled connection is reused
//!   only for the host it was opened to, after its address was checked;
//! - no proxy from the environment (a proxy would resolve the name itself, past the check);
//! - no redirects (a 302 to `http://169.254.169.254/` would go around the check; a 3xx counts
//!   as a failed attempt, as `classify_http` says);
//! - a connect timeout and a total timeout, and at most [`HttpConfig::max_response_bytes`] of
//!   the answer read, then dropped: a receiver cannot hold or flood the sender.

use std::error::Error as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use tocsin_core::ids::NotificationId;
use tocsin_core::paging::delivery::{classify_http, Attempt};
use tocsin_core::paging::destination::{check_ip, Policy, Refused};
use tocsin_core::paging::message::signature;
use url::Url;

/// `User-Agent` of every request.
pub const USER_AGENT_VALUE: &str = concat!("Tocsin/", env!("CARGO_PKG_VERSION"));
/// The delivery id, identical on every retry, so a receiver can drop repeats.
pub const DELIVERY_HEADER: &str = "x-tocsin-delivery";
/// `v1=<hex HMAC-SHA256>` per signing secret.
pub const SIGNATURE_HEADER: &str = "x-tocsin-signature";

/// The HTTP client's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpConfig {
    pub connect_timeout: Duration,
    /// The whole attempt: connect, send, the answer's head and the capped body.
    pub total_timeout: Duration,
    pub max_response_bytes: usize,
    pub policy: Policy,
}

/// Why the client could not be built (reqwest's builder failing: no TLS backend, etc.).
#[derive(Debug, thiserror::Error)]
#[error("the outbound HTTP client could not be built: {0}")]
pub struct BuildError(#[from] reqwest::Error);

/// A resolver that refuses names with a forbidden address.
///
/// If *any* address of a name is refused, the name is: a name resolving to both a public
/// address and `169.254.169.254` is an attack (DNS rebinding), not a misconfiguration, and
/// reqwest would try the addresses in turn.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub policy: Policy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Port 0: the connector puts the URL's port in.
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for a in &addrs {
                check_ip(a.ip(), policy)?;
            }
            if addrs.is_empty() {
                return Err(format!("{host} has no address").into());
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// Sends JSON bodies to webhooks and Slack-compatible endpoints.
#[derive(Debug, Clone)]
pub struct HttpSender {
    client: reqwest::Client,
    config: HttpConfig,
}

/// One request: where, what, and the webhook's signing secrets (none for Slack).
#[derive(Clone, Copy)]
pub struct Post<'a> {
    pub url: &'a Url,
    pub delivery: NotificationId,
    pub body: &'a [u8],
    pub secrets: &'a [&'a str],
}

impl HttpSender {
    pub fn new(config: HttpConfig) -> Result<Self, BuildError> {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT_VALUE)
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(config.connect_timeout)
            .timeout(config.total_timeout)
            .dns_resolver(Arc::new(GuardedResolver {
                policy: config.policy,
            }))
            .build()?;
        Ok(HttpSender { client, config })
    }

    /// One attempt. Never panics and never waits past the total timeout (plus the body cap's
    /// read, which the same timeout bounds).
    pub async fn post(&self, p: Post<'_>) -> Attempt {
        match p.url.scheme() {
            // https with rustls and the Mozilla roots (webpki-roots): no system trust store
            // to configure, the same on every machine.
            "http" | "https" => {}
            other => return Attempt::Permanent(Refused::Scheme(other.to_owned()).to_string()),
        }
        // reqwest connects to an IP literal without asking the resolver: check it here.
        let literal = match p.url.host() {
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            Some(url::Host::Domain(_)) => None,
            None => {
                return Attempt::Permanent(Refused::Malformed("it has no host".into()).to_string())
            }
        };
        if let Some(ip) = literal {
            if let Err(refused) = check_ip(ip, self.config.policy) {
                return Attempt::Permanent(refused.to_string());
            }
        }
        let mut req = self
            .client
            .post(p.url.clone())
            .header(
                HeaderName::from_static(DELIVERY_HEADER),
                p.delivery.to_string(),
            )
            .body(p.body.to_vec());
        if !p.secrets.is_empty() {
            req = req.header(
                HeaderName::from_static(SIGNATURE_HEADER),
                signature(p.secrets, p.body),
            );
        }
        match req.send().await {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                // Read a little of the answer (so the connection can be reused), then drop it.
                // A body that fails or stalls changes nothing: the status has been given.
                let mut read = 0usize;
                while read < self.config.max_response_bytes {
                    match resp.chunk().await {
                        Ok(Some(chunk)) => read += chunk.len(),
                        Ok(None) | Err(_) => break,
                    }
                }
                classify_http(status)
            }
            Err(e) => self.classify_error(&e),
        }
    }

    /// `GET` a JSON document from a user-given URL (a team's Kapacitor, for the doctor's live
    /// tasks) with the same guard as a send: checked addresses, no proxy, no redirects, the
    /// timeouts; at most `max_bytes` of answer. The error is a sentence for the page.
    pub async fn get_json(&self, url: &Url, max_bytes: usize) -> Result<serde_json::Value, String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Refused::Scheme(url.scheme().to_owned()).to_string());
        }
        let literal = match url.host() {
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            Some(url::Host::Domain(_)) => None,
            None => return Err(Refused::Malformed("it has no host".into()).to_string()),
        };
        if let Some(ip) = literal {
            check_ip(ip, self.config.policy).map_err(|r| r.to_string())?;
        }
        let mut resp = self.client.get(url.clone()).send().await.map_err(|e| {
            match self.classify_error(&e) {
                Attempt::Permanent(m) | Attempt::Transient(m) => m,
                Attempt::Delivered => "the request failed".to_owned(),
            }
        })?;
        let status = resp.status();
        if !status.is_success() {
            return Err(format!("answered {status}"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| format!("the answer broke off: {}", root_cause(&e)))?
        {
            if body.len() + chunk.len() > max_bytes {
                return Err(format!("the answer is larger than {max_bytes} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|e| format!("the answer is not JSON: {e}"))
    }

    fn classify_error(&self, e: &reqwest::Error) -> Attempt {
        // The resolver's refusal comes back wrapped in the connect error.
        let mut source = e.source();
        while let Some(s) = source {
            if let Some(refused) = s.downcast_ref::<Refused>() {
                return Attempt::Permanent(refused.to_string());
            }
            source = s.source();
        }
        if e.is_timeout() {
            Attempt::Transient(format!(
                "the receiver did not answer within {} ms",
                self.config.total_timeout.as_millis()
            ))
        } else if e.is_connect() {
            Attempt::Transient(format!("could not connect: {}", root_cause(e)))
        } else if e.is_builder() {
            Attempt::Permanent(format!("the request could not be made: {}", root_cause(e)))
        } else {
            Attempt::Transient(format!("the request failed: {}", root_cause(e)))
        }
    }
}

/// The innermost error's text: reqwest's own is only "error sending request".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last: &(dyn std::error::Error + 'static) = e;
    while let Some(s) = last.source() {
        last = s;
    }
    last.to_string()
}
