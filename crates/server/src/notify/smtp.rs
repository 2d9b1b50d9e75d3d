//! Email over SMTP with lettre, to the relay the operator configured (`--smtp-url`).
//!
//! The relay is the operator's, not a user's, so it is not checked against the destination
//! policy; the user only chooses the recipient address. One SMTP session per attempt (no pool):
//! a notification is rare enough, and a fresh session cannot be left broken by the last one.
//! Plain SMTP only (`smtp://[user:pass@]host[:port]`): STARTTLS and SMTPS need one of lettre's
//! TLS features, which are not built in yet; the URL is refused at start if it asks for them.

use std::fmt;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use percent_encoding::percent_decode_str;
use tocsin_core::paging::delivery::Attempt;
use tocsin_core::paging::message::Email;

/// Where and as whom email is sent.
#[derive(Clone)]
pub struct SmtpConfig {
    /// `smtp://[user:pass@]host[:port]` (port 25 if none).
    pub url: String,
    /// The `From` address, e.g. `Tocsin <tocsin@example.com>`.
    pub from: String,
    /// The whole SMTP session of one attempt.
    pub timeout: Duration,
}

impl fmt::Debug for SmtpConfig {
    /// The URL may carry the relay's password: only its host is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = url::Url::parse(&self.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "<unparsable>".into());
        f.debug_struct("SmtpConfig")
            .field("host", &host)
            .field("from", &self.from)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Why the SMTP settings cannot be used; shown at start, before anything is sent.
#[derive(Debug, thiserror::Error)]
pub enum SmtpConfigError {
    #[error("--smtp-url is not a usable SMTP URL: {0}")]
    Url(String),
    #[error("--smtp-from is not an email address: {0}")]
    From(String),
}

/// Sends one email per attempt.
#[derive(Clone)]
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: Duration,
    /// The relay's host and port, the key of its concurrency bound.
    relay: String,
}

impl fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSender")
            .field("relay", &self.relay)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl SmtpSender {
    pub fn new(config: &SmtpConfig) -> Result<Self, SmtpConfigError> {
        let parsed =
            url::Url::parse(&config.url).map_err(|e| SmtpConfigError::Url(e.to_string()))?;
        if parsed.scheme() != "smtp" {
            return Err(SmtpConfigError::Url(format!(
                "only smtp:// is supported, not {}://",
                parsed.scheme()
            )));
        }
        let Some(host) = parsed.host_str().filter(|h| !h.is_empty()) else {
            return Err(SmtpConfigError::Url("it names no host".into()));
        };
        let port = parsed.port().unwrap_or(25);
        let relay = format!("smtp://{host}:{port}");
        // lettre's own `from_url` exists only with a TLS feature; plain SMTP is this much.
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            host.trim_start_matches('[').trim_end_matches(']'),
        )
        .port(port)
        .timeout(Some(config.timeout));
        if !parsed.username().is_empty() {
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            builder = builder.credentials(Credentials::new(
                decode(parsed.username()),
                decode(parsed.password().unwrap_or_default()),
            ));
        }
        let transport = builder.build();
        let from = config
            .from
            .parse::<Mailbox>()
            .map_err(|e| SmtpConfigError::From(e.to_string()))?;
        Ok(SmtpSender {
            transport,
            from,
            timeout: config.timeout,
            relay,
        })
    }

    /// The relay, as the key of its concurrency bound.
    pub fn relay(&self) -> &str {
        &self.relay
    }

    /// One attempt: 250 delivered; a 4xx reply, a timeout or a connection failure transient;
    /// a 5xx reply or a recipient that is not an address permanent.
    pub async fn send(&self, to: &str, email: &Email) -> Attempt {
        let to = match to.parse::<Mailbox>() {
            Ok(m) => m,
            Err(e) => return Attempt::Permanent(format!("{to:?} is not an email address: {e}")),
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(email.message_id.clone()))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(email.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(email.html.clone()),
                    ),
            );
        let message = match message {
            Ok(m) => m,
            Err(e) => return Attempt::Permanent(format!("the email could not be built: {e}")),
        };
        // lettre's timeout is per read/write; this one bounds the whole session.
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Err(_) => Attempt::Transient(format!(
                "the SMTP relay did not finish within {} ms",
                self.timeout.as_millis()
            )),
            Ok(Ok(_)) => Attempt::Delivered,
            Ok(Err(e)) => classify_smtp(&e),
        }
    }
}

/// How an SMTP failure counts (RFC 5321 §4.2.1: 4xx try again, 5xx do not).
fn classify_smtp(e: &lettre::transport::smtp::Error) -> Attempt {
    let text = e.to_string();
    if e.is_permanent() {
        Attempt::Permanent(format!("the SMTP relay refused it: {text}"))
    } else if e.is_timeout() {
        Attempt::Transient(format!("the SMTP relay timed out: {text}"))
    } else {
        // 4xx, a refused or broken connection; also lettre's "client" errors (an odd reply
        // code, an authentication exchange gone wrong): the operator can fix those, and a page
        // is not given up for them.
        Attempt::Transient(format!("SMTP: {text}"))
    }
}
