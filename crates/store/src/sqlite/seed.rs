//! Writing history fast, for benchmarks: "how fast is ingest with a million incidents stored?"
//!
//! The rows are the ones real ingest leaves behind for an alert that fired and later
//! recovered: a resolved incident numbered from the team's counter, an `opened` event and an
//! `auto_resolved` event each carrying a Kapacitor body as payload, and the alert source's
//! activity. Only the path differs: tens of thousands of incidents per transaction through
//! cached statements instead of one group commit per burst, and ids and times spread over
//! the past 30 days so every index sees the order it would in production.

use std::path::Path;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection};
use tocsin_core::model::Service;
use tocsin_core::{EventId, IncidentId};

use super::time::to_db;
use super::SqliteStore;
use crate::StoreError;

/// Incidents per transaction: big enough that fsyncs do not matter, small enough that the
/// WAL stays a few tens of MB.
const CHUNK: u64 = 20_000;
/// History is spread over this span, ending an hour ago.
const SPAN: Duration = Duration::from_secs(30 * 24 * 3600);
/// Distinct dedup keys the history cycles through (hosts that fire again and again).
const KEYS: u64 = 5_000;

impl SqliteStore {
    /// The store for a seeding process: history for a benchmark is not an alert anyone was
    /// promised was stored, so its writes skip the fsyncs (`synchronous = OFF`), and
    /// [`Self::seed_resolved_incidents`] makes everything durable once at the end.
    pub fn open_for_seeding(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, "OFF", super::checkpoint::RESTART_FRAMES)
    }

    /// Add `incidents` resolved incidents (two events each) to `svc`, oldest first.
    /// `progress` is called after each committed chunk with the number written so far.
    pub async fn seed_resolved_incidents(
        &self, svc: &Service, incidents: u64, mut progress: impl FnMut(u64),
    ) -> Result<(), StoreError> {
        let end = SystemTime::now() - Duration::from_secs(3600);
        let step = SPAN / u32::try_from(incidents.max(1)).unwrap_or(u32::MAX);
        let first = end - step * u32::try_from(incidents).unwrap_or(u32::MAX);
        let mut done = 0;
        while done < incidents {
            let n = CHUNK.min(incidents - done);
            let (svc2, from) = (svc.clone(), done);
            self.writer
                .write(move |c| write_chunk(c, &svc2, from, n, first, step))
                .await?;
            done += n;
            progress(done);
        }
        self.checkpoint().await
    }
}

impl SqliteStore {
    /// Copy the WAL into the database file and sync it, from a connection of its own (a
    /// checkpoint cannot run inside the writer's transaction).
    async fn checkpoint(&self) -> Result<(), StoreError> {
        let path = self.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            let c = Connection::open(path)?;
            c.busy_timeout(Duration::from_secs(30))?;
            c.execute_batch("PRAGMA synchronous = FULL; PRAGMA wal_checkpoint(TRUNCATE);")?;
            Ok(())
        })
        .await
        .map_err(|e| StoreError::Other(format!("checkpoint task failed: {e}")))?
    }
}

fn write_chunk(
    c: &Connection, svc: &Service, from: u64, n: u64, first: SystemTime, step: Duration,
) -> Result<(), StoreError> {
    let (team, service) = (svc.team_id, svc.id);
    let before: i64 = c
        .prepare_cached(
            "UPDATE teams SET incident_counter = incident_counter + ?2 WHERE id = ?1
             RETURNING incident_counter",
        )?
        .query_row(params![team, n], |r| r.get(0))?;
    let first_number = before - i64::try_from(n).unwrap_or(i64::MAX) + 1;
    let mut inc = c.prepare_cached(
        "INSERT INTO incidents (id, team_id, service_id, number, source, dedup_key, status,
           severity, title, description, tags, event_count, created_at, updated_at,
           resolved_at, resolved_by)
         VALUES (?1, ?2, ?3, ?4, 'kapacitor', ?5, 'resolved', 'critical', ?6, ?7, ?8, 2, ?9, ?10,
           ?10, 'kapacitor')",
    )?;
    let mut ev = c.prepare_cached(
        "INSERT INTO incident_events (id, incident_id, service_id, kind, source, level,
           received_at, occurred_at, payload)
         VALUES (?1, ?2, ?3, ?4, 'kapacitor', ?5, ?6, ?6, ?7)",
    )?;
    let mut last = first;
    for k in 0..n {
        let i = from + k;
        let opened = first + step * u32::try_from(i).unwrap_or(u32::MAX);
        let resolved = opened + step / 2;
        last = resolved;
        let (o, r): (DateTime<Utc>, DateTime<Utc>) = (opened.into(), resolved.into());
        let host = format!("web-{:05}", i % KEYS);
        let key = format!("cpu:host={host}");
        let title = format!("{key} is CRITICAL: usage_idle=3.2");
        let details = format!("cpu_alert fired for host={host}");
        let tags = format!(r#"{{"cpu":"cpu-total","host":"{host}","level":"CRITICAL"}}"#);
        let id = IncidentId::at(opened);
        inc.execute(params![
            id,
            team,
            service,
            first_number + i64::try_from(k).unwrap_or(0),
            key,
            title,
            details,
            tags,
            to_db(o),
            to_db(r)
        ])?;
        ev.execute(params![
            EventId::at(opened),
            id,
            service,
            "opened",
            "CRITICAL",
            to_db(o),
            body(&key, &host, "CRITICAL", "OK", o)
        ])?;
        ev.execute(params![
            EventId::at(resolved),
            id,
            service,
            "auto_resolved",
            "OK",
            to_db(r),
            body(&key, &host, "OK", "CRITICAL", r)
        ])?;
    }
    let at = to_db(DateTime::<Utc>::from(last));
    c.prepare_cached(
        "INSERT INTO alert_sources (service_id, source, last_incident_at, last_event_at)
         VALUES (?1, 'kapacitor', ?2, ?2)
         ON CONFLICT (service_id, source) DO UPDATE SET
           last_incident_at = MAX(COALESCE(last_incident_at, 0), excluded.last_incident_at),
           last_event_at = MAX(COALESCE(last_event_at, 0), excluded.last_event_at)",
    )?
    .execute(params![service, at])?;
    Ok(())
}

/// A Kapacitor `post` body as the default handler sends it.
fn body(key: &str, host: &str, level: &str, prev: &str, at: DateTime<Utc>) -> String {
    let t = at.to_rfc3339_opts(SecondsFormat::Nanos, true);
    format!(
        concat!(
            r#"{{"id":"{key}","message":"{key} is {level}: usage_idle=3.2","details":"cpu_alert fired for host={host}","#,
            r#""time":"{t}","duration":60000000000,"level":"{level}","data":{{"series":[{{"name":"cpu","#,
            r#""tags":{{"cpu":"cpu-total","host":"{host}"}},"columns":["time","usage_idle"],"values":[["{t}",3.2]]}}]}},"#,
            r#""previousLevel":"{prev}","recoverable":true}}"#,
            "\n"
        ),
        key = key,
        host = host,
        level = level,
        prev = prev,
        t = t
    )
}
