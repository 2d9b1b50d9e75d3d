//! Where an incident is in its escalation policy, and what happens when that is due.
//!
//! The state is one small row per open incident ([`Escalation`]): the next step, the loop, and
//! when it is due. It is written in the same transaction as the change that caused it (the
//! incident opening, an acknowledgement, a resolution), so no timer lives only in memory: a
//! restart finds every due row with one indexed query and carries on.
//!
//! Delays count from when the previous step actually fired, not from when it was due: after an
//! outage, an overdue step fires at once (marked late) and the next one still gives its
//! targets their full delay to answer, instead of paging every step in one burst. The policy
//! is read when a step fires, so a policy edited mid-incident applies from the next step on.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::policy::{PolicyRules, Target};

/// A step that fires this long after it was due is marked late on the timeline.
pub const LATE_AFTER: Duration = Duration::seconds(30);

/// A loop never restarts sooner than this after the last step, even when the first step has no
/// delay: a one-step policy with `repeat` must not page twice in the same minute.
pub const MIN_LOOP_GAP: Duration = Duration::minutes(1);

/// What the pending row is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Written by the transaction that opened the incident, due at once: the engine reads the
    /// policy and schedules (or fires) its first step. Ingest so writes one small row without
    /// reading the policy's rules.
    Start,
    /// The next step of the policy.
    Step,
    /// The acknowledgement timeout: if the incident is still acknowledged then, it is
    /// triggered again.
    AckTimeout,
    /// Written by the transaction that acknowledged: tell everyone notified so far.
    Acknowledged,
    /// Written by the transaction that resolved: tell everyone notified so far, then the row
    /// goes.
    Resolved,
    /// Nothing is due (the policy ran out); the row stays so that an acknowledge or resolve
    /// still tells everyone who was paged.
    Idle,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Start => "start",
            Phase::Step => "step",
            Phase::AckTimeout => "ack_timeout",
            Phase::Acknowledged => "acknowledged",
            Phase::Resolved => "resolved",
            Phase::Idle => "idle",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Phase::Start,
            Phase::Step,
            Phase::AckTimeout,
            Phase::Acknowledged,
            Phase::Resolved,
            Phase::Idle,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

/// An incident's pending escalation: one row, keyed by the incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// Which run of the policy: 0 when the incident opened, one more each time an
    /// acknowledgement timed out and the incident was triggered again. Part of every
    /// notification's unique key, so a new run pages again.
    pub round: u32,
    /// Index of the step that fires next.
    pub step: u32,
    /// Which pass through the policy (0 = the first).
    pub loop_: u32,
    pub due_at: DateTime<Utc>,
    pub phase: Phase,
}

/// Why a notification is sent.
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
pub enum NotificationKind {
    /// The first step of the first pass: the incident is new (or triggered again).
    Triggered,
    /// Any later step or pass: nobody acknowledged in time.
    Escalated,
    /// Someone acknowledged; told to everyone notified so far.
    Acknowledged,
    /// The incident is resolved; told to everyone notified so far.
    Resolved,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Triggered => "triggered",
            NotificationKind::Escalated => "escalated",
            NotificationKind::Acknowledged => "acknowledged",
            NotificationKind::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "triggered" => Some(NotificationKind::Triggered),
            "escalated" => Some(NotificationKind::Escalated),
            "acknowledged" => Some(NotificationKind::Acknowledged),
            "resolved" => Some(NotificationKind::Resolved),
            _ => None,
        }
    }

    /// The webhook's `event_type`.
    pub fn event_type(self) -> &'static str {
        match self {
            NotificationKind::Triggered => "incident.triggered",
            NotificationKind::Escalated => "incident.escalated",
            NotificationKind::Acknowledged => "incident.acknowledged",
            NotificationKind::Resolved => "incident.resolved",
        }
    }
}

/// A step firing: whom to notify, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFired {
    pub round: u32,
    pub step: u32,
    pub loop_: u32,
    pub kind: NotificationKind,
    /// Every target of the step; with `round_robin`, the caller notifies only
    /// [`super::policy::round_robin_pick`] of them, with the step's turn counter.
    pub targets: Vec<Target>,
    pub round_robin: bool,
    /// It fired more than [`LATE_AFTER`] after it was due (the server was down or busy).
    pub late: bool,
}

/// What a due escalation row does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fired {
    /// Notify a step's targets.
    Step(StepFired),
    /// The acknowledgement timed out: set the incident back to triggered, and start over.
    Retrigger,
    /// The policy has no step left to run (all loops done, or it was edited to fewer steps).
    Exhausted,
}

/// The outcome of [`fire`]: what to do now, and the row to keep (None: delete it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firing {
    pub fired: Fired,
    pub next: Option<Escalation>,
}

fn minutes(m: u32) -> Duration {
    Duration::minutes(i64::from(m))
}

/// The row written in the transaction that opens an incident on a service with a policy.
/// `None` when the policy has no steps (a validated policy always has one).
pub fn start(rules: &PolicyRules, now: DateTime<Utc>) -> Option<Escalation> {
    start_round(rules, now, 0)
}

/// [`start`] for run `round` of the policy.
pub fn start_round(rules: &PolicyRules, now: DateTime<Utc>, round: u32) -> Option<Escalation> {
    let first = rules.steps.first()?;
    Some(Escalation {
        round,
        step: 0,
        loop_: 0,
        due_at: now + minutes(first.delay_minutes),
        phase: Phase::Step,
    })
}

/// The row written in the transaction that acknowledges: escalation stops, unless the policy
/// has an acknowledgement timeout, which is then what the row waits for.
pub fn on_acknowledge(rules: &PolicyRules, now: DateTime<Utc>, round: u32) -> Option<Escalation> {
    rules.ack_timeout_minutes.map(|m| Escalation {
        round,
        step: 0,
        loop_: 0,
        due_at: now + minutes(m),
        phase: Phase::AckTimeout,
    })
}

/// Carry out a due row (`esc.due_at <= now`) under the policy as it is now.
pub fn fire(esc: &Escalation, rules: &PolicyRules, now: DateTime<Utc>) -> Firing {
    if esc.phase == Phase::AckTimeout {
        return Firing {
            fired: Fired::Retrigger,
            next: start_round(rules, now, esc.round + 1),
        };
    }
    let index = usize::try_from(esc.step).unwrap_or(usize::MAX);
    let Some(step) = rules.steps.get(index) else {
        return Firing {
            fired: Fired::Exhausted,
            next: None,
        };
    };
    let fired = StepFired {
        round: esc.round,
        step: esc.step,
        loop_: esc.loop_,
        kind: if esc.step == 0 && esc.loop_ == 0 {
            NotificationKind::Triggered
        } else {
            NotificationKind::Escalated
        },
        targets: step.targets.clone(),
        round_robin: step.round_robin,
        late: now - esc.due_at > LATE_AFTER,
    };
    let next = match rules.steps.get(index + 1) {
        Some(after) => Some(Escalation {
            round: esc.round,
            step: esc.step + 1,
            loop_: esc.loop_,
            due_at: now + minutes(after.delay_minutes),
            phase: Phase::Step,
        }),
        None if rules.repeat.allows_loop(esc.loop_ + 1) => {
            let first = rules.steps.first().map_or(0, |s| s.delay_minutes);
            Some(Escalation {
                round: esc.round,
                step: 0,
                loop_: esc.loop_ + 1,
                due_at: now + minutes(first).max(MIN_LOOP_GAP),
                phase: Phase::Step,
            })
        }
        None => None,
    };
    Firing {
        fired: Fired::Step(fired),
        next,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;
    use crate::paging::policy::{Repeat, Step};

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("a valid instant")
    }

    fn policy(delays: &[u32], repeat: Repeat) -> PolicyRules {
        PolicyRules {
            repeat,
            ack_timeout_minutes: None,
            steps: delays
                .iter()
                .map(|d| Step {
                    delay_minutes: *d,
                    round_robin: false,
                    targets: vec![Target::User { id: UserId::new() }],
                })
                .collect(),
        }
    }

    /// Fire every due row at exactly its due time until the policy is done.
    fn run(rules: &PolicyRules, limit: usize) -> Vec<(u32, u32, NotificationKind, DateTime<Utc>)> {
        let mut out = Vec::new();
        let mut row = start(rules, t0());
        while let Some(esc) = row {
            if out.len() == limit {
                break;
            }
            let f = fire(&esc, rules, esc.due_at);
            if let Fired::Step(s) = f.fired {
                assert!(!s.late);
                out.push((s.step, s.loop_, s.kind, esc.due_at));
            }
            row = f.next;
        }
        out
    }

    #[test]
    fn two_steps_fire_at_once_then_after_the_delay() {
        let fired = run(&policy(&[0, 1], Repeat::Times(0)), 10);
        assert_eq!(
            fired,
            vec![
                (0, 0, NotificationKind::Triggered, t0()),
                (
                    1,
                    0,
                    NotificationKind::Escalated,
                    t0() + Duration::minutes(1)
                ),
            ]
        );
    }

    #[test]
    fn repeat_loops_with_a_gap_even_without_delays() {
        let fired = run(&policy(&[0], Repeat::Times(2)), 10);
        let times: Vec<_> = fired.iter().map(|f| (f.1, f.3)).collect();
        assert_eq!(
            times,
            vec![
                (0, t0()),
                (1, t0() + MIN_LOOP_GAP),
                (2, t0() + MIN_LOOP_GAP * 2)
            ]
        );
        assert_eq!(fired[1].2, NotificationKind::Escalated);
        assert_eq!(run(&policy(&[5], Repeat::UntilAcknowledged), 50).len(), 50);
    }

    #[test]
    fn a_late_step_is_marked_and_the_next_keeps_its_full_delay() {
        let rules = policy(&[0, 10], Repeat::Times(0));
        let row = start(&rules, t0()).expect("a row");
        let after_outage = t0() + Duration::hours(2);
        let f = fire(&row, &rules, after_outage);
        let Fired::Step(s) = f.fired else {
            panic!("a step fires")
        };
        assert!(s.late);
        assert_eq!(
            f.next.map(|n| n.due_at),
            Some(after_outage + Duration::minutes(10))
        );
    }

    #[test]
    fn an_edited_policy_applies_from_the_next_step() {
        let long = policy(&[0, 1, 1], Repeat::Times(0));
        let row = start(&long, t0()).expect("a row");
        let next = fire(&row, &long, t0()).next.expect("step 1 pending");
        let short = policy(&[0], Repeat::Times(0));
        assert_eq!(
            fire(&next, &short, next.due_at),
            Firing {
                fired: Fired::Exhausted,
                next: None
            }
        );
    }

    #[test]
    fn acknowledgement_stops_or_waits_for_its_timeout() {
        let mut rules = policy(&[0, 5], Repeat::Times(1));
        assert_eq!(on_acknowledge(&rules, t0(), 0), None);
        rules.ack_timeout_minutes = Some(30);
        let row = on_acknowledge(&rules, t0(), 0).expect("an ack-timeout row");
        assert_eq!(row.phase, Phase::AckTimeout);
        assert_eq!(row.due_at, t0() + Duration::minutes(30));
        let f = fire(&row, &rules, row.due_at);
        assert_eq!(f.fired, Fired::Retrigger);
        let next = f.next.expect("a new run");
        assert_eq!((next.round, next.step, next.loop_), (1, 0, 0));
        assert_eq!(Some(next), start_round(&rules, row.due_at, 1));
    }

    #[test]
    fn words_round_trip() {
        for k in [
            NotificationKind::Triggered,
            NotificationKind::Escalated,
            NotificationKind::Acknowledged,
            NotificationKind::Resolved,
        ] {
            assert_eq!(NotificationKind::parse(k.as_str()), Some(k));
            assert!(k.event_type().ends_with(k.as_str()));
        }
        for p in [
            Phase::Start,
            Phase::Step,
            Phase::AckTimeout,
            Phase::Resolved,
            Phase::Idle,
        ] {
            assert_eq!(Phase::parse(p.as_str()), Some(p));
        }
    }
}
