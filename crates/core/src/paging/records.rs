//! The paging records stores keep: contact methods, notification rules, team channels,
//! escalation policies and notifications, and the validation of what a person types into
//! them (once, for every store and every entry point).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::delivery::DeliveryStatus;
use super::destination::check_url;
use super::escalation::NotificationKind;
use super::policy::PolicyRules;
use crate::ids::{
    ChannelId, ContactMethodId, IncidentId, NotificationId, NotificationRuleId, PolicyId, TeamId,
    UserId,
};

/// Names of contact methods, channels and policies: 1 to this many characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest URL or address kept.
pub const MAX_TARGET_CHARS: usize = 2048;
/// RFC 5321's limit on an address's length.
const MAX_ADDRESS_CHARS: usize = 254;
/// Contact methods per user and channels per team.
pub const MAX_PER_OWNER: usize = 50;
/// A rule waits at most a day: later than that, a page is no longer a page.
pub const MAX_RULE_DELAY_MINUTES: u32 = 24 * 60;

/// How a contact method or channel is reached.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MethodKind {
    /// A signed JSON `POST` to any URL.
    Webhook,
    /// A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat).
    Slack,
    /// An email through the server's SMTP relay.
    Email,
}

impl MethodKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MethodKind::Webhook => "webhook",
            MethodKind::Slack => "slack",
            MethodKind::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "webhook" => Some(MethodKind::Webhook),
            "slack" => Some(MethodKind::Slack),
            "email" => Some(MethodKind::Email),
            _ => None,
        }
    }

    /// Only webhooks are signed (Slack-compatible receivers do not check signatures).
    pub fn is_signed(self) -> bool {
        self == MethodKind::Webhook
    }

    /// The JSON field that holds the destination: `url` or `address`.
    pub fn target_field(self) -> &'static str {
        match self {
            MethodKind::Webhook | MethodKind::Slack => "url",
            MethodKind::Email => "address",
        }
    }
}

/// Why a destination or a name was refused; [`TargetError::field`] names the JSON field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("name must be 1 to {MAX_NAME_CHARS} characters, without control characters")]
    Name,
    #[error("a {0} needs `{1}`")]
    Missing(&'static str, &'static str),
    #[error("`{0}` does not belong to a {1}")]
    Unexpected(&'static str, &'static str),
    #[error("url: {0}")]
    Url(String),
    #[error("address must be an email address such as oncall@example.com")]
    Address,
}

impl TargetError {
    pub fn field(&self) -> &'static str {
        match self {
            TargetError::Name => "name",
            TargetError::Missing(_, f) | TargetError::Unexpected(f, _) => f,
            TargetError::Url(_) => "url",
            TargetError::Address => "address",
        }
    }
}

/// A name as typed: trimmed, 1–100 characters, no control characters.
pub fn check_name(name: &str) -> Result<String, TargetError> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(TargetError::Name);
    }
    Ok(name.to_owned())
}

/// An email address as far as Tocsin checks it: `local@domain`, one line, no spaces, and a
/// dot in the domain or `localhost`-style single label. The relay has the last word.
fn check_address(raw: &str) -> Result<String, TargetError> {
    let a = raw.trim();
    let ok = a.len() <= MAX_ADDRESS_CHARS
        && !a
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || "<>(),;:\"[]\\".contains(c))
        && matches!(a.split_once('@'), Some((l, d)) if !l.is_empty() && !d.is_empty()
            && !d.contains('@') && !d.starts_with('.') && !d.ends_with('.'));
    if ok {
        Ok(a.to_owned())
    } else {
        Err(TargetError::Address)
    }
}

/// Where a contact method or a channel sends, as typed: `url` for webhooks and Slack,
/// `address` for email, never both. Returns the stored target.
pub fn check_target(
    kind: MethodKind, url: Option<&str>, address: Option<&str>,
) -> Result<String, TargetError> {
    let what = kind.as_str();
    match kind {
        MethodKind::Webhook | MethodKind::Slack => {
            if address.is_some() {
                return Err(TargetError::Unexpected("address", what));
            }
            let url = url.ok_or(TargetError::Missing(what, "url"))?;
            if url.len() > MAX_TARGET_CHARS {
                return Err(TargetError::Url(format!(
                    "longer than {MAX_TARGET_CHARS} characters"
                )));
            }
            check_url(url)
                .map(|u| u.to_string())
                .map_err(|e| TargetError::Url(e.to_string()))
        }
        MethodKind::Email => {
            if url.is_some() {
                return Err(TargetError::Unexpected("url", what));
            }
            check_address(address.ok_or(TargetError::Missing(what, "address"))?)
        }
    }
}

/// A notification rule's delay as typed: 0 (at once) to [`MAX_RULE_DELAY_MINUTES`].
pub fn check_rule_delay(minutes: u32) -> Result<u32, String> {
    if minutes > MAX_RULE_DELAY_MINUTES {
        return Err(format!(
            "at most {MAX_RULE_DELAY_MINUTES} minutes (a day); later is no longer a page"
        ));
    }
    Ok(minutes)
}

/// A user's contact method. `signing_secret` is shown once, when it is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactMethod {
    pub id: ContactMethodId,
    pub user_id: UserId,
    pub kind: MethodKind,
    pub name: String,
    pub target: String,
    pub signing_secret: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// "After `delay_minutes`, on `contact_method_id`."
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRule {
    pub id: NotificationRuleId,
    pub user_id: UserId,
    pub contact_method_id: ContactMethodId,
    pub delay_minutes: u32,
    pub created_at: DateTime<Utc>,
}

/// A destination a team owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub id: ChannelId,
    pub team_id: TeamId,
    pub kind: MethodKind,
    pub name: String,
    pub target: String,
    pub signing_secret: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A team's escalation policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationPolicy {
    pub id: PolicyId,
    pub team_id: TeamId,
    pub name: String,
    pub rules: PolicyRules,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One notification, as the incident's notification list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: NotificationId,
    pub incident_id: IncidentId,
    pub kind: NotificationKind,
    /// The policy's run (0, then one more per acknowledgement timeout).
    pub round: u32,
    pub step: u32,
    pub loop_: u32,
    pub user_id: Option<UserId>,
    pub channel_id: Option<ChannelId>,
    pub contact_method_id: Option<ContactMethodId>,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_match_their_kind() {
        assert!(check_target(MethodKind::Webhook, Some("http://127.0.0.1:9/x"), None).is_ok());
        assert_eq!(
            check_target(MethodKind::Slack, None, None),
            Err(TargetError::Missing("slack", "url"))
        );
        assert_eq!(
            check_target(MethodKind::Email, Some("http://x"), Some("a@b.c")).map_err(|e| e.field()),
            Err("url")
        );
        assert_eq!(
            check_target(MethodKind::Email, None, Some(" oncall@example.com ")),
            Ok("oncall@example.com".into())
        );
        for bad in [
            "",
            "a",
            "a@",
            "@b",
            "a b@c.d",
            "a@b@c",
            "a@b.c\r\nBcc: x@y",
            "a@.b",
        ] {
            assert_eq!(
                check_target(MethodKind::Email, None, Some(bad)),
                Err(TargetError::Address),
                "{bad:?}"
            );
        }
        assert!(matches!(
            check_target(MethodKind::Webhook, Some("ftp://x"), None),
            Err(TargetError::Url(_))
        ));
    }

    #[test]
    fn rule_delays_stop_at_a_day() {
        assert_eq!(check_rule_delay(0), Ok(0));
        assert_eq!(
            check_rule_delay(MAX_RULE_DELAY_MINUTES),
            Ok(MAX_RULE_DELAY_MINUTES)
        );
        assert!(check_rule_delay(MAX_RULE_DELAY_MINUTES + 1).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(check_name("  ops "), Ok("ops".into()));
        assert!(check_name(" ").is_err());
        assert!(check_name("a\nb").is_err());
        assert!(check_name(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
        for k in [MethodKind::Webhook, MethodKind::Slack, MethodKind::Email] {
            assert_eq!(MethodKind::parse(k.as_str()), Some(k));
        }
    }
}
