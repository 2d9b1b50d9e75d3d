//! From a fired step to the deliveries to write: one per (target, contact method), each with
//! the key the database keeps unique, so a step that is carried out twice (a replayed batch,
//! two nodes) still notifies once.
//!
//! A user's notification rules ("after N minutes, on contact method X") say when each of
//! their contact methods is used; a user with no rules is notified on every contact method at
//! once, which is what a new user expects. A channel is one destination.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::escalation::NotificationKind;
use crate::ids::{ChannelId, ContactMethodId, IncidentId, UserId};

/// Where one delivery goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Recipient {
    /// A user, on one of their contact methods.
    User {
        user: UserId,
        contact_method: ContactMethodId,
    },
    /// A team channel.
    Channel(ChannelId),
}

impl Recipient {
    /// The recipient's part of a delivery's unique key, as stored: `u:<user>:<contact
    /// method>` or `c:<channel>`.
    pub fn key(&self) -> String {
        match self {
            Recipient::User {
                user,
                contact_method,
            } => format!("u:{user}:{contact_method}"),
            Recipient::Channel(c) => format!("c:{c}"),
        }
    }

    /// From the stored columns: a channel, or a user with a contact method.
    pub fn from_parts(
        user: Option<UserId>, contact_method: Option<ContactMethodId>, channel: Option<ChannelId>,
    ) -> Option<Self> {
        match (user, contact_method, channel) {
            (_, _, Some(c)) => Some(Recipient::Channel(c)),
            (Some(user), Some(contact_method), None) => Some(Recipient::User {
                user,
                contact_method,
            }),
            _ => None,
        }
    }

    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Recipient::User { user, .. } => Some(*user),
            Recipient::Channel(_) => None,
        }
    }

    pub fn contact_method_id(&self) -> Option<ContactMethodId> {
        match self {
            Recipient::User { contact_method, .. } => Some(*contact_method),
            Recipient::Channel(_) => None,
        }
    }

    pub fn channel_id(&self) -> Option<ChannelId> {
        match self {
            Recipient::Channel(c) => Some(*c),
            Recipient::User { .. } => None,
        }
    }
}

/// "After `delay_minutes`, on `contact_method`."
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub contact_method: ContactMethodId,
    pub delay_minutes: u32,
}

/// What the engine knows of a user when their step fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserReach {
    pub user: UserId,
    /// For the timeline.
    pub username: String,
    /// A disabled user is never paged (and the timeline says so).
    pub disabled: bool,
    pub contact_methods: Vec<ContactMethodId>,
    pub rules: Vec<Rule>,
}

/// The database's unique key of a delivery: the same step of the same pass can notify one
/// recipient once. Acknowledged and resolved notices use the pass they ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliveryKey {
    pub incident: IncidentId,
    pub kind: NotificationKind,
    /// The policy's run (see `escalation::Escalation::round`).
    pub round: u32,
    pub step: u32,
    pub loop_: u32,
    pub recipient: Recipient,
}

/// One delivery to write, pending until `due_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    pub key: DeliveryKey,
    pub due_at: DateTime<Utc>,
}

/// When each of a user's contact methods is used after their step fired at `at`. With rules,
/// each named contact method at its rule's delay (the earliest if named twice: the key allows
/// one delivery per contact method and step); rules naming a contact method the user no
/// longer has are ignored; no usable rule → every contact method at once.
pub fn user_schedule(
    reach: &UserReach, at: DateTime<Utc>,
) -> Vec<(ContactMethodId, DateTime<Utc>)> {
    let mut by_method: BTreeMap<ContactMethodId, u32> = BTreeMap::new();
    for rule in &reach.rules {
        if reach.contact_methods.contains(&rule.contact_method) {
            let d = by_method
                .entry(rule.contact_method)
                .or_insert(rule.delay_minutes);
            *d = (*d).min(rule.delay_minutes);
        }
    }
    if by_method.is_empty() {
        by_method = reach.contact_methods.iter().map(|c| (*c, 0)).collect();
    }
    by_method
        .into_iter()
        .map(|(cm, d)| (cm, at + Duration::minutes(i64::from(d))))
        .collect()
}

/// Who a fired step reaches, resolved by the caller from its targets (a schedule target is
/// resolved to the users on call first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reached {
    User(UserReach),
    Channel(ChannelId),
}

/// A target that could not be notified, for the timeline (never silently dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable {
    pub user: UserId,
    pub username: String,
    pub reason: &'static str,
}

/// The deliveries for one fired step, and the users it could not reach.
pub fn plan_step(
    incident: IncidentId, kind: NotificationKind, round: u32, step: u32, loop_: u32,
    reached: &[Reached], at: DateTime<Utc>,
) -> (Vec<Planned>, Vec<Unreachable>) {
    let mut planned = Vec::new();
    let mut unreachable = Vec::new();
    let key = |recipient| DeliveryKey {
        incident,
        kind,
        round,
        step,
        loop_,
        recipient,
    };
    for r in reached {
        match r {
            Reached::Channel(c) => planned.push(Planned {
                key: key(Recipient::Channel(*c)),
                due_at: at,
            }),
            Reached::User(u) if u.disabled => unreachable.push(Unreachable {
                user: u.user,
                username: u.username.clone(),
                reason: "is disabled",
            }),
            Reached::User(u) => {
                let times = user_schedule(u, at);
                if times.is_empty() {
                    unreachable.push(Unreachable {
                        user: u.user,
                        username: u.username.clone(),
                        reason: "has no contact method",
                    });
                }
                planned.extend(times.into_iter().map(|(cm, due_at)| Planned {
                    key: key(Recipient::User {
                        user: u.user,
                        contact_method: cm,
                    }),
                    due_at,
                }));
            }
        }
    }
    planned.sort_by_key(|p| p.key);
    planned.dedup_by_key(|p| p.key);
    (planned, unreachable)
}

/// The acknowledged or resolved notices: every recipient told of the incident so far, once
/// each, at once. `notified` are the recipients of its earlier triggered/escalated deliveries.
pub fn plan_notice(
    incident: IncidentId, kind: NotificationKind, round: u32, step: u32, loop_: u32,
    notified: &[Recipient], at: DateTime<Utc>,
) -> Vec<Planned> {
    let mut recipients = notified.to_vec();
    recipients.sort();
    recipients.dedup();
    recipients
        .into_iter()
        .map(|recipient| Planned {
            key: DeliveryKey {
                incident,
                kind,
                round,
                step,
                loop_,
                recipient,
            },
            due_at: at,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("a valid instant")
    }

    #[test]
    fn no_rules_means_every_contact_method_at_once() {
        let (a, b) = (ContactMethodId::new(), ContactMethodId::new());
        let reach = UserReach {
            user: UserId::new(),
            username: "u".into(),
            disabled: false,
            contact_methods: vec![a, b],
            rules: vec![],
        };
        let mut got = user_schedule(&reach, t0());
        got.sort();
        let mut want = vec![(a, t0()), (b, t0())];
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn rules_pick_methods_and_delays_and_the_earliest_wins() {
        let (a, b, gone) = (
            ContactMethodId::new(),
            ContactMethodId::new(),
            ContactMethodId::new(),
        );
        let reach = UserReach {
            user: UserId::new(),
            username: "u".into(),
            disabled: false,
            contact_methods: vec![a, b],
            rules: vec![
                Rule {
                    contact_method: b,
                    delay_minutes: 5,
                },
                Rule {
                    contact_method: b,
                    delay_minutes: 2,
                },
                Rule {
                    contact_method: gone,
                    delay_minutes: 0,
                },
            ],
        };
        assert_eq!(
            user_schedule(&reach, t0()),
            vec![(b, t0() + Duration::minutes(2))]
        );
    }

    #[test]
    fn a_step_plans_one_delivery_per_recipient_and_names_the_unreachable() {
        let inc = IncidentId::new();
        let chn = ChannelId::new();
        let cm = ContactMethodId::new();
        let (reachable, lonely) = (UserId::new(), UserId::new());
        let reached = vec![
            Reached::Channel(chn),
            Reached::Channel(chn),
            Reached::User(UserReach {
                user: reachable,
                username: "r".into(),
                disabled: false,
                contact_methods: vec![cm],
                rules: vec![],
            }),
            Reached::User(UserReach {
                user: lonely,
                username: "l".into(),
                disabled: false,
                contact_methods: vec![],
                rules: vec![],
            }),
        ];
        let (planned, unreachable) =
            plan_step(inc, NotificationKind::Triggered, 0, 0, 0, &reached, t0());
        assert_eq!(planned.len(), 2);
        assert!(planned
            .iter()
            .all(|p| p.due_at == t0() && p.key.incident == inc));
        assert_eq!(unreachable.len(), 1);
        assert_eq!(unreachable[0].user, lonely);
    }

    #[test]
    fn notices_go_to_each_recipient_once() {
        let r = Recipient::Channel(ChannelId::new());
        let notices = plan_notice(
            IncidentId::new(),
            NotificationKind::Resolved,
            0,
            1,
            0,
            &[r, r],
            t0(),
        );
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].key.recipient, r);
        assert_eq!(r.channel_id().is_some(), r.user_id().is_none());
    }
}
