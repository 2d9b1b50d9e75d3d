//! A delivery's life: pending, claimed under a lease, sent or retried, failed at last.
//!
//! At-least-once with a stable id: the delivery's id goes out with every attempt
//! (`X-Tocsin-Delivery`), so a receiver can drop a repeat. A sender claims a due delivery
//! with a lease; if it dies before recording the outcome, the lease runs out, the delivery
//! is marked `unknown` (it may or may not have arrived) and claimed again — by any node.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Attempts before a delivery is given up as failed.
pub const MAX_ATTEMPTS: u32 = 5;

/// The wait after each failed attempt: 1, 2, 5 and 12 minutes, so the fifth and last attempt
/// is about 20 minutes after the first (PagerDuty retries for a similar span).
const BACKOFF_SECONDS: [i64; 4] = [60, 120, 300, 720];

/// How long a claim holds. Longer than the slowest possible attempt (the HTTP client's total
/// timeout and the SMTP session's), so a live sender never loses its claim mid-send.
pub const LEASE: Duration = Duration::seconds(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its time, or for a retry.
    Pending,
    /// A receiver accepted it.
    Sent,
    /// Given up after [`MAX_ATTEMPTS`], or refused for good (a forbidden destination).
    Failed,
    /// A sender claimed it and vanished: it may have arrived. It is sent again, with the same
    /// id, as soon as it is claimed again.
    Unknown,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(DeliveryStatus::Pending),
            "sent" => Some(DeliveryStatus::Sent),
            "failed" => Some(DeliveryStatus::Failed),
            "unknown" => Some(DeliveryStatus::Unknown),
            _ => None,
        }
    }

    /// Whether a sender may still claim it.
    pub fn is_open(self) -> bool {
        matches!(self, DeliveryStatus::Pending | DeliveryStatus::Unknown)
    }
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver accepted it (HTTP 2xx, SMTP 250).
    Delivered,
    /// It may work later: a timeout, a refused connection, a 5xx or 429.
    Transient(String),
    /// It never will: the destination is forbidden or malformed.
    Permanent(String),
}

/// The row after an attempt: what the store writes when the sender reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterAttempt {
    pub status: DeliveryStatus,
    /// Attempts made so far, this one included.
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

/// The outcome of attempt number `attempts_before + 1`, made at `now`.
pub fn after_attempt(attempts_before: u32, attempt: Attempt, now: DateTime<Utc>) -> AfterAttempt {
    let attempts = attempts_before.saturating_add(1);
    match attempt {
        Attempt::Delivered => AfterAttempt {
            status: DeliveryStatus::Sent,
            attempts,
            next_attempt_at: None,
            sent_at: Some(now),
            error: None,
        },
        Attempt::Permanent(e) => AfterAttempt {
            status: DeliveryStatus::Failed,
            attempts,
            next_attempt_at: None,
            sent_at: None,
            error: Some(e),
        },
        Attempt::Transient(e) => {
            let wait = usize::try_from(attempts - 1)
                .ok()
                .and_then(|i| BACKOFF_SECONDS.get(i))
                .filter(|_| attempts < MAX_ATTEMPTS);
            AfterAttempt {
                status: if wait.is_some() {
                    DeliveryStatus::Pending
                } else {
                    DeliveryStatus::Failed
                },
                attempts,
                next_attempt_at: wait.map(|s| now + Duration::seconds(*s)),
                sent_at: None,
                error: Some(e),
            }
        }
    }
}

/// How an HTTP answer counts: 2xx delivered; anything else is worth a retry (PagerDuty and
/// Slack both retry on any non-2xx), except answers that say the endpoint is gone for good.
pub fn classify_http(status: u16) -> Attempt {
    match status {
        200..=299 => Attempt::Delivered,
        410 => Attempt::Permanent(format!("the receiver answered {status} (gone)")),
        _ => Attempt::Transient(format!("the receiver answered HTTP {status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("a valid instant")
    }

    #[test]
    fn five_attempts_over_about_twenty_minutes_then_failed() {
        let mut attempts = 0;
        let mut now = t0();
        let mut history = vec![];
        loop {
            let a = after_attempt(attempts, Attempt::Transient("500".into()), now);
            attempts = a.attempts;
            history.push(a.status);
            match a.next_attempt_at {
                Some(next) => now = next,
                None => break,
            }
        }
        assert_eq!(attempts, MAX_ATTEMPTS);
        assert_eq!(history.last(), Some(&DeliveryStatus::Failed));
        assert_eq!(now - t0(), Duration::minutes(20));
    }

    #[test]
    fn delivered_and_permanent_end_at_once() {
        let ok = after_attempt(2, Attempt::Delivered, t0());
        assert_eq!(
            (ok.status, ok.attempts, ok.sent_at),
            (DeliveryStatus::Sent, 3, Some(t0()))
        );
        let gone = after_attempt(0, classify_http(410), t0());
        assert_eq!(gone.status, DeliveryStatus::Failed);
        assert_eq!(gone.next_attempt_at, None);
        assert_eq!(classify_http(204), Attempt::Delivered);
        assert!(matches!(classify_http(429), Attempt::Transient(_)));
        assert!(matches!(classify_http(302), Attempt::Transient(_)));
    }

    #[test]
    fn statuses_round_trip() {
        for s in [
            DeliveryStatus::Pending,
            DeliveryStatus::Sent,
            DeliveryStatus::Failed,
            DeliveryStatus::Unknown,
        ] {
            assert_eq!(DeliveryStatus::parse(s.as_str()), Some(s));
        }
        assert!(DeliveryStatus::Unknown.is_open() && !DeliveryStatus::Sent.is_open());
    }
}
