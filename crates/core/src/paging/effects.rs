//! What an incident's change does to its escalation: the rows a store writes in the same
//! transaction as the change itself (so a page can never be lost between the two).

use chrono::{DateTime, Utc};

use super::escalation::{on_acknowledge, start, Escalation, NotificationKind};
use super::policy::PolicyRules;

/// A change to an incident that paging reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A new incident (from an alert).
    Opened,
    /// A person acknowledged it.
    Acknowledged,
    /// Resolved, by a person or by the alert source.
    Resolved,
}

/// What happens to the incident's escalation row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// Write this row (insert or replace).
    Set(Escalation),
    /// Delete the row, if any: escalation is over.
    Clear,
    /// Leave it as it is.
    Keep,
}

/// The escalation rows and notices one change brings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effect {
    pub row: Row,
    /// Tell everyone notified so far (see [`super::fanout::plan_notice`]).
    pub notice: Option<NotificationKind>,
}

/// Decide the effect of `change` on an incident whose service has `policy` (None: the
/// service has none, so nobody is paged and nothing is written).
pub fn on_change(change: Change, policy: Option<&PolicyRules>, now: DateTime<Utc>) -> Effect {
    match (change, policy) {
        (Change::Opened, Some(p)) => Effect {
            row: start(p, now).map_or(Row::Keep, Row::Set),
            notice: None,
        },
        (Change::Opened, None) => Effect {
            row: Row::Keep,
            notice: None,
        },
        (Change::Acknowledged, p) => Effect {
            row: p
                .and_then(|p| on_acknowledge(p, now))
                .map_or(Row::Clear, Row::Set),
            notice: Some(NotificationKind::Acknowledged),
        },
        (Change::Resolved, _) => Effect {
            row: Row::Clear,
            notice: Some(NotificationKind::Resolved),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;
    use crate::paging::escalation::Phase;
    use crate::paging::policy::{Repeat, Step, Target};

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("a valid instant")
    }

    fn policy(ack_timeout_minutes: Option<u32>) -> PolicyRules {
        PolicyRules {
            repeat: Repeat::Times(0),
            ack_timeout_minutes,
            steps: vec![Step {
                delay_minutes: 0,
                round_robin: false,
                targets: vec![Target::User { id: UserId::new() }],
            }],
        }
    }

    #[test]
    fn opening_starts_the_policy_at_once_only_with_a_policy() {
        let p = policy(None);
        let e = on_change(Change::Opened, Some(&p), t0());
        assert!(matches!(e.row, Row::Set(r) if r.due_at == t0() && r.step == 0));
        assert_eq!(e.notice, None);
        assert_eq!(on_change(Change::Opened, None, t0()).row, Row::Keep);
    }

    #[test]
    fn acknowledge_stops_or_arms_the_timeout_and_resolve_clears() {
        let plain = on_change(Change::Acknowledged, Some(&policy(None)), t0());
        assert_eq!(plain.row, Row::Clear);
        assert_eq!(plain.notice, Some(NotificationKind::Acknowledged));
        let timed = on_change(Change::Acknowledged, Some(&policy(Some(15))), t0());
        assert!(matches!(timed.row, Row::Set(r) if r.phase == Phase::AckTimeout));
        let resolved = on_change(Change::Resolved, Some(&policy(Some(15))), t0());
        assert_eq!(resolved.row, Row::Clear);
        assert_eq!(resolved.notice, Some(NotificationKind::Resolved));
    }
}
