//! [`HeartbeatStore`] for SQLite. Every write runs in the single writer's transaction, so a
//! miss (or a check-in) and the incident its alert opens (or resolves) commit together, and
//! no two firings can interleave: the writer is the claim.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use tocsin_core::heartbeat::{self, Heartbeat, HeartbeatState};
use tocsin_core::model::{Scope, Service};
use tocsin_core::{HeartbeatId, ServiceId};

use super::time::{from_db, opt_from_db, to_db};
use super::{ingest, scope_sql, SqliteStore};
use crate::heartbeats::{
    self as sql, CheckedIn, Fired, HeartbeatNoise, HeartbeatStore, HB_COLS, HB_SERVICE_COLS,
};
use crate::{require_team, StoreError};
use tocsin_core::noise::screen::Noise;

fn row(r: &Row) -> rusqlite::Result<Heartbeat> {
    let state: String = r.get(9)?;
    Ok(Heartbeat {
        id: r.get(0)?,
        service_id: r.get(1)?,
        team_id: r.get(2)?,
        name: r.get(3)?,
        interval_seconds: r.get(4)?,
        grace_seconds: r.get(5)?,
        checkin_key: r.get(6)?,
        last_checkin_at: opt_from_db(r.get(7)?),
        due_at: from_db(r.get(8)?),
        state: HeartbeatState::parse(&state).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                9,
                rusqlite::types::Type::Text,
                format!("unknown heartbeat state {state:?}").into(),
            )
        })?,
        created_at: from_db(r.get(10)?),
    })
}

/// A heartbeat, its service and its key hash ([`HB_COLS`], then [`HB_SERVICE_COLS`]).
fn with_service(r: &Row) -> rusqlite::Result<(Heartbeat, Service, Vec<u8>)> {
    let at = sql::SERVICE_AT;
    Ok((
        row(r)?,
        Service {
            id: r.get(at)?,
            team_id: r.get(at + 1)?,
            name: r.get(at + 2)?,
            api_key: r.get(at + 3)?,
            created_at: from_db(r.get(at + 4)?),
            escalation_policy_id: r.get(at + 5)?,
        },
        r.get(at + 6)?,
    ))
}

fn hash32(v: Vec<u8>) -> Result<[u8; 32], StoreError> {
    v.try_into()
        .map_err(|_| StoreError::Other("heartbeat key hash length".into()))
}

/// One heartbeat of `service` within `scope`.
fn one(
    c: &Connection, scope: &Scope, service: ServiceId, id: HeartbeatId,
) -> Result<Heartbeat, StoreError> {
    let mut args = vec![
        Value::Text(id.to_string()),
        Value::Text(service.to_string()),
    ];
    let q = format!(
        "SELECT {HB_COLS} FROM heartbeats h WHERE h.id = ? AND h.service_id = ?{}",
        scope_sql(scope, "h.team_id", &mut args)
    );
    c.prepare_cached(&q)?
        .query_row(params_from_iter(args), row)
        .optional()?
        .ok_or(StoreError::NotFound("heartbeat"))
}

#[async_trait]
impl HeartbeatStore for SqliteStore {
    async fn create_heartbeat(
        &self, scope: &Scope, hb: &Heartbeat, key_hash: [u8; 32],
    ) -> Result<Heartbeat, StoreError> {
        require_team(scope, hb.team_id, "service")?;
        let hb = hb.clone();
        self.writer
            .write(move |c| {
                c.query_row(
                    sql::SERVICE_OF_TEAM,
                    params![hb.service_id, hb.team_id],
                    |_| Ok(()),
                )
                .optional()?
                .ok_or(StoreError::NotFound("service"))?;
                c.execute(
                    sql::INSERT,
                    params![
                        hb.id,
                        hb.service_id,
                        hb.team_id,
                        hb.name,
                        hb.interval_seconds,
                        hb.grace_seconds,
                        hb.checkin_key,
                        key_hash.as_slice(),
                        hb.last_checkin_at.map(to_db),
                        to_db(hb.due_at),
                        hb.state.as_str(),
                        to_db(hb.created_at)
                    ],
                )
                .map_err(|e| StoreError::from(e).conflict_as(sql::conflict(&hb.name)))?;
                Ok(hb.clone())
            })
            .await
    }

    async fn list_heartbeats(
        &self, scope: &Scope, service: ServiceId,
    ) -> Result<Vec<Heartbeat>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = vec![Value::Text(service.to_string())];
            let q = format!(
                "SELECT {HB_COLS} FROM heartbeats h WHERE h.service_id = ?{} ORDER BY h.name",
                scope_sql(&scope, "h.team_id", &mut args)
            );
            let rows = c
                .prepare_cached(&q)?
                .query_map(params_from_iter(args), row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn get_heartbeat(
        &self, scope: &Scope, service: ServiceId, id: HeartbeatId,
    ) -> Result<Heartbeat, StoreError> {
        let scope = scope.clone();
        self.read(move |c| one(c, &scope, service, id)).await
    }

    async fn delete_heartbeat(
        &self, scope: &Scope, service: ServiceId, id: HeartbeatId,
    ) -> Result<Heartbeat, StoreError> {
        let scope = scope.clone();
        self.writer
            .write(move |c| {
                let hb = one(c, &scope, service, id)?;
                c.execute("DELETE FROM heartbeats WHERE id = $1", params![id])?;
                Ok(hb)
            })
            .await
    }

    async fn heartbeat_by_key_hash(
        &self, hash: [u8; 32],
    ) -> Result<Option<(Heartbeat, [u8; 32])>, StoreError> {
        self.read(move |c| {
            let q = format!(
                "SELECT {HB_COLS}, {HB_SERVICE_COLS} FROM heartbeats h
                 JOIN services s ON s.id = h.service_id WHERE h.checkin_key_hash = $1"
            );
            let found = c
                .prepare_cached(&q)?
                .query_row(params![hash.as_slice()], with_service)
                .optional()?;
            found.map(|(h, _, k)| Ok((h, hash32(k)?))).transpose()
        })
        .await
    }

    async fn check_in_heartbeat(
        &self, hash: [u8; 32], now: DateTime<Utc>,
    ) -> Result<Option<CheckedIn>, StoreError> {
        self.writer
            .write(move |c| {
                let q = format!(
                    "SELECT {HB_COLS}, {HB_SERVICE_COLS} FROM heartbeats h
                     JOIN services s ON s.id = h.service_id WHERE h.checkin_key_hash = $1"
                );
                let Some((hb, svc, stored)) = c
                    .prepare_cached(&q)?
                    .query_row(params![hash.as_slice()], with_service)
                    .optional()?
                else {
                    return Ok(None);
                };
                if !tocsin_core::secret::eq(&hash32(stored)?, &hash) {
                    return Ok(None);
                }
                let done = heartbeat::check_in(&hb, now);
                c.prepare_cached(sql::CHECK_IN)?.execute(params![
                    to_db(done.last_checkin_at),
                    to_db(done.due_at),
                    done.state.as_str(),
                    hb.id
                ])?;
                let recovered = done
                    .resolve
                    .as_ref()
                    .map(|ev| ingest::apply(c, &svc, ev, &Noise::default()))
                    .transpose()?;
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
        self.read(move |c| {
            Ok(c.prepare_cached(&sql::services_due(limit))?
                .query_map(params![to_db(now)], |r| r.get(0))?
                .collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn fire_heartbeats(
        &self, now: DateTime<Utc>, limit: usize, noise: &HeartbeatNoise,
    ) -> Result<Vec<Fired>, StoreError> {
        let noise = noise.clone();
        // Asked every second: a read first, so a quiet second costs the writer nothing.
        let at = to_db(now);
        let any: bool = self
            .read(move |c| {
                Ok(c.prepare_cached(sql::ANY_DUE)?
                    .query_row(params![at], |_| Ok(()))
                    .optional()?
                    .is_some())
            })
            .await?;
        if !any {
            return Ok(Vec::new());
        }
        self.writer
            .write(move |c| {
                let due = c
                    .prepare_cached(&sql::due_with_services(limit, ""))?
                    .query_map(params![to_db(now)], with_service)?
                    .collect::<Result<Vec<_>, _>>()?;
                let mut fired = Vec::with_capacity(due.len());
                for (hb, svc, _) in due {
                    if !heartbeat::is_due(&hb, now) {
                        continue;
                    }
                    let Some((event, screened)) =
                        noise.screen(svc.id, &svc.name, heartbeat::missed(&hb, now), now)
                    else {
                        continue;
                    };
                    c.prepare_cached(sql::MARK_MISSED)?
                        .execute(params![hb.id])?;
                    let outcome = ingest::apply(c, &svc, &event, &screened)?;
                    let heartbeat = Heartbeat {
                        state: HeartbeatState::Missed,
                        ..hb
                    };
                    fired.push(Fired { heartbeat, outcome });
                }
                Ok(fired)
            })
            .await
    }

    async fn next_heartbeat_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.read(|c| {
            let t: Option<i64> = c.query_row(sql::NEXT_DUE, [], |r| r.get(0))?;
            Ok(opt_from_db(t))
        })
        .await
    }
}
