//! Small text rules every decoder applies the same way.

use chrono::{DateTime, Utc};

use super::DecodeError;

/// JSON may carry `\u0000`, which PostgreSQL text cannot hold: an alert must never be lost for
/// it, so NUL becomes U+FFFD on every backend alike. The raw body keeps the escape.
pub(crate) fn no_nul(s: String) -> String {
    if s.contains('\0') {
        s.replace('\0', "\u{FFFD}")
    } else {
        s
    }
}

/// At most `max` characters of `s`, for quoting a sender's value in an error.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// An optional RFC 3339 time named `field`; Go's zero `time.Time` (year 1), which Go senders
/// write when they have no time to give, and an empty string both mean "none".
pub(crate) fn optional_time(
    field: &str, value: Option<&str>,
) -> Result<Option<DateTime<Utc>>, DecodeError> {
    match value {
        None | Some("") => Ok(None),
        Some(t) => {
            let at = DateTime::parse_from_rfc3339(t)
                .map_err(|e| {
                    DecodeError::new(
                        "invalid_field",
                        format!("field `{field}`: not an RFC 3339 time ({e})"),
                    )
                })?
                .with_timezone(&Utc);
            Ok((at.timestamp() > -62_135_596_800).then_some(at))
        }
    }
}

/// A dedup key for an alert that came without one (a Squadcast trigger without `event_id`,
/// a PagerDuty trigger without `dedup_key`): unique, so the alert is its own incident, as it
/// is at Squadcast and PagerDuty. PagerDuty returns it to the sender, who can then resolve.
pub(crate) fn fresh_dedup_key() -> String {
    ulid::Ulid::new().to_string().to_lowercase()
}
