//! The paging engine's transactions, written once for both backends.
//!
//! What a due escalation row does is decided in `tocsin_core::paging::engine`; this module
//! is the one sequence of reads and writes around those decisions ([`run_due_row`]), over a
//! small per-backend trait ([`EngineTx`]) that only runs statements. SQLite runs it on its
//! writer thread (its futures never wait: [`now_or_never`]); PostgreSQL awaits it inside
//! a transaction that locked the row with `FOR UPDATE SKIP LOCKED`, so two nodes never
//! carry out the same row at once, and the notifications' unique key makes a second run
//! harmless anyway.

use chrono::{DateTime, Utc};
use tocsin_core::paging::engine::{
    begin, begin_handoff, next_handoff, plan_fired_step, step_targets, Begin, Handoff, Missing,
    Next,
};
use tocsin_core::paging::escalation::Escalation;
use tocsin_core::paging::fanout::{plan_notice, Planned, Reached, Recipient, UserReach};
use tocsin_core::paging::notes::{handoff_note, notice_note, retrigger_note};
use tocsin_core::paging::policy::{PolicyRules, Target};
use tocsin_core::schedule::{on_call_until, Override, ScheduleRules};
use tocsin_core::{
    ChannelId, IncidentId, IncidentStatus, NotificationId, PolicyId, ScheduleId, ServiceId, TeamId,
    UserId,
};

use crate::StoreError;

pub(crate) mod detail;
pub(crate) mod sql;

/// A due escalation row, with what [`begin`] needs.
#[derive(Debug, Clone)]
pub(crate) struct DueRow {
    pub incident: IncidentId,
    pub service: ServiceId,
    pub team: TeamId,
    pub policy: Option<PolicyId>,
    /// `None`: no policy (deleted), or rules that no longer parse.
    pub rules: Option<PolicyRules>,
    pub status: IncidentStatus,
    pub esc: Escalation,
    /// Its step is due (else only its hand-off is).
    pub due: bool,
    pub handoff: Option<Handoff>,
}

/// The statements of one engine transaction; each backend runs them on its own connection.
pub(crate) trait EngineTx {
    /// `None` when the user does not exist.
    async fn user_reach(&mut self, user: UserId) -> Result<Option<UserReach>, StoreError>;
    async fn channel_in_team(
        &mut self, channel: ChannelId, team: TeamId,
    ) -> Result<bool, StoreError>;
    /// Everyone sent a triggered or escalated notification about the incident so far.
    async fn notified(&mut self, incident: IncidentId) -> Result<Vec<Recipient>, StoreError>;
    /// The round-robin turn of the policy's step, bumped for the next incident.
    async fn take_turn(&mut self, policy: PolicyId, step: u32) -> Result<u64, StoreError>;
    /// Insert unless its key exists; `true` if inserted.
    async fn insert_notification(
        &mut self, id: NotificationId, p: &Planned, now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    async fn insert_note(
        &mut self, row: &DueRow, text: &str, now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn retrigger(
        &mut self, incident: IncidentId, now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn set_row(&mut self, incident: IncidentId, next: Next) -> Result<(), StoreError>;
    async fn set_handoff(
        &mut self, incident: IncidentId, handoff: Option<Handoff>,
    ) -> Result<(), StoreError>;
    /// The schedule's rules and its overrides that have not ended at `now`; `None` when it
    /// is not a schedule of `team`.
    async fn schedule(
        &mut self, id: ScheduleId, team: TeamId, now: DateTime<Utc>,
    ) -> Result<Option<(ScheduleRules, Vec<Override>)>, StoreError>;
}

/// Who a step's targets reach at `now`, what could not be reached, and when the schedules
/// among them next hand over.
async fn reach<T: EngineTx>(
    tx: &mut T, row: &DueRow, targets: Vec<Target>, now: DateTime<Utc>,
) -> Result<(Vec<Reached>, Missing, Vec<Option<DateTime<Utc>>>), StoreError> {
    let mut reached = Vec::new();
    let mut missing = Missing::default();
    let mut untils = Vec::new();
    let mut users = Vec::new();
    for target in targets {
        match target {
            Target::User { id } => users.push(id),
            Target::Channel { id } => {
                if tx.channel_in_team(id, row.team).await? {
                    reached.push(Reached::Channel(id));
                } else {
                    missing.channels.push(id);
                }
            }
            Target::Schedule { id } => {
                let on_call = match tx.schedule(id, row.team, now).await? {
                    Some((rules, overrides)) => on_call_until(&rules, &overrides, now).ok(),
                    None => None,
                };
                match on_call {
                    Some((on_call, until)) => {
                        users.extend(on_call);
                        untils.push(until);
                    }
                    None => missing.schedules.push(id),
                }
            }
        }
    }
    users.sort();
    users.dedup();
    for id in users {
        if let Some(reach) = tx.user_reach(id).await? {
            reached.push(Reached::User(reach));
        }
    }
    Ok((reached, missing, untils))
}

/// Carry out one due row at `now`: the notifications it plans (inserted once each by their
/// key), its timeline note, the incident's retrigger, the next row and hand-off. Returns the
/// notifications inserted.
pub(crate) async fn run_due_row<T: EngineTx>(
    tx: &mut T, row: &DueRow, now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    if !row.due {
        return run_handoff(tx, row, now).await;
    }
    let mut inserted = 0;
    let mut handoff = None;
    let next = match begin(&row.esc, row.rules.as_ref(), row.status, now) {
        Begin::Reschedule(next) => next,
        Begin::Retrigger { next } => {
            tx.retrigger(row.incident, now).await?;
            let minutes = row.rules.as_ref().and_then(|r| r.ack_timeout_minutes);
            tx.insert_note(row, &retrigger_note(minutes), now).await?;
            next
        }
        Begin::Notice {
            kind,
            round,
            step,
            loop_,
            next,
        } => {
            let notified = tx.notified(row.incident).await?;
            let planned = plan_notice(row.incident, kind, round, step, loop_, &notified, now);
            for p in &planned {
                inserted += usize::from(
                    tx.insert_notification(NotificationId::new(), p, now)
                        .await?,
                );
            }
            tx.insert_note(row, &notice_note(kind, planned.len()), now)
                .await?;
            next
        }
        Begin::Step {
            fired,
            due_at,
            next,
        } => {
            let turn = match (fired.round_robin, row.policy) {
                (true, Some(policy)) => tx.take_turn(policy, fired.step).await?,
                _ => 0,
            };
            let (reached, missing, untils) =
                reach(tx, row, step_targets(&fired, turn), now).await?;
            let plan = plan_fired_step(row.incident, &fired, &reached, &missing, now, due_at);
            for p in &plan.deliveries {
                inserted += usize::from(
                    tx.insert_notification(NotificationId::new(), p, now)
                        .await?,
                );
            }
            tx.insert_note(row, &plan.note, now).await?;
            handoff = next_handoff(&untils, fired.step, fired.loop_);
            next
        }
    };
    tx.set_row(row.incident, next).await?;
    // Most rows never wait for a hand-off: no write when there was none and is none.
    if handoff.is_some() || row.handoff.is_some() {
        tx.set_handoff(row.incident, handoff).await?;
    }
    Ok(inserted)
}

/// A schedule a step paged handed over while the escalation waits: page whoever took over.
async fn run_handoff<T: EngineTx>(
    tx: &mut T, row: &DueRow, now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let Some(h) = row.handoff else {
        return Ok(0);
    };
    let Some(fired) = begin_handoff(&row.esc, &h, row.rules.as_ref(), row.status) else {
        tx.set_handoff(row.incident, None).await?;
        return Ok(0);
    };
    let (reached, missing, untils) = reach(tx, row, fired.targets.clone(), now).await?;
    let plan = plan_fired_step(row.incident, &fired, &reached, &missing, now, now);
    let mut inserted = 0;
    for p in &plan.deliveries {
        inserted += usize::from(
            tx.insert_notification(NotificationId::new(), p, now)
                .await?,
        );
    }
    if inserted > 0 {
        tx.insert_note(row, &handoff_note(inserted), now).await?;
    }
    tx.set_handoff(row.incident, next_handoff(&untils, h.step, h.loop_))
        .await?;
    Ok(inserted)
}

/// Run a future that never waits (SQLite's [`EngineTx`] does no I/O that waits) to its end.
pub(crate) fn now_or_never<T>(
    f: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(r) => r,
        std::task::Poll::Pending => Err(StoreError::Other(
            "an engine statement waited on the SQLite writer thread".into(),
        )),
    }
}
