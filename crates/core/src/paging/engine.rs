//! What the engine does with a due escalation row, decided without I/O.
//!
//! A store runs one transaction per due row: it reads the row, the policy and the incident's
//! status, calls [`begin`], reads what the answer asks for (who a step's targets reach, or
//! who was notified so far), calls [`plan_fired_step`] or `fanout::plan_notice`, and writes
//! the deliveries (unique keys: a second run of the same row adds nothing), the timeline
//! notes and the [`Next`] row. So a crash anywhere leaves either the old row (done again,
//! harmlessly) or all of the new state.

use chrono::{DateTime, Utc};

use super::escalation::{
    fire, on_acknowledge, start_round, Escalation, Fired, NotificationKind, Phase, StepFired,
};
use super::fanout::{plan_step, Planned, Reached, Unreachable};
use super::policy::{round_robin_pick, PolicyRules, Target};
use crate::ids::{ChannelId, IncidentId, ScheduleId};
use crate::IncidentStatus;

/// What becomes of the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Write this row.
    Set(Escalation),
    /// Keep a row with nothing due (`due_at` NULL), for a later acknowledge or resolve.
    Idle,
    /// Delete the row: the incident is resolved.
    Delete,
}

impl Next {
    fn from(next: Option<Escalation>) -> Self {
        next.map_or(Next::Idle, Next::Set)
    }
}

/// What a due row asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// A step fires: read who its targets ([`step_targets`]) reach, then
    /// [`plan_fired_step`].
    Step {
        fired: StepFired,
        /// When the step was due (it fired late if long before `now`).
        due_at: DateTime<Utc>,
        next: Next,
    },
    /// Tell everyone notified so far (read them), with `fanout::plan_notice`.
    Notice {
        kind: NotificationKind,
        round: u32,
        step: u32,
        loop_: u32,
        next: Next,
    },
    /// The acknowledgement timed out: set the incident back to triggered (clearing who
    /// acknowledged it; the timeline keeps that) and run the policy again.
    Retrigger { next: Next },
    /// Only the row changes (a first step not due yet, a policy run out or deleted).
    Reschedule(Next),
}

/// Decide what the due row `row` does at `now`, under the policy as it is now (`None`: it was
/// deleted) and the incident's status as it is now.
pub fn begin(
    row: &Escalation, rules: Option<&PolicyRules>, status: IncidentStatus, now: DateTime<Utc>,
) -> Begin {
    let notice = |kind, next| Begin::Notice {
        kind,
        round: row.round,
        step: row.step,
        loop_: row.loop_,
        next,
    };
    match row.phase {
        Phase::Resolved => notice(NotificationKind::Resolved, Next::Delete),
        // Defensive: a resolve always rewrites the row, but a row must never outlive its
        // incident's paging.
        _ if status == IncidentStatus::Resolved => Begin::Reschedule(Next::Delete),
        Phase::Acknowledged => notice(
            NotificationKind::Acknowledged,
            Next::from(rules.and_then(|r| on_acknowledge(r, now, row.round))),
        ),
        Phase::AckTimeout if status == IncidentStatus::Acknowledged => {
            let next = rules.and_then(|r| fire(row, r, now).next);
            Begin::Retrigger {
                next: Next::from(next),
            }
        }
        Phase::Start => {
            let Some(rules) = rules else {
                return Begin::Reschedule(Next::Idle);
            };
            // The row was due when the incident opened: the first step counts from then.
            match start_round(rules, row.due_at, row.round) {
                Some(first) if first.due_at <= now => step(&first, rules, now),
                first => Begin::Reschedule(Next::from(first)),
            }
        }
        Phase::Step if status == IncidentStatus::Triggered => match rules {
            Some(rules) => step(row, rules, now),
            None => Begin::Reschedule(Next::Idle),
        },
        // A step of an acknowledged incident, an ack timeout of a triggered one, an idle
        // row: nothing is due.
        Phase::Step | Phase::AckTimeout | Phase::Idle => Begin::Reschedule(Next::Idle),
    }
}

fn step(row: &Escalation, rules: &PolicyRules, now: DateTime<Utc>) -> Begin {
    let f = fire(row, rules, now);
    match f.fired {
        Fired::Step(fired) => Begin::Step {
            fired,
            due_at: row.due_at,
            next: Next::from(f.next),
        },
        Fired::Retrigger | Fired::Exhausted => Begin::Reschedule(Next::from(f.next)),
    }
}

/// The targets a fired step notifies: all of them, or with round robin the one whose turn
/// it is (`turn`: the store's counter for the policy's step, taken and bumped).
pub fn step_targets(fired: &StepFired, turn: u64) -> Vec<Target> {
    if fired.round_robin {
        round_robin_pick(&fired.targets, turn).into_iter().collect()
    } else {
        fired.targets.clone()
    }
}

/// Targets that reached nobody, besides users with no way to be reached.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Missing {
    /// Channels named by the policy that no longer exist.
    pub channels: Vec<ChannelId>,
    /// Schedules: not resolvable yet.
    pub schedules: Vec<ScheduleId>,
}

/// The deliveries of a fired step and its timeline note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepPlan {
    pub deliveries: Vec<Planned>,
    pub unreachable: Vec<Unreachable>,
    pub note: String,
}

/// Plan the deliveries of `fired` to those its targets `reached`, at `now`.
pub fn plan_fired_step(
    incident: IncidentId, fired: &StepFired, reached: &[Reached], missing: &Missing,
    now: DateTime<Utc>, due_at: DateTime<Utc>,
) -> StepPlan {
    let (deliveries, unreachable) = plan_step(
        incident,
        fired.kind,
        fired.round,
        fired.step,
        fired.loop_,
        reached,
        now,
    );
    let note = super::notes::step_note(
        fired,
        &deliveries,
        reached,
        &unreachable,
        missing,
        now - due_at,
    );
    StepPlan {
        deliveries,
        unreachable,
        note,
    }
}

/// A step that paged a schedule waits for the schedule's next hand-off: whoever takes over
/// while the incident is still triggered is paged too, under the same step (GoAlert looks up
/// who is on call only when a step fires, so someone whose shift starts during the wait is
/// skipped: its issue #4548).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handoff {
    pub at: DateTime<Utc>,
    pub step: u32,
    pub loop_: u32,
}

/// The hand-off to wait for after `step` (of pass `loop_`) paged schedules whose answers hold
/// until `untils` (`None`: no change ahead): the earliest.
pub fn next_handoff(untils: &[Option<DateTime<Utc>>], step: u32, loop_: u32) -> Option<Handoff> {
    untils.iter().flatten().min().map(|at| Handoff {
        at: *at,
        step,
        loop_,
    })
}

/// What a due hand-off does: page the step's schedules again (only the schedules: its users
/// and channels were paged when it fired), if the incident is still triggered and the policy
/// still has the step. The deliveries' keys are the step's own, so whoever was on call
/// already is not paged twice.
pub fn begin_handoff(
    row: &Escalation, h: &Handoff, rules: Option<&PolicyRules>, status: IncidentStatus,
) -> Option<StepFired> {
    if status != IncidentStatus::Triggered {
        return None;
    }
    let step = rules?.steps.get(usize::try_from(h.step).ok()?)?;
    let targets: Vec<Target> = step
        .targets
        .iter()
        .filter(|t| matches!(t, Target::Schedule { .. }))
        .copied()
        .collect();
    (!targets.is_empty()).then_some(StepFired {
        round: row.round,
        step: h.step,
        loop_: h.loop_,
        kind: if h.step == 0 && h.loop_ == 0 {
            NotificationKind::Triggered
        } else {
            NotificationKind::Escalated
        },
        targets,
        round_robin: false,
        late: false,
    })
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::ids::{ContactMethodId, UserId};
    use crate::paging::fanout::UserReach;
    use crate::paging::policy::{Repeat, Step};

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("a valid instant")
    }

    fn rules(delays: &[u32], ack_timeout: Option<u32>) -> PolicyRules {
        PolicyRules {
            repeat: Repeat::Times(0),
            ack_timeout_minutes: ack_timeout,
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

    fn row(phase: Phase, due_at: DateTime<Utc>) -> Escalation {
        Escalation {
            round: 0,
            step: 0,
            loop_: 0,
            due_at,
            phase,
        }
    }

    #[test]
    fn a_start_row_fires_a_due_first_step_at_once_or_waits_for_it() {
        let now = t0();
        let b = begin(
            &row(Phase::Start, now),
            Some(&rules(&[0, 1], None)),
            IncidentStatus::Triggered,
            now,
        );
        let Begin::Step { fired, next, .. } = b else {
            panic!("step 1 fires at once: {b:?}")
        };
        assert_eq!(
            (fired.step, fired.kind, fired.late),
            (0, NotificationKind::Triggered, false)
        );
        assert!(
            matches!(next, Next::Set(e) if e.step == 1 && e.due_at == now + Duration::minutes(1))
        );
        let waiting = begin(
            &row(Phase::Start, now),
            Some(&rules(&[5], None)),
            IncidentStatus::Triggered,
            now,
        );
        assert!(
            matches!(waiting, Begin::Reschedule(Next::Set(e)) if e.due_at == now + Duration::minutes(5) && e.phase == Phase::Step)
        );
    }

    #[test]
    fn a_start_found_after_an_outage_fires_late() {
        let opened = t0();
        let now = opened + Duration::hours(1);
        let b = begin(
            &row(Phase::Start, opened),
            Some(&rules(&[0], None)),
            IncidentStatus::Triggered,
            now,
        );
        assert!(matches!(b, Begin::Step { fired, .. } if fired.late));
    }

    #[test]
    fn notices_keep_the_pass_and_resolve_deletes_the_row() {
        let r = rules(&[0], Some(30));
        let mut acked = row(Phase::Acknowledged, t0());
        acked.step = 1;
        let b = begin(&acked, Some(&r), IncidentStatus::Acknowledged, t0());
        let Begin::Notice {
            kind, step, next, ..
        } = b
        else {
            panic!("a notice: {b:?}")
        };
        assert_eq!((kind, step), (NotificationKind::Acknowledged, 1));
        assert!(
            matches!(next, Next::Set(e) if e.phase == Phase::AckTimeout && e.due_at == t0() + Duration::minutes(30))
        );
        let b = begin(
            &row(Phase::Resolved, t0()),
            None,
            IncidentStatus::Resolved,
            t0(),
        );
        assert!(matches!(
            b,
            Begin::Notice {
                kind: NotificationKind::Resolved,
                next: Next::Delete,
                ..
            }
        ));
        let b = begin(
            &row(Phase::Acknowledged, t0()),
            Some(&rules(&[0], None)),
            IncidentStatus::Acknowledged,
            t0(),
        );
        assert!(matches!(
            b,
            Begin::Notice {
                next: Next::Idle,
                ..
            }
        ));
    }

    #[test]
    fn an_ack_timeout_retriggers_only_a_still_acknowledged_incident() {
        let r = rules(&[0], Some(30));
        let due = row(Phase::AckTimeout, t0());
        let b = begin(&due, Some(&r), IncidentStatus::Acknowledged, t0());
        assert!(
            matches!(b, Begin::Retrigger { next: Next::Set(e) } if e.round == 1 && e.step == 0)
        );
        assert_eq!(
            begin(&due, Some(&r), IncidentStatus::Triggered, t0()),
            Begin::Reschedule(Next::Idle)
        );
        assert_eq!(
            begin(&due, Some(&r), IncidentStatus::Resolved, t0()),
            Begin::Reschedule(Next::Delete)
        );
    }

    #[test]
    fn a_deleted_policy_or_an_exhausted_one_leaves_an_idle_row() {
        let b = begin(
            &row(Phase::Step, t0()),
            None,
            IncidentStatus::Triggered,
            t0(),
        );
        assert_eq!(b, Begin::Reschedule(Next::Idle));
        let mut past = row(Phase::Step, t0());
        past.step = 3;
        assert_eq!(
            begin(
                &past,
                Some(&rules(&[0], None)),
                IncidentStatus::Triggered,
                t0()
            ),
            Begin::Reschedule(Next::Idle)
        );
    }

    #[test]
    fn a_hand_off_repages_only_the_steps_schedules_while_triggered() {
        let sch = crate::ids::ScheduleId::new();
        let user = UserId::new();
        let mut r = rules(&[0], None);
        r.steps[0].targets = vec![Target::User { id: user }, Target::Schedule { id: sch }];
        let h = next_handoff(
            &[
                None,
                Some(t0() + Duration::hours(2)),
                Some(t0() + Duration::hours(1)),
            ],
            0,
            0,
        )
        .expect("the earliest hand-off");
        assert_eq!(h.at, t0() + Duration::hours(1));
        let esc = row(Phase::Step, t0());
        let fired = begin_handoff(&esc, &h, Some(&r), IncidentStatus::Triggered).expect("re-paged");
        assert_eq!(fired.targets, vec![Target::Schedule { id: sch }]);
        assert_eq!((fired.step, fired.kind), (0, NotificationKind::Triggered));
        assert_eq!(
            begin_handoff(&esc, &h, Some(&r), IncidentStatus::Acknowledged),
            None
        );
        assert_eq!(
            begin_handoff(&esc, &h, None, IncidentStatus::Triggered),
            None
        );
        assert_eq!(next_handoff(&[None], 0, 0), None);
    }

    #[test]
    fn round_robin_takes_one_target_and_the_plan_names_everyone() {
        let (a, b) = (UserId::new(), UserId::new());
        let fired = StepFired {
            round: 0,
            step: 0,
            loop_: 0,
            kind: NotificationKind::Triggered,
            targets: vec![Target::User { id: a }, Target::User { id: b }],
            round_robin: true,
            late: false,
        };
        assert_eq!(step_targets(&fired, 3), vec![Target::User { id: b }]);
        let cm = ContactMethodId::new();
        let reached = vec![Reached::User(UserReach {
            user: b,
            username: "bob".into(),
            disabled: false,
            contact_methods: vec![cm],
            rules: vec![],
        })];
        let plan = plan_fired_step(
            IncidentId::new(),
            &fired,
            &reached,
            &Missing::default(),
            t0(),
            t0(),
        );
        assert_eq!(plan.deliveries.len(), 1);
        assert!(plan.note.contains("bob"), "{}", plan.note);
    }
}
