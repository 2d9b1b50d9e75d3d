//! The paging engine's transactions on PostgreSQL: the shared sequence (`crate::engine`),
//! awaited inside a transaction. Due rows and due deliveries are taken with `FOR UPDATE SKIP
//! LOCKED`, so every node works and no two take the same row; the notifications' unique key
//! makes even a repeated run add nothing.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tocsin_core::model::Scope;
use tocsin_core::paging::delivery::{AfterAttempt, DeliveryStatus, LEASE};
use tocsin_core::paging::effects::RowWrite;
use tocsin_core::paging::engine::{Handoff, Next};
use tocsin_core::paging::escalation::NotificationKind;
use tocsin_core::paging::fanout::{Planned, Recipient, Rule, UserReach};
use tocsin_core::paging::notes::{attempt_note, resent_note, ACTOR};
use tocsin_core::paging::records::Notification;
use tocsin_core::schedule::{Override, ScheduleRules};
use tocsin_core::{
    ChannelId, EventId, IncidentId, NotificationId, PolicyId, ScheduleId, ServiceId, TeamId, UserId,
};
use tokio_postgres::{GenericClient, Row};

use super::rows::get;
use super::{bounded, PgStore};
use crate::engine::detail::{claimed_from, parse_due, ClaimedRow, DueCols};
use crate::engine::{run_due_row, sql, DueRow, EngineTx};
use crate::paging::{Claimed, EngineStore, NotificationStore};
use crate::schedule_records::parse_rules;
use crate::{sql as common, StoreError};

/// Counters are `INTEGER` columns; they never come near its limit.
fn i(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn u(r: &Row, idx: usize) -> Result<u32, StoreError> {
    let n: i32 = get(r, idx)?;
    Ok(u32::try_from(n).unwrap_or(0))
}

struct Tx<'a, C>(&'a C);

impl<C: GenericClient + Sync> EngineTx for Tx<'_, C> {
    async fn set_handoff(
        &mut self, incident: IncidentId, h: Option<Handoff>,
    ) -> Result<(), StoreError> {
        self.0
            .execute(
                sql::SET_HANDOFF,
                &[
                    &h.map(|h| h.at),
                    &h.map(|h| i(h.step)),
                    &h.map(|h| i(h.loop_)),
                    &incident,
                ],
            )
            .await?;
        Ok(())
    }

    async fn schedule(
        &mut self, id: ScheduleId, team: TeamId, now: DateTime<Utc>,
    ) -> Result<Option<(ScheduleRules, Vec<Override>)>, StoreError> {
        let Some(row) = self.0.query_opt(sql::SCHEDULE_RULES, &[&id, &team]).await? else {
            return Ok(None);
        };
        let text: String = get(&row, 0)?;
        let Ok(rules) = parse_rules(&text) else {
            return Ok(None);
        };
        let overrides = super::schedules::overrides_after(self.0, id, now).await?;
        Ok(Some((rules, overrides)))
    }

    async fn user_reach(&mut self, user: UserId) -> Result<Option<UserReach>, StoreError> {
        let c = self.0;
        let Some(row) = c.query_opt(sql::USER, &[&user]).await? else {
            return Ok(None);
        };
        let disabled: Option<DateTime<Utc>> = get(&row, 1)?;
        let contact_methods = c
            .query(sql::USER_METHODS, &[&user])
            .await?
            .iter()
            .map(|r| get(r, 0))
            .collect::<Result<Vec<_>, _>>()?;
        let rules = c
            .query(sql::USER_RULES, &[&user])
            .await?
            .iter()
            .map(|r| {
                Ok(Rule {
                    contact_method: get(r, 0)?,
                    delay_minutes: u(r, 1)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some(UserReach {
            user,
            username: get(&row, 0)?,
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
            .query_opt(sql::CHANNEL_IN_TEAM, &[&channel, &team])
            .await?
            .is_some())
    }

    async fn notified(&mut self, incident: IncidentId) -> Result<Vec<Recipient>, StoreError> {
        let mut out = Vec::new();
        for r in self.0.query(sql::NOTIFIED, &[&incident]).await? {
            if let Some(rc) = Recipient::from_parts(get(&r, 0)?, get(&r, 1)?, get(&r, 2)?) {
                out.push(rc);
            }
        }
        Ok(out)
    }

    async fn take_turn(&mut self, policy: PolicyId, step: u32) -> Result<u64, StoreError> {
        let row = self
            .0
            .query_one(sql::TAKE_TURN, &[&policy, &i(step)])
            .await?;
        let turn: i64 = get(&row, 0)?;
        Ok(u64::try_from(turn).unwrap_or(0))
    }

    async fn insert_notification(
        &mut self, id: NotificationId, p: &Planned, now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let k = &p.key;
        let n = self
            .0
            .execute(
                sql::INSERT_NOTIFICATION,
                &[
                    &id,
                    &k.incident,
                    &k.kind.as_str(),
                    &i(k.round),
                    &i(k.step),
                    &i(k.loop_),
                    &k.recipient.key(),
                    &k.recipient.user_id(),
                    &k.recipient.channel_id(),
                    &k.recipient.contact_method_id(),
                    &p.due_at,
                    &now,
                ],
            )
            .await?;
        Ok(n == 1)
    }

    async fn insert_note(
        &mut self, row: &DueRow, text: &str, now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        insert_note(self.0, row.incident, row.service, text, now).await
    }

    async fn retrigger(
        &mut self, incident: IncidentId, now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.0.execute(sql::RETRIGGER, &[&now, &incident]).await?;
        Ok(())
    }

    async fn set_row(&mut self, incident: IncidentId, next: Next) -> Result<(), StoreError> {
        let c = self.0;
        match next {
            Next::Set(e) => {
                c.execute(
                    sql::SET_ROW,
                    &[
                        &e.phase.as_str(),
                        &i(e.round),
                        &i(e.step),
                        &i(e.loop_),
                        &e.due_at,
                        &incident,
                    ],
                )
                .await?
            }
            Next::Idle => c.execute(sql::IDLE_ROW, &[&incident]).await?,
            Next::Delete => c.execute(sql::DELETE_ROW, &[&incident]).await?,
        };
        Ok(())
    }
}

async fn insert_note(
    c: &(impl GenericClient + Sync), incident: IncidentId, service: ServiceId, text: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    c.execute(
        common::INSERT_HUMAN_EVENT,
        &[
            &EventId::new(),
            &incident,
            &service,
            &tocsin_core::model::EventKind::Paging.as_str(),
            &ACTOR,
            &text,
            &now,
        ],
    )
    .await?;
    Ok(())
}

/// The escalation write of a person's action (`plan::HumanChange::escalation`).
pub(super) async fn write_escalation(
    c: &(impl GenericClient + Sync), incident: IncidentId, service: Option<ServiceId>,
    write: RowWrite,
) -> Result<(), StoreError> {
    match (write, service) {
        (RowWrite::Insert { phase, at }, Some(service)) => {
            c.execute(sql::START, &[&incident, &phase.as_str(), &at, &service])
                .await?;
        }
        (RowWrite::Insert { .. }, None) => {
            return Err(StoreError::Other(
                "a paging start without its service".into(),
            ))
        }
        (RowWrite::Rewrite { phase, at }, _) => {
            c.execute(sql::REWRITE, &[&phase.as_str(), &at, &incident])
                .await?;
        }
    }
    Ok(())
}

fn opt_u(r: &Row, idx: usize) -> Result<Option<u32>, StoreError> {
    let n: Option<i32> = get(r, idx)?;
    Ok(n.map(|n| u32::try_from(n).unwrap_or(0)))
}

fn due_row(r: &Row, now: DateTime<Utc>) -> Result<DueRow, StoreError> {
    Ok(parse_due(
        DueCols {
            incident: get(r, 0)?,
            service: get(r, 1)?,
            team: get(r, 2)?,
            policy: get(r, 3)?,
            rules: get(r, 4)?,
            status: get(r, 5)?,
            phase: get(r, 6)?,
            round: u(r, 7)?,
            step: u(r, 8)?,
            loop_: u(r, 9)?,
            due_at: get(r, 10)?,
            handoff_at: get(r, 11)?,
            handoff_step: opt_u(r, 12)?,
            handoff_loop: opt_u(r, 13)?,
        },
        now,
    ))
}

async fn claimed(
    c: &(impl GenericClient + Sync), id: NotificationId, claims: u32, attempts: u32,
) -> Result<Claimed, StoreError> {
    let r = c.query_one(sql::CLAIMED_DETAIL, &[&id]).await?;
    let incident: IncidentId = get(&r, 0)?;
    let row = ClaimedRow {
        id,
        claims,
        attempts,
        kind: get(&r, 1)?,
        round: u(&r, 2)?,
        step: u(&r, 3)?,
        loop_: u(&r, 4)?,
        user: get(&r, 5)?,
        channel: get(&r, 6)?,
        contact_method: get(&r, 7)?,
        created_at: get(&r, 8)?,
        service_name: get(&r, 9)?,
        method_kind: get(&r, 10)?,
        method_name: get(&r, 11)?,
        target: get(&r, 12)?,
        signing_secret: get(&r, 13)?,
        username: get(&r, 14)?,
    };
    let inc = super::incidents::get_incident_in(c, &Scope::All, incident, false).await?;
    Ok(claimed_from(row, inc))
}

#[async_trait]
impl EngineStore for PgStore {
    async fn advance_escalations(&self, now: DateTime<Utc>, n: usize) -> Result<usize, StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let due = sql::due(n, " FOR UPDATE OF e SKIP LOCKED");
            let rows = tx
                .query(due.as_str(), &[&now])
                .await?
                .iter()
                .map(|r| due_row(r, now))
                .collect::<Result<Vec<_>, _>>()?;
            for row in &rows {
                run_due_row(&mut Tx(&*tx), row, now).await?;
            }
            tx.commit().await?;
            Ok(rows.len())
        })
        .await
    }

    async fn claim_deliveries(
        &self, now: DateTime<Utc>, owner: &str, n: usize,
    ) -> Result<Vec<Claimed>, StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let taken = tx
                .query(
                    sql::claim(true, n).as_str(),
                    &[&(now + LEASE), &owner, &now],
                )
                .await?;
            let mut out = Vec::with_capacity(taken.len());
            for r in &taken {
                let claimed = claimed(&*tx, get(r, 0)?, u(r, 1)?, u(r, 2)?).await?;
                if claimed.resent {
                    let note = resent_note(&claimed.label, &claimed.id.to_string());
                    insert_note(
                        &*tx,
                        claimed.incident.id,
                        claimed.incident.service_id,
                        &note,
                        now,
                    )
                    .await?;
                }
                out.push(claimed);
            }
            tx.commit().await?;
            Ok(out)
        })
        .await
    }

    async fn record_attempt(
        &self, claimed: &Claimed, after: &AfterAttempt, now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let note = attempt_note(
            claimed.kind,
            &claimed.label,
            &claimed.id.to_string(),
            after,
            now,
        );
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let n = tx
                .execute(
                    sql::RECORD,
                    &[
                        &after.status.as_str(),
                        &i(after.attempts),
                        &after.next_attempt_at,
                        &after.sent_at,
                        &after.error,
                        &claimed.id,
                        &i(claimed.claim),
                    ],
                )
                .await?;
            if n == 1 {
                insert_note(
                    &*tx,
                    claimed.incident.id,
                    claimed.incident.service_id,
                    &note,
                    now,
                )
                .await?;
            }
            tx.commit().await?;
            Ok(n == 1)
        })
        .await
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        bounded(async {
            let c = self.client().await?;
            let a: Option<DateTime<Utc>> = get(&c.query_one(sql::NEXT_ESCALATION, &[]).await?, 0)?;
            let b: Option<DateTime<Utc>> = get(&c.query_one(sql::NEXT_DELIVERY, &[]).await?, 0)?;
            Ok(match (a, b) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            })
        })
        .await
    }

    async fn release_claims(&self, owner: &str) -> Result<u64, StoreError> {
        bounded(async {
            let c = self.client().await?;
            Ok(c.execute(sql::RELEASE, &[&owner]).await?)
        })
        .await
    }
}

#[async_trait]
impl NotificationStore for PgStore {
    async fn incident_notifications(
        &self, scope: &Scope, incident: IncidentId,
    ) -> Result<Vec<Notification>, StoreError> {
        bounded(async {
            let c = self.client().await?;
            super::incidents::get_incident_in(&**c, scope, incident, false).await?;
            c.query(sql::INCIDENT_NOTIFICATIONS, &[&incident])
                .await?
                .iter()
                .map(|r| {
                    let kind: String = get(r, 2)?;
                    let status: String = get(r, 9)?;
                    Ok(Notification {
                        id: get(r, 0)?,
                        incident_id: get(r, 1)?,
                        kind: NotificationKind::parse(&kind).unwrap_or(NotificationKind::Triggered),
                        round: u(r, 3)?,
                        step: u(r, 4)?,
                        loop_: u(r, 5)?,
                        user_id: get(r, 6)?,
                        channel_id: get(r, 7)?,
                        contact_method_id: get(r, 8)?,
                        status: DeliveryStatus::parse(&status).unwrap_or(DeliveryStatus::Unknown),
                        attempts: u(r, 10)?,
                        next_attempt_at: get(r, 11)?,
                        sent_at: get(r, 12)?,
                        error: get(r, 13)?,
                        created_at: get(r, 14)?,
                    })
                })
                .collect()
        })
        .await
    }
}
