//! [`HeartbeatStore`] for PostgreSQL, behaving as SQLite's does, for several nodes on one
//! database. Firing claims due rows `FOR UPDATE OF h SKIP LOCKED`, marks them `missed` and
//! sends their alerts through the ingest fast path ([`apply_batch`], which locks the teams'
//! rows as every ingest does) in the same transaction: another node skips the locked rows,
//! and once this COMMITs they no longer match `state = 'ok'`, so each miss fires once. A
//! check-in locks its row `FOR UPDATE`, so a check-in racing a firing waits for it and then
//! resolves what it opened. Lock order is always heartbeat rows, then team rows.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tocsin_core::heartbeat::{self, Heartbeat, HeartbeatState};
use tocsin_core::model::{Scope, Service};
use tocsin_core::{AlertEvent, HeartbeatId, ServiceId};
use tokio_postgres::{GenericClient, Row};

use super::batch::apply_batch;
use super::bind::col;
use super::{bounded, conflict_as, refs, scope_sql, Params, PgStore};
use crate::heartbeats::{
    self as sql, CheckedIn, Fired, HeartbeatNoise, HeartbeatStore, HB_COLS, HB_SERVICE_COLS,
};
use crate::{require_team, StoreError};
use tocsin_core::noise::screen::Noise;

fn row(r: &Row) -> Result<Heartbeat, StoreError> {
    let state: String = col(r, 9)?;
    Ok(Heartbeat {
        id: col(r, 0)?,
        service_id: col(r, 1)?,
        team_id: col(r, 2)?,
        name: col(r, 3)?,
        interval_seconds: col(r, 4)?,
        grace_seconds: col(r, 5)?,
        checkin_key: col(r, 6)?,
        last_checkin_at: col(r, 7)?,
        due_at: col(r, 8)?,
        state: HeartbeatState::parse(&state)
            .ok_or_else(|| StoreError::Other(format!("unknown heartbeat state {state:?}")))?,
        created_at: col(r, 10)?,
    })
}

/// A heartbeat, its service and its key hash ([`HB_COLS`], then [`HB_SERVICE_COLS`]).
fn with_service(r: &Row) -> Result<(Heartbeat, Service, [u8; 32]), StoreError> {
    let at = sql::SERVICE_AT;
    let hash: Vec<u8> = col(r, at + 6)?;
    Ok((
        row(r)?,
        Service {
            id: col(r, at)?,
            team_id: col(r, at + 1)?,
            name: col(r, at + 2)?,
            api_key: col(r, at + 3)?,
            created_at: col(r, at + 4)?,
            escalation_policy_id: col(r, at + 5)?,
        },
        hash.try_into()
            .map_err(|_| StoreError::Other("heartbeat key hash length".into()))?,
    ))
}

fn by_hash(lock: &str) -> String {
    format!(
        "SELECT {HB_COLS}, {HB_SERVICE_COLS} FROM heartbeats h
         JOIN services s ON s.id = h.service_id WHERE h.checkin_key_hash = $1{lock}"
    )
}

async fn one(
    c: &impl GenericClient, scope: &Scope, service: ServiceId, id: HeartbeatId, lock: &str,
) -> Result<Heartbeat, StoreError> {
    let mut args: Params = vec![Box::new(id), Box::new(service)];
    let q = format!(
        "SELECT {HB_COLS} FROM heartbeats h WHERE h.id = $1 AND h.service_id = $2{}{lock}",
        scope_sql(scope, "h.team_id", &mut args)
    );
    c.query_opt(&q, &refs(&args))
        .await?
        .as_ref()
        .map(row)
        .transpose()?
        .ok_or(StoreError::NotFound("heartbeat"))
}

#[async_trait]
impl HeartbeatStore for PgStore {
    async fn create_heartbeat(
        &self, scope: &Scope, hb: &Heartbeat, key_hash: [u8; 32],
    ) -> Result<Heartbeat, StoreError> {
        require_team(scope, hb.team_id, "service")?;
        bounded(async {
            let c = self.client().await?;
            c.query_opt(sql::SERVICE_OF_TEAM, &[&hb.service_id, &hb.team_id])
                .await?
                .ok_or(StoreError::NotFound("service"))?;
            c.execute(
                sql::INSERT,
                &[
                    &hb.id,
                    &hb.service_id,
                    &hb.team_id,
                    &hb.name,
                    &hb.interval_seconds,
                    &hb.grace_seconds,
                    &hb.checkin_key,
                    &key_hash.as_slice(),
                    &hb.last_checkin_at,
                    &hb.due_at,
                    &hb.state.as_str(),
                    &hb.created_at,
                ],
            )
            .await
            .map_err(|e| conflict_as(e, sql::conflict(&hb.name)))?;
            Ok(hb.clone())
        })
        .await
    }

    async fn list_heartbeats(
        &self, scope: &Scope, service: ServiceId,
    ) -> Result<Vec<Heartbeat>, StoreError> {
        bounded(async {
            let c = self.client().await?;
            let mut args: Params = vec![Box::new(service)];
            let q = format!(
                "SELECT {HB_COLS} FROM heartbeats h WHERE h.service_id = $1{} ORDER BY h.name",
                scope_sql(scope, "h.team_id", &mut args)
            );
            c.query(&q, &refs(&args)).await?.iter().map(row).collect()
        })
        .await
    }

    async fn get_heartbeat(
        &self, scope: &Scope, service: ServiceId, id: HeartbeatId,
    ) -> Result<Heartbeat, StoreError> {
        bounded(async {
            let c = self.client().await?;
            one(&**c, scope, service, id, "").await
        })
        .await
    }

    async fn delete_heartbeat(
        &self, scope: &Scope, service: ServiceId, id: HeartbeatId,
    ) -> Result<Heartbeat, StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let hb = one(&*tx, scope, service, id, " FOR UPDATE").await?;
            tx.execute("DELETE FROM heartbeats WHERE id = $1", &[&id])
                .await?;
            tx.commit().await?;
            Ok(hb)
        })
        .await
    }

    async fn heartbeat_by_key_hash(
        &self, hash: [u8; 32],
    ) -> Result<Option<(Heartbeat, [u8; 32])>, StoreError> {
        bounded(async {
            let c = self.client().await?;
            let stmt = c.prepare_cached(&by_hash("")).await?;
            c.query_opt(&stmt, &[&hash.as_slice()])
                .await?
                .as_ref()
                .map(|r| with_service(r).map(|(h, _, k)| (h, k)))
                .transpose()
        })
        .await
    }

    async fn check_in_heartbeat(
        &self, hash: [u8; 32], now: DateTime<Utc>,
    ) -> Result<Option<CheckedIn>, StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            let found = tx
                .query_opt(&by_hash(" FOR UPDATE OF h"), &[&hash.as_slice()])
                .await?;
            let Some((hb, svc, stored)) = found.as_ref().map(with_service).transpose()? else {
                return Ok(None);
            };
            if !tocsin_core::secret::eq(&stored, &hash) {
                return Ok(None);
            }
            let done = heartbeat::check_in(&hb, now);
            tx.execute(
                sql::CHECK_IN,
                &[
                    &done.last_checkin_at,
                    &done.due_at,
                    &done.state.as_str(),
                    &hb.id,
                ],
            )
            .await?;
            let recovered = match &done.resolve {
                Some(ev) => apply_batch(&tx, &[(&svc, ev, &Noise::default())])
                    .await
                    .map_err(StoreError::from)?
                    .pop(),
                None => None,
            };
            tx.commit().await?;
            let heartbeat = done.applied_to(hb);
            Ok(Some(CheckedIn {
                heartbeat,
                recovered,
            }))
        })
        .await
    }

    async fn heartbeat_services_due(
        &self, now: DateTime<Utc>, limit: usize,
    ) -> Result<Vec<ServiceId>, StoreError> {
        bounded(async {
            let c = self.client().await?;
            c.query(sql::services_due(limit).as_str(), &[&now])
                .await?
                .iter()
                .map(|r| r.try_get(0).map_err(StoreError::from))
                .collect()
        })
        .await
    }

    async fn fire_heartbeats(
        &self, now: DateTime<Utc>, limit: usize, noise: &HeartbeatNoise,
    ) -> Result<Vec<Fired>, StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            // Asked every engine round: one indexed read, and a transaction only when
            // something is due.
            if c.query_opt(sql::ANY_DUE, &[&now]).await?.is_none() {
                return Ok(Vec::new());
            }
            let tx = c.transaction().await?;
            let q = sql::due_with_services(limit, " FOR UPDATE OF h SKIP LOCKED");
            let due = tx
                .query(&q, &[&now])
                .await?
                .iter()
                .map(with_service)
                .collect::<Result<Vec<_>, _>>()?;
            let due: Vec<(Heartbeat, Service, (AlertEvent, Noise))> = due
                .into_iter()
                .filter(|(hb, _, _)| heartbeat::is_due(hb, now))
                .filter_map(|(hb, svc, _)| {
                    let screened =
                        noise.screen(svc.id, &svc.name, heartbeat::missed(&hb, now), now)?;
                    Some((hb, svc, screened))
                })
                .collect();
            if due.is_empty() {
                return Ok(Vec::new());
            }
            let ids: Vec<HeartbeatId> = due.iter().map(|(hb, _, _)| hb.id).collect();
            let marked = tx
                .execute(
                    "UPDATE heartbeats SET state = 'missed' WHERE id = ANY($1) AND state = 'ok'",
                    &[&ids],
                )
                .await?;
            if usize::try_from(marked).ok() != Some(ids.len()) {
                return Err(StoreError::Other(format!(
                    "claimed {} heartbeats but marked {marked}",
                    ids.len()
                )));
            }
            let items: Vec<(&Service, &AlertEvent, &Noise)> = due
                .iter()
                .map(|(_, svc, (ev, noise))| (svc, ev, noise))
                .collect();
            let outcomes = apply_batch(&tx, &items).await.map_err(StoreError::from)?;
            if outcomes.len() != due.len() {
                return Err(StoreError::Other("an outcome per heartbeat".into()));
            }
            tx.commit().await?;
            Ok(due
                .into_iter()
                .zip(outcomes)
                .map(|((hb, _, _), outcome)| Fired {
                    heartbeat: Heartbeat {
                        state: HeartbeatState::Missed,
                        ..hb
                    },
                    outcome,
                })
                .collect())
        })
        .await
    }

    async fn next_heartbeat_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        bounded(async {
            let c = self.client().await?;
            Ok(c.query_one(sql::NEXT_DUE, &[]).await?.try_get(0)?)
        })
        .await
    }
}
