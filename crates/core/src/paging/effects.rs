//! What an incident's change does to its escalation row: written by the store in the same
//! transaction as the change itself, so a page can never be lost between the two.
//!
//! The writes are deliberately small and need no read of the policy: ingest stays one
//! indexed statement per opened or resolved incident. Opening inserts a [`Phase::Start`] row
//! (only for a service that has a policy: the store's insert selects the service's policy);
//! acknowledging and resolving rewrite an existing row (none: nobody is being paged) into a
//! notice due at once. The engine then reads the policy and carries on
//! (`super::engine::begin`).

use chrono::{DateTime, Utc};

use super::escalation::Phase;

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

/// The write a store makes to the `escalations` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowWrite {
    /// Insert a row of `phase` (always [`Phase::Start`]), round 0, step 0, loop 0, due `at`,
    /// with the service's policy, if the service has one; otherwise nothing.
    Insert { phase: Phase, at: DateTime<Utc> },
    /// If the incident has a row, set its phase to `phase`, due `at`, keeping its round,
    /// step and loop (the notice's key names the pass it ended).
    Rewrite { phase: Phase, at: DateTime<Utc> },
}

/// The write for `change`, made at `now`.
pub fn on_change(change: Change, now: DateTime<Utc>) -> RowWrite {
    match change {
        Change::Opened => RowWrite::Insert {
            phase: Phase::Start,
            at: now,
        },
        Change::Acknowledged => RowWrite::Rewrite {
            phase: Phase::Acknowledged,
            at: now,
        },
        Change::Resolved => RowWrite::Rewrite {
            phase: Phase::Resolved,
            at: now,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_inserts_a_start_and_people_rewrite_into_notices_due_at_once() {
        let t = DateTime::from_timestamp(1_800_000_000, 0).expect("a valid instant");
        assert_eq!(
            on_change(Change::Opened, t),
            RowWrite::Insert {
                phase: Phase::Start,
                at: t
            }
        );
        assert_eq!(
            on_change(Change::Acknowledged, t),
            RowWrite::Rewrite {
                phase: Phase::Acknowledged,
                at: t
            }
        );
        assert_eq!(
            on_change(Change::Resolved, t),
            RowWrite::Rewrite {
                phase: Phase::Resolved,
                at: t
            }
        );
    }
}
