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
use tocsin_core::paging::engine::{begin, plan_fired_step, step_targets, Begin, Missing, Next};
use tocsin_core::paging::escalation::Escalation;
use tocsin_core::paging::fanout::{plan_notice, Planned, Reached, Recipient, UserReach};
use tocsin_core::paging::notes::{notice_note, retrigger_note};
use tocsin_core::paging::policy::{PolicyRules, Target};
use tocsin_core::{
    ChannelId, IncidentId, IncidentStatus, NotificationId, PolicyId, ServiceId, TeamId, UserId,
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
}

/// Carry out one due row at `now`: the notifications it plans (inserted once each by their
/// key), its timeline note, the incident's retrigger, the next row. Returns the
/// notifications inserted.
pub(crate) async fn run_due_row<T: EngineTx>(
    tx: &mut T, row: &DueRow, now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let mut inserted = 0;
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
            let mut reached = Vec::new();
            let mut missing = Missing::default();
            for target in step_targets(&fired, turn) {
                match target {
                    Target::User { id } => {
                        if let Some(reach) = tx.user_reach(id).await? {
                            reached.push(Reached::User(reach));
                        }
                    }
                    Target::Channel { id } => {
                        if tx.channel_in_team(id, row.team).await? {
                            reached.push(Reached::Channel(id));
                        } else {
                            missing.channels.push(id);
                        }
                    }
                    Target::Schedule { id } => missing.schedules.push(id),
                }
            }
            let plan = plan_fired_step(row.incident, &fired, &reached, &missing, now, due_at);
            for p in &plan.deliveries {
                inserted += usize::from(
                    tx.insert_notification(NotificationId::new(), p, now)
                        .await?,
                );
            }
            tx.insert_note(row, &plan.note, now).await?;
            next
        }
    };
    tx.set_row(row.incident, next).await?;
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
