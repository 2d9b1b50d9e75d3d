//! New records as both backends create them, before they are written: ids and creation
//! times are chosen here once, so a team, service or token looks the same whichever database
//! stores it.

use chrono::{DateTime, Utc};
use tocsin_core::model::{ApiToken, Service, Team};
use tocsin_core::paging::policy::PolicyRules;
use tocsin_core::paging::records::{
    Channel, ContactMethod, EscalationPolicy, NotificationRule, MAX_PER_OWNER,
};
use tocsin_core::{
    ChannelId, ContactMethodId, NotificationRuleId, PolicyId, ServiceId, TeamId, TokenId, UserId,
};
use tokio::sync::mpsc::error::TrySendError;

use crate::paging::NewDestination;
use crate::{Bootstrap, NewToken, StoreError};

pub fn team(name: &str) -> Team {
    Team {
        id: TeamId::new(),
        name: name.to_owned(),
        created_at: Utc::now(),
    }
}

pub fn service(team: TeamId, name: &str, key: &str) -> Service {
    Service {
        id: ServiceId::new(),
        team_id: team,
        name: name.to_owned(),
        api_key: key.to_owned(),
        created_at: Utc::now(),
        escalation_policy_id: None,
    }
}

pub fn token(t: &NewToken) -> ApiToken {
    ApiToken {
        id: TokenId::new(),
        name: t.name.clone(),
        role: t.role,
        user_id: t.user_id,
        team_id: t.team_id,
        created_at: Utc::now(),
        expires_at: t.expires_at,
        revoked_at: None,
        last_used_at: None,
    }
}

impl Bootstrap {
    /// The first start's admin token: organisation-wide, of no user or team, never expiring.
    pub(crate) fn admin_token(&self) -> NewToken {
        NewToken {
            name: self.admin_token_name.clone(),
            role: tocsin_core::TokenRole::OrgAdmin,
            user_id: None,
            team_id: None,
            hash: self.admin_token_hash,
            expires_at: None,
        }
    }
}

/// Why a write could not be queued: the queue is full (back off) or its writer stopped.
pub fn queue_error<T>(e: TrySendError<T>) -> StoreError {
    match e {
        TrySendError::Full(_) => StoreError::Overloaded,
        TrySendError::Closed(_) => StoreError::Unavailable("the writer has stopped".into()),
    }
}

/// The writer dropped a queued write without answering it.
pub fn abandoned<T>(_: T) -> StoreError {
    StoreError::Unavailable("the write was abandoned".into())
}

/// Now, to the microsecond both databases keep, so a record created reads back equal.
pub(crate) fn now_micros() -> DateTime<Utc> {
    now()
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap_or_default()
}

pub fn contact_method(user: UserId, m: &NewDestination) -> ContactMethod {
    ContactMethod {
        id: ContactMethodId::new(),
        user_id: user,
        kind: m.kind,
        name: m.name.clone(),
        target: m.target.clone(),
        signing_secret: m.signing_secret.clone(),
        created_at: now(),
    }
}

pub fn channel(team: TeamId, c: &NewDestination) -> Channel {
    Channel {
        id: ChannelId::new(),
        team_id: team,
        kind: c.kind,
        name: c.name.clone(),
        target: c.target.clone(),
        signing_secret: c.signing_secret.clone(),
        created_at: now(),
    }
}

pub fn rule(user: UserId, method: ContactMethodId, delay_minutes: u32) -> NotificationRule {
    NotificationRule {
        id: NotificationRuleId::new(),
        user_id: user,
        contact_method_id: method,
        delay_minutes,
        created_at: now(),
    }
}

pub fn policy(team: TeamId, name: &str, rules: &PolicyRules) -> EscalationPolicy {
    let at = now();
    EscalationPolicy {
        id: PolicyId::new(),
        team_id: team,
        name: name.to_owned(),
        rules: rules.clone(),
        created_at: at,
        updated_at: at,
    }
}

/// `policy` with a new name and rules, as an update stores it.
pub fn updated_policy(old: EscalationPolicy, name: &str, rules: &PolicyRules) -> EscalationPolicy {
    EscalationPolicy {
        name: name.to_owned(),
        rules: rules.clone(),
        updated_at: now().max(old.created_at),
        ..old
    }
}

/// Refused when an owner (a user, a team) already holds `count` of `what`.
pub fn check_room(count: i64, what: &str) -> Result<(), StoreError> {
    if usize::try_from(count).unwrap_or(usize::MAX) >= MAX_PER_OWNER {
        return Err(StoreError::Conflict(format!(
            "at most {MAX_PER_OWNER} {what} each; delete one first"
        )));
    }
    Ok(())
}

/// The stored text of a policy's rules.
pub fn rules_json(rules: &PolicyRules) -> Result<String, StoreError> {
    serde_json::to_string(rules).map_err(|e| StoreError::Other(format!("policy rules: {e}")))
}

/// A policy's rules as stored.
pub fn parse_rules(text: &str) -> Result<PolicyRules, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Other(format!("stored policy rules: {e}")))
}

/// Refused (409) when one of a team's policies (`(name, rules)`) names `channel`.
pub fn check_channel_unused(
    policies: impl IntoIterator<Item = (String, String)>, channel: ChannelId,
) -> Result<(), StoreError> {
    for (name, rules) in policies {
        if parse_rules(&rules)?.names_channel(channel) {
            return Err(StoreError::Conflict(format!(
                "the escalation policy {name:?} names this channel; change the policy first"
            )));
        }
    }
    Ok(())
}

/// The refusal when a policy is in use, naming the service when it is known.
pub fn policy_in_use(service: Option<&str>) -> String {
    let who = service.map_or_else(|| "a service".to_owned(), |s| format!("the service {s:?}"));
    format!("{who} uses this escalation policy; give it another first")
}

/// The refusal of a policy of another team (or none) for a service.
pub fn foreign_policy(policy: PolicyId) -> StoreError {
    StoreError::Invalid {
        field: "escalation_policy_id".into(),
        detail: format!("the service's team has no escalation policy {policy}"),
    }
}

/// A rule's contact method that is not the user's.
pub fn foreign_method(method: ContactMethodId) -> StoreError {
    StoreError::Invalid {
        field: "contact_method_id".into(),
        detail: format!("you have no contact method {method}"),
    }
}

/// Core's verdict on a policy's targets, given those the database has.
pub fn check_targets(
    rules: &PolicyRules, found: &std::collections::HashSet<tocsin_core::paging::policy::Target>,
) -> Result<(), StoreError> {
    rules
        .check_targets(|t| found.contains(t))
        .map_err(|e| StoreError::Invalid {
            field: e.field,
            detail: e.detail,
        })
}
