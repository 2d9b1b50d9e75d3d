//! Paging's response shapes: contact methods, notification rules, channels, policies. A
//! signing secret is shown in the answer that creates it and nowhere else.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tocsin_core::paging::policy::{Repeat, Step};
use tocsin_core::paging::records::{self, MethodKind};
use tocsin_core::{
    ChannelId, ContactMethodId, NotificationId, NotificationRuleId, PolicyId, TeamId, UserId,
};
use utoipa::ToSchema;

/// `url` or `address`, as the kind has it.
fn split_target(kind: MethodKind, target: String) -> (Option<String>, Option<String>) {
    match kind {
        MethodKind::Email => (None, Some(target)),
        MethodKind::Webhook | MethodKind::Slack => (Some(target), None),
    }
}

/// A user's contact method.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactMethod {
    pub id: ContactMethodId,
    pub user_id: UserId,
    #[serde(rename = "type")]
    pub kind: MethodKind,
    pub name: String,
    /// Webhooks and Slack-compatible webhooks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Webhooks: the HMAC-SHA256 key of `X-Tocsin-Signature`. Only in the answer that
    /// creates the method; store it then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl ContactMethod {
    /// As the create answer shows it: with its signing secret.
    pub fn created(m: records::ContactMethod) -> Self {
        let secret = m.signing_secret.clone();
        Self {
            signing_secret: secret,
            ..m.into()
        }
    }
}

impl From<records::ContactMethod> for ContactMethod {
    fn from(m: records::ContactMethod) -> Self {
        let records::ContactMethod {
            id,
            user_id,
            kind,
            name,
            target,
            signing_secret: _,
            created_at,
        } = m;
        let (url, address) = split_target(kind, target);
        Self {
            id,
            user_id,
            kind,
            name,
            url,
            address,
            signing_secret: None,
            created_at,
        }
    }
}

/// A team's channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct Channel {
    pub id: ChannelId,
    pub team_id: TeamId,
    #[serde(rename = "type")]
    pub kind: MethodKind,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Webhooks: only in the answer that creates the channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Channel {
    /// As the create answer shows it: with its signing secret.
    pub fn created(c: records::Channel) -> Self {
        let secret = c.signing_secret.clone();
        Self {
            signing_secret: secret,
            ..c.into()
        }
    }
}

impl From<records::Channel> for Channel {
    fn from(c: records::Channel) -> Self {
        let records::Channel {
            id,
            team_id,
            kind,
            name,
            target,
            signing_secret: _,
            created_at,
        } = c;
        let (url, address) = split_target(kind, target);
        Self {
            id,
            team_id,
            kind,
            name,
            url,
            address,
            signing_secret: None,
            created_at,
        }
    }
}

/// "After `delay_minutes`, on `contact_method_id`."
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationRule {
    pub id: NotificationRuleId,
    pub user_id: UserId,
    pub contact_method_id: ContactMethodId,
    pub delay_minutes: u32,
    pub created_at: DateTime<Utc>,
}

impl From<records::NotificationRule> for NotificationRule {
    fn from(r: records::NotificationRule) -> Self {
        let records::NotificationRule {
            id,
            user_id,
            contact_method_id,
            delay_minutes,
            created_at,
        } = r;
        Self {
            id,
            user_id,
            contact_method_id,
            delay_minutes,
            created_at,
        }
    }
}

/// A team's escalation policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationPolicy {
    pub id: PolicyId,
    pub team_id: TeamId,
    pub name: String,
    #[schema(value_type = Repeat)]
    pub repeat: Repeat,
    /// Null: an acknowledged incident stays acknowledged.
    pub ack_timeout_minutes: Option<u32>,
    pub steps: Vec<Step>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<records::EscalationPolicy> for EscalationPolicy {
    fn from(p: records::EscalationPolicy) -> Self {
        let records::EscalationPolicy {
            id,
            team_id,
            name,
            rules,
            created_at,
            updated_at,
        } = p;
        Self {
            id,
            team_id,
            name,
            repeat: rules.repeat,
            ack_timeout_minutes: rules.ack_timeout_minutes,
            steps: rules.steps,
            created_at,
            updated_at,
        }
    }
}

/// What a test send came to.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestSend {
    /// `sent` (the receiver accepted it) or `failed`.
    pub status: TestStatus,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Sent as `X-Tocsin-Delivery` (webhooks) or in the Message-ID (email).
    pub delivery_id: NotificationId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TestStatus {
    Sent,
    Failed,
}
