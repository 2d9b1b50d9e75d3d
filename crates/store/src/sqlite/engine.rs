//! The paging engine's transactions on SQLite: the shared sequence (`crate::engine`) run on
//! the writer thread, so it commits with the writer's group commit and never races another
//! writer.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use tocsin_core::model::Scope;
use tocsin_core::paging::delivery::{AfterAttempt, DeliveryStatus, LEASE};
use tocsin_core::paging::engine::{Handoff, Next};
use tocsin_core::paging::escalation::NotificationKind;
use tocsin_core::paging::fanout::{Planned, Recipient, Rule, UserReach};
use tocsin_core::paging::notes::{attempt_note, resent_note, ACTOR};
use tocsin_core::paging::records::Notification;
use tocsin_core::schedule::{Override, ScheduleRules};
use tocsin_core::{ChannelId, IncidentId, NotificationId, PolicyId, ScheduleId, TeamId, UserId};

use super::time::{from_db, opt_from_db, to_db};
use super::SqliteStore;
use crate::engine::detail::{claimed_from, parse_due, ClaimedRow, DueCols};
use crate::engine::{now_or_never, run_due_row, sql, DueRow, EngineTx};
use crate::paging::{Claimed, EngineRound, EngineStore, NotificationStore};
use crate::schedule_records::parse_rules;
use crate::{sql as common, StoreError};

struct Tx<'c>(&'c Connection);

impl EngineTx for Tx<'_> {
    async fn set_handoff(
        &mut self, incident: IncidentId, h: Option<Handoff>,
    ) -> Result<(), StoreError> {
        self.0.prepare_cached(sql::SET_HANDOFF)?.execute(params![
            h.map(|h| to_db(h.at)),
            h.map(|h| h.step),
            h.map(|h| h.loop_),
            incident
        ])?;
        Ok(())
    }

    async fn schedule(
        &mut self, id: ScheduleId, team: TeamId, now: DateTime<Utc>,
    ) -> Result<Option<(ScheduleRules, Vec<Override>)>, StoreError> {
        self.schedule_rows(id, team, now)
    }

    async fn user_reach(&mut self, user: UserId) -> Result<Option<UserReach>, StoreError> {
        let c = self.0;
        let Some((username, disabled)) = c
            .prepare_cached(sql::USER)?
            .query_row(params![user], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?))
            })
            .optional()?
        else {
            return Ok(None);
        };
        let contact_methods = c
            .prepare_cached(sql::USER_METHODS)?
            .query_map(params![user], |r| r.get(0))?
            .collect::<Result<Vec<_>, _>>()?;
        let rules = c
            .prepare_cached(sql::USER_RULES)?
            .query_map(params![user], |r| {
                Ok(Rule {
                    contact_method: r.get(0)?,
                    delay_minutes: r.get(1)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(UserReach {
            user,
            username,
            disabled: disabled.is_some(),
            contact_methods,
            rules,
        }))
    }

    async fn channel_in_team(
        &mut self, channel: ChannelId, team: TeamId,
    ) -> Result<bool, StoreError> {
        Ok(self
            .0
            .prepare_cached(sql::CHANNEL_IN_TEAM)?
            .query_row(params![channel, team], |_| Ok(()))
            .optional()?
            .is_some())
    }

    async fn notified(&mut self, incident: IncidentId) -> Result<Vec<Recipient>, StoreError> {
        let rows = self
            .0
            .prepare_cached(sql::NOTIFIED)?
            .query_map(params![incident], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(u, cm, ch)| Recipient::from_parts(u, cm, ch))
            .collect())
    }

    async fn take_turn(&mut self, policy: PolicyId, step: u32) -> Result<u64, StoreError> {
        let turn: i64 = self
            .0
            .prepare_cached(sql::TAKE_TURN)?
            .query_row(params![policy, step], |r| r.get(0))?;
        Ok(u64::try_from(turn).unwrap_or(0))
    }

    async fn insert_notification(
        &mut self, id: NotificationId, p: &Planned, now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let k = &p.key;
        let n = self
            .0
            .prepare_cached(sql::INSERT_NOTIFICATION)?
            .execute(params![
                id,
                k.incident,
                k.kind.as_str(),
                k.round,
                k.step,
                k.loop_,
                k.recipient.key(),
                k.recipient.user_id(),
                k.recipient.channel_id(),
                k.recipient.contact_method_id(),
                to_db(p.due_at),
                to_db(now)
            ])?;
        Ok(n == 1)
    }

    async fn insert_note(
        &mut self, row: &DueRow, text: &str, now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        insert_note(self.0, row.incident, row.service, text, now)
    }

    async fn retrigger(
        &mut self, incident: IncidentId, now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.0
            .prepare_cached(sql::RETRIGGER)?
            .execute(params![to_db(now), incident])?;
        Ok(())
    }

    async fn set_row(&mut self, incident: IncidentId, next: Next) -> Result<(), StoreError> {
        let c = self.0;
        match next {
            Next::Set(e) => c.prepare_cached(sql::SET_ROW)?.execute(params![
                e.phase.as_str(),
                e.round,
                e.step,
                e.loop_,
                to_db(e.due_at),
                incident
            ])?,
            Next::Idle => c
                .prepare_cached(sql::IDLE_ROW)?
                .execute(params![incident])?,
            Next::Delete => c
                .prepare_cached(sql::DELETE_ROW)?
                .execute(params![incident])?,
        };
        Ok(())
    }
}

impl Tx<'_> {
    fn schedule_rows(
        &self, id: ScheduleId, team: TeamId, now: DateTime<Utc>,
    ) -> Result<Option<(ScheduleRules, Vec<Override>)>, StoreError> {
        let c = self.0;
        let Some(text) = c
            .prepare_cached(sql::SCHEDULE_RULES)?
            .query_row(params![id, team], |r| r.get::<_, String>(0))
            .optional()?
        else {
            return Ok(None);
        };
        let Ok(rules) = parse_rules(&text) else {
            return Ok(None);
        };
        let overrides = super::schedules::overrides_after(c, id, now)?;
        Ok(Some((rules, overrides)))
    }
}

fn insert_note(
    c: &Connection, incident: IncidentId, service: tocsin_core::ServiceId, text: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.prepare_cached(common::INSERT_HUMAN_EVENT)?
        .execute(params![
            tocsin_core::EventId::new(),
            incident,
            service,
            tocsin_core::model::EventKind::Paging.as_str(),
            ACTOR,
            text,
            to_db(now)
        ])?;
    Ok(())
}

/// The escalation writes of an ingest batch or a person's action (`plan::Escalate`).
pub(super) fn write_escalation(
    c: &Connection, incident: IncidentId, service: Option<tocsin_core::ServiceId>,
    write: tocsin_core::paging::effects::RowWrite,
) -> Result<(), StoreError> {
    use tocsin_core::paging::effects::RowWrite;
    match (write, service) {
        (RowWrite::Insert { phase, at }, Some(service)) => {
            c.prepare_cached(sql::START)?.execute(params![
                incident,
                phase.as_str(),
                to_db(at),
                service
            ])?;
        }
        (RowWrite::Insert { .. }, None) => {
            return Err(StoreError::Other(
                "a paging start without its service".into(),
            ))
        }
        (RowWrite::Rewrite { phase, at }, _) => {
            c.prepare_cached(sql::REWRITE)?.execute(params![
                phase.as_str(),
                to_db(at),
                incident
            ])?;
        }
    }
    Ok(())
}

fn due_rows(c: &Connection, now: DateTime<Utc>, limit: usize) -> Result<Vec<DueRow>, StoreError> {
    let rows = c
        .prepare_cached(&sql::due(limit, ""))?
        .query_map(params![to_db(now)], |r| {
            Ok(DueCols {
                incident: r.get(0)?,
                service: r.get(1)?,
                team: r.get(2)?,
                policy: r.get(3)?,
                rules: r.get(4)?,
                status: r.get(5)?,
                phase: r.get(6)?,
                round: r.get(7)?,
                step: r.get(8)?,
                loop_: r.get(9)?,
                due_at: opt_from_db(r.get(10)?),
                handoff_at: opt_from_db(r.get(11)?),
                handoff_step: r.get(12)?,
                handoff_loop: r.get(13)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows.into_iter().map(|c| parse_due(c, now)).collect())
}

/// When an escalation row or a delivery is next due.
fn next_due(c: &Connection) -> Result<Option<DateTime<Utc>>, StoreError> {
    let a: Option<i64> = c
        .prepare_cached(sql::NEXT_ESCALATION)?
        .query_row([], |r| r.get(0))?;
    let b: Option<i64> = c
        .prepare_cached(sql::NEXT_DELIVERY)?
        .query_row([], |r| r.get(0))?;
    Ok(match (a, b) {
        (Some(a), Some(b)) => Some(from_db(a.min(b))),
        (a, b) => opt_from_db(a.or(b)),
    })
}

/// Carry out up to `limit` due rows; how many there were.
fn advance(c: &Connection, now: DateTime<Utc>, limit: usize) -> Result<usize, StoreError> {
    let rows = due_rows(c, now, limit)?;
    for row in &rows {
        now_or_never(run_due_row(&mut Tx(c), row, now))?;
    }
    Ok(rows.len())
}

fn claim(
    c: &Connection, now: DateTime<Utc>, owner: &str, limit: usize,
) -> Result<Vec<Claimed>, StoreError> {
    let taken = c
        .prepare_cached(&sql::claim(false, limit))?
        .query_map(params![to_db(now + LEASE), owner, to_db(now)], |r| {
            Ok((
                r.get::<_, NotificationId>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, u32>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(taken.len());
    for (id, claims, attempts) in taken {
        let (incident, row) =
            c.prepare_cached(sql::CLAIMED_DETAIL)?
                .query_row(params![id], |r| {
                    Ok((
                        r.get::<_, IncidentId>(0)?,
                        ClaimedRow {
                            id,
                            claims,
                            attempts,
                            kind: r.get(1)?,
                            round: r.get(2)?,
                            step: r.get(3)?,
                            loop_: r.get(4)?,
                            user: r.get(5)?,
                            channel: r.get(6)?,
                            contact_method: r.get(7)?,
                            created_at: from_db(r.get(8)?),
                            service_name: r.get(9)?,
                            method_kind: r.get(10)?,
                            method_name: r.get(11)?,
                            target: r.get(12)?,
                            signing_secret: r.get(13)?,
                            username: r.get(14)?,
                        },
                    ))
                })?;
        let inc = super::incidents::get_incident_in(c, &Scope::All, incident)?;
        let claimed = claimed_from(row, inc);
        if claimed.resent {
            let note = resent_note(&claimed.label, &claimed.id.to_string());
            insert_note(c, incident, claimed.incident.service_id, &note, now)?;
        }
        out.push(claimed);
    }
    Ok(out)
}

#[async_trait]
impl EngineStore for SqliteStore {
    async fn advance_escalations(
        &self, now: DateTime<Utc>, limit: usize,
    ) -> Result<usize, StoreError> {
        self.writer.write(move |c| advance(c, now, limit)).await
    }

    async fn claim_deliveries(
        &self, now: DateTime<Utc>, owner: &str, limit: usize,
    ) -> Result<Vec<Claimed>, StoreError> {
        let owner = owner.to_owned();
        self.writer
            .write(move |c| claim(c, now, &owner, limit))
            .await
    }

    async fn advance_and_claim(
        &self, now: DateTime<Utc>, owner: &str, limit: usize,
    ) -> Result<EngineRound, StoreError> {
        let owner = owner.to_owned();
        self.writer
            .write(move |c| {
                Ok(EngineRound {
                    fired: advance(c, now, limit)?,
                    claimed: claim(c, now, &owner, limit)?,
                    next_due: next_due(c)?,
                })
            })
            .await
    }

    async fn record_attempt(
        &self, claimed: &Claimed, after: &AfterAttempt, now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (id, claim, after) = (claimed.id, claimed.claim, after.clone());
        let (incident, service) = (claimed.incident.id, claimed.incident.service_id);
        let note = attempt_note(claimed.kind, &claimed.label, &id.to_string(), &after, now);
        // Lazy: a record lost with the machine leaves the delivery claimed and unrecorded, so
        // it is resent, marked as such, as after a crash mid-send.
        self.writer
            .write_lazy(move |c| {
                let n = c.prepare_cached(sql::RECORD)?.execute(params![
                    after.status.as_str(),
                    after.attempts,
                    after.next_attempt_at.map(to_db),
                    after.sent_at.map(to_db),
                    after.error,
                    id,
                    claim
                ])?;
                if n == 1 {
                    insert_note(c, incident, service, &note, now)?;
                }
                Ok(n == 1)
            })
            .await
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.read(next_due).await
    }

    async fn release_claims(&self, owner: &str) -> Result<u64, StoreError> {
        let owner = owner.to_owned();
        self.writer
            .write(move |c| Ok(c.prepare_cached(sql::RELEASE)?.execute(params![owner])? as u64))
            .await
    }
}

#[async_trait]
impl NotificationStore for SqliteStore {
    async fn incident_notifications(
        &self, scope: &Scope, incident: IncidentId,
    ) -> Result<Vec<Notification>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            super::incidents::get_incident_in(c, &scope, incident)?;
            let rows = c
                .prepare_cached(sql::INCIDENT_NOTIFICATIONS)?
                .query_map(params![incident], |r| {
                    Ok(Notification {
                        id: r.get(0)?,
                        incident_id: r.get(1)?,
                        kind: NotificationKind::parse(&r.get::<_, String>(2)?)
                            .unwrap_or(NotificationKind::Triggered),
                        round: r.get(3)?,
                        step: r.get(4)?,
                        loop_: r.get(5)?,
                        user_id: r.get(6)?,
                        channel_id: r.get(7)?,
                        contact_method_id: r.get(8)?,
                        status: DeliveryStatus::parse(&r.get::<_, String>(9)?)
                            .unwrap_or(DeliveryStatus::Unknown),
                        attempts: r.get(10)?,
                        next_attempt_at: opt_from_db(r.get(11)?),
                        sent_at: opt_from_db(r.get(12)?),
                        error: r.get(13)?,
                        created_at: from_db(r.get(14)?),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }
}
