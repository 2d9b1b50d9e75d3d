//! Outbound notifications: the senders that put a prepared message on the wire.
//!
//! What is sent is decided in `core::paging::message` (the bytes, the signature, the email),
//! where to send is checked by `core::paging::destination`, and what an attempt came to is
//! judged by `core::paging::delivery`; this module only does the I/O, one attempt at a time.
//! Retries, leases and recording the outcome are the engine's: a [`Sender`] never retries by
//! itself, so every attempt is seen (and counted) by the engine.
//!
//! - [`http`]: webhooks and Slack-compatible endpoints (reqwest, guarded resolver, no
//!   redirects, timeouts, capped answers);
//! - [`smtp`]: email through the operator's relay (lettre);
//! - [`outbound`]: a message prepared for a destination's kind, and the "send test" message;
//! - [`concurrency`]: bounds per destination and overall, so one slow receiver never
//!   delays the others;
//! - `testing` (tests, or the `test-receivers` feature): loopback HTTP and SMTP receivers
//!   for any test that wants to see what Tocsin sends.

use std::fmt;
use std::time::Duration;

use tocsin_core::ids::NotificationId;
use tocsin_core::paging::delivery::Attempt;
use tocsin_core::paging::destination::{check_url, Policy};
use tocsin_core::paging::message::Email;

pub mod concurrency;
pub mod http;
pub mod kapacitor;
pub mod outbound;
pub mod smtp;
#[cfg(any(test, feature = "test-receivers"))]
pub mod testing;
#[cfg(test)]
mod tests;

use concurrency::Limits;
use http::{HttpConfig, HttpSender, Post};
use smtp::{SmtpConfig, SmtpSender};

/// The senders' settings (from the command line, once the engine is wired).
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// `--deny-private-targets`: also refuse private, loopback and internal addresses
    /// (link-local and metadata addresses are always refused).
    pub deny_private_targets: bool,
    pub connect_timeout: Duration,
    /// One HTTP attempt, start to end. With the wait for a permit (bounded by the same
    /// value) an attempt lasts at most twice this, well within the delivery lease (60 s).
    pub total_timeout: Duration,
    /// How much of a receiver's answer is read before it is dropped.
    pub max_response_bytes: usize,
    /// Sends in flight to one destination (an origin, or the SMTP relay).
    pub per_destination: usize,
    /// Sends in flight in all.
    pub overall: usize,
    /// No email is sent without it (an email attempt is then a permanent failure).
    pub smtp: Option<SmtpConfig>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            deny_private_targets: false,
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(10),
            max_response_bytes: 64 * 1024,
            per_destination: 4,
            overall: 64,
            smtp: None,
        }
    }
}

/// Why the senders could not be built; reported at start.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(transparent)]
    Http(#[from] http::BuildError),
    #[error(transparent)]
    Smtp(#[from] smtp::SmtpConfigError),
}

/// What to send, prepared: the contact method's kind and destination, with the bytes.
#[derive(Clone)]
pub enum Channel {
    /// A signed JSON `POST`; `secrets` are the signing secrets (several while rotating).
    Webhook {
        url: String,
        body: Vec<u8>,
        secrets: Vec<String>,
    },
    /// An unsigned JSON `POST` (Slack, Mattermost and Rocket.Chat do not check signatures).
    Slack {
        url: String,
        body: Vec<u8>,
    },
    Email {
        to: String,
        email: Email,
    },
}

impl fmt::Debug for Channel {
    /// Never shows a signing secret (nor the bytes, which may be long).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Channel::Webhook { url, secrets, .. } => f
                .debug_struct("Webhook")
                .field("url", url)
                .field("secrets", &secrets.len())
                .finish_non_exhaustive(),
            Channel::Slack { url, .. } => f
                .debug_struct("Slack")
                .field("url", url)
                .finish_non_exhaustive(),
            Channel::Email { to, email } => f
                .debug_struct("Email")
                .field("to", to)
                .field("message_id", &email.message_id)
                .finish_non_exhaustive(),
        }
    }
}

/// One notification ready to go; `delivery` is the same on every attempt.
#[derive(Debug, Clone)]
pub struct Outbound {
    pub delivery: NotificationId,
    pub channel: Channel,
}

/// Puts notifications on the wire. Cheap to share (`Arc`) between the engine's tasks; each
/// [`Sender::send`] is one attempt, bounded in time and in concurrency.
#[derive(Debug)]
pub struct Sender {
    http: HttpSender,
    smtp: Option<SmtpSender>,
    limits: Limits,
    /// How long to wait for a permit before the attempt counts as a transient failure.
    queue_wait: Duration,
}

impl Sender {
    pub fn new(config: &NotifyConfig) -> Result<Self, NotifyError> {
        let http = HttpSender::new(HttpConfig {
            connect_timeout: config.connect_timeout,
            total_timeout: config.total_timeout,
            max_response_bytes: config.max_response_bytes,
            policy: Policy {
                deny_private: config.deny_private_targets,
            },
        })?;
        let smtp = config.smtp.as_ref().map(SmtpSender::new).transpose()?;
        Ok(Sender {
            http,
            smtp,
            limits: Limits::new(config.per_destination, config.overall),
            queue_wait: config.total_timeout,
        })
    }

    /// One attempt at `out`, judged as `core::paging::delivery` says.
    pub async fn send(&self, out: &Outbound) -> Attempt {
        match &out.channel {
            Channel::Webhook { url, body, secrets } => {
                let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
                self.post(url, out.delivery, body, &secrets).await
            }
            Channel::Slack { url, body } => self.post(url, out.delivery, body, &[]).await,
            Channel::Email { to, email } => {
                let Some(smtp) = &self.smtp else {
                    return Attempt::Permanent(
                        "email is not configured on this server (--smtp-url)".into(),
                    );
                };
                let Ok(_permit) = self.limits.acquire(smtp.relay(), self.queue_wait).await else {
                    return busy();
                };
                smtp.send(to, email).await
            }
        }
    }

    async fn post(
        &self, url: &str, delivery: NotificationId, body: &[u8], secrets: &[&str],
    ) -> Attempt {
        let url = match check_url(url) {
            Ok(u) => u,
            Err(refused) => return Attempt::Permanent(refused.to_string()),
        };
        // The origin, so two services on one host (or one test machine) are apart.
        let destination = url.origin().ascii_serialization();
        let Ok(_permit) = self.limits.acquire(&destination, self.queue_wait).await else {
            return busy();
        };
        self.http
            .post(Post {
                url: &url,
                delivery,
                body,
                secrets,
            })
            .await
    }
}

impl Sender {
    /// `GET` JSON from a user-given URL through the outbound guard (see
    /// [`HttpSender::get_json`]), bounded by the per-destination limits like a send.
    pub async fn get_json(&self, url: &str, max_bytes: usize) -> Result<serde_json::Value, String> {
        let url = check_url(url).map_err(|r| r.to_string())?;
        let destination = url.origin().ascii_serialization();
        let Ok(_permit) = self.limits.acquire(&destination, self.queue_wait).await else {
            return Err(concurrency::Busy.to_string());
        };
        self.http.get_json(&url, max_bytes).await
    }
}

fn busy() -> Attempt {
    Attempt::Transient(concurrency::Busy.to_string())
}
