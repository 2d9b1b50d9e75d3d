//! The embedded default: one SQLite file in WAL mode.
//!
//! Writes go through the group-commit [`writer`]; reads use a small pool of read-only
//! connections, which WAL lets run beside the writer and see every committed batch.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::Utc;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OpenFlags, OptionalExtension};
use tocsin_core::model::{
    AlertSourceActivity, ApiToken, EventKind, Incident, IncidentQuery, IncidentSummary,
    IngestOutcome, Scope, Service, Team, TimelineEvent,
};
use tocsin_core::{
    decide_human, AlertEvent, EventId, EventPage, EventPageQuery, HumanAction, HumanDecision,
    IncidentId, ServiceId, TeamId, TokenId,
};

use crate::{Bootstrap, CommitSnapshot, CommitStats, NewToken, Store, StoreError, StoredToken};

mod audit;
mod bind;
mod checkpoint;
mod ingest;
mod keys;
mod lifecycle;
mod members;
mod migrate;
mod rows;
mod seed;
mod sessions;
mod time;
mod timeline;
mod tokens;
mod users;
mod writer;
#[cfg(test)]
mod writer_tests;

use checkpoint::Checkpointer;
use rows::{EVENT_COLS, INCIDENT_COLS, SERVICE_COLS, TEAM_COLS, TOKEN_COLS};
use time::to_db;
use writer::Writer;

pub struct SqliteStore {
    path: PathBuf,
    writer: Writer,
    commits: Arc<CommitStats>,
    readers: Arc<Mutex<Vec<Connection>>>,
}

/// Read connections kept for reuse; more are opened on demand under a burst.
const POOL_KEEP: usize = 8;

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch("PRAGMA foreign_keys = ON;")?;
    Ok(())
}

impl SqliteStore {
    /// Open (creating if needed) the database file and apply migrations.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, "FULL", checkpoint::RESTART_FRAMES)
    }

    /// `wal_restart_frames`: see [`checkpoint::RESTART_FRAMES`].
    fn open_with(
        path: impl AsRef<Path>,
        synchronous: &str,
        wal_restart_frames: i64,
    ) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let mut conn = Connection::open(&path)?;
        configure(&conn)?;
        // WAL lets readers run beside the writer; FULL syncs the WAL at every commit, which is
        // what makes "2xx only after commit" mean "on disk".
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous};"
        ))?;
        // When a write fails, its batch is replayed with a savepoint per write, and SQLite
        // copies every page a savepoint touches that the batch already changed into a
        // statement journal, a temporary *file* by default. In memory it is a memcpy. It holds
        // only pages of the current batch and is never needed after a crash (the WAL is).
        conn.execute_batch("PRAGMA temp_store = MEMORY;")?;
        // Checkpoints run on their own thread and connection (see [`checkpoint`]). When the
        // WAL starts over, a file past 256 MiB (only after a burst with readers holding old
        // snapshots) is cut back; cutting it at every restart doubled the restart's stall.
        conn.execute_batch(
            "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 268435456;",
        )?;
        // Every statement of the ingest path, the transaction control and the API's writes
        // stay prepared; the default cache of 16 would evict some of them under mixed load.
        conn.set_prepared_statement_cache_capacity(64);
        migrate::migrate(&mut conn)?;
        let commits = Arc::new(CommitStats::default());
        let checkpoints = Connection::open(&path)?;
        configure(&checkpoints)?;
        checkpoints.execute_batch(&format!("PRAGMA synchronous = {synchronous};"))?;
        let checkpoints = Checkpointer::spawn(checkpoints, wal_restart_frames)
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let writer = Writer::spawn(conn, commits.clone(), checkpoints)
            .map_err(|e| StoreError::Other(e.to_string()))?;
        Ok(Self {
            path,
            writer,
            commits,
            readers: Arc::new(Mutex::new(Vec::new())),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Copy the whole database, consistently, into a new file (`VACUUM INTO`).
    pub async fn backup_to(&self, dest: &Path) -> Result<(), StoreError> {
        let dest = dest.to_string_lossy().into_owned();
        self.read(move |c| {
            c.execute("VACUUM INTO ?1", params![dest])?;
            Ok(())
        })
        .await
    }

    /// Back up the database file at `db` into `dest` without opening it for writing, so a
    /// running server (another process) keeps serving: `VACUUM INTO` reads one consistent
    /// snapshot through WAL and writes a compact, self-contained copy. Refuses an existing
    /// `dest` rather than overwrite it.
    pub fn backup_file(db: &Path, dest: &Path) -> Result<(), StoreError> {
        if dest.exists() {
            return Err(StoreError::Conflict(format!(
                "{} already exists; choose a new file",
                dest.display()
            )));
        }
        let conn = Connection::open_with_flags(
            db,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        configure(&conn)?;
        let tables: i64 = conn.query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'incidents'",
            [],
            |r| r.get(0),
        )?;
        if tables == 0 {
            return Err(StoreError::NotFound("tocsin database"));
        }
        conn.execute("VACUUM INTO ?1", params![dest.to_string_lossy()])?;
        Ok(())
    }

    /// Acknowledge or resolve, by the rules of [`decide_human`].
    async fn human(
        &self,
        scope: &Scope,
        id: IncidentId,
        actor: &str,
        action: HumanAction,
    ) -> Result<Incident, StoreError> {
        let (scope, actor) = (scope.clone(), actor.to_owned());
        self.writer
            .write(move |c| {
                let inc = get_incident_in(c, &scope, id)?;
                match decide_human(inc.status, action) {
                    HumanDecision::Refused(why) => return Err(StoreError::Conflict(why.into())),
                    HumanDecision::Unchanged => return Ok(inc),
                    HumanDecision::Apply => {}
                }
                let (sql, kind) = match action {
                    HumanAction::Acknowledge => (
                        "UPDATE incidents SET status = 'acknowledged', acknowledged_at = ?2,
                           acknowledged_by = ?3, updated_at = ?2 WHERE id = ?1",
                        EventKind::Acknowledged,
                    ),
                    HumanAction::Resolve => (
                        "UPDATE incidents SET status = 'resolved', resolved_at = ?2,
                           resolved_by = ?3, updated_at = ?2 WHERE id = ?1",
                        EventKind::Resolved,
                    ),
                };
                c.execute(sql, params![id.to_string(), to_db(Utc::now()), actor])?;
                insert_human_event(c, &inc, kind, &actor, None)?;
                get_incident_in(c, &Scope::All, id)
            })
            .await
    }

    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = self.readers.clone();
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool
                .lock()
                .map_err(|_| StoreError::Other("reader pool poisoned".into()))?
                .pop();
            let conn = match conn {
                Some(c) => c,
                None => {
                    let c = Connection::open_with_flags(
                        &path,
                        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )?;
                    configure(&c)?;
                    c
                }
            };
            let res = f(&conn);
            if let Ok(mut p) = pool.lock() {
                if p.len() < POOL_KEEP {
                    p.push(conn);
                }
            }
            res
        })
        .await
        .map_err(|e| StoreError::Other(format!("reader task failed: {e}")))?
    }
}

/// `AND team_id IN (…)` for a scope, with its parameters appended to `args`.
fn scope_sql(scope: &Scope, column: &str, args: &mut Vec<Value>) -> String {
    match scope {
        Scope::All => String::new(),
        Scope::Teams(teams) if teams.is_empty() => " AND 0".to_owned(),
        Scope::Teams(teams) => {
            let marks = vec!["?"; teams.len()].join(",");
            args.extend(teams.iter().map(|t| Value::Text(t.to_string())));
            format!(" AND {column} IN ({marks})")
        }
    }
}

fn get_incident_in(c: &Connection, scope: &Scope, id: IncidentId) -> Result<Incident, StoreError> {
    let mut args = vec![Value::Text(id.to_string())];
    let sql = format!(
        "SELECT {INCIDENT_COLS} FROM incidents WHERE id = ?{}",
        scope_sql(scope, "team_id", &mut args)
    );
    c.prepare_cached(&sql)?
        .query_row(params_from_iter(args), rows::incident)
        .optional()?
        .ok_or(StoreError::NotFound("incident"))
}

fn insert_human_event(
    c: &Connection,
    inc: &Incident,
    kind: EventKind,
    actor: &str,
    text: Option<&str>,
) -> Result<TimelineEvent, StoreError> {
    let ev = TimelineEvent {
        id: EventId::new(),
        incident_id: Some(inc.id),
        service_id: inc.service_id,
        kind,
        source: None,
        level: None,
        actor: Some(actor.to_owned()),
        text: text.map(str::to_owned),
        received_at: Utc::now(),
        occurred_at: None,
        payload: None,
        payload_size: None,
        payload_url: None,
    };
    c.prepare_cached(
        "INSERT INTO incident_events (id, incident_id, service_id, kind, actor, text, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        ev.id.to_string(),
        inc.id.to_string(),
        inc.service_id.to_string(),
        kind.as_str(),
        actor,
        text,
        to_db(ev.received_at)
    ])?;
    Ok(ev)
}

fn insert_team(c: &Connection, name: &str) -> Result<Team, StoreError> {
    let team = Team {
        id: TeamId::new(),
        name: name.to_owned(),
        created_at: Utc::now(),
    };
    c.execute(
        "INSERT INTO teams (id, name, created_at) VALUES (?1, ?2, ?3)",
        params![team.id.to_string(), team.name, to_db(team.created_at)],
    )
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict(_) => {
            StoreError::Conflict(format!("a team named {name:?} already exists"))
        }
        other => other,
    })?;
    Ok(team)
}

fn insert_service(
    c: &Connection,
    team: TeamId,
    name: &str,
    key: &str,
) -> Result<Service, StoreError> {
    let exists: bool = c
        .query_row(
            "SELECT 1 FROM teams WHERE id = ?1",
            params![team.to_string()],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if !exists {
        return Err(StoreError::NotFound("team"));
    }
    let svc = Service {
        id: ServiceId::new(),
        team_id: team,
        name: name.to_owned(),
        api_key: key.to_owned(),
        created_at: Utc::now(),
    };
    c.execute(
        "INSERT INTO services (id, team_id, name, api_key, api_key_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            svc.id.to_string(),
            team.to_string(),
            name,
            key,
            tocsin_core::secret::hash(key).as_slice(),
            to_db(svc.created_at)
        ],
    )
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict(_) => {
            StoreError::Conflict(format!("the team already has a service named {name:?}"))
        }
        other => other,
    })?;
    Ok(svc)
}

fn insert_token(c: &Connection, t: &NewToken) -> Result<ApiToken, StoreError> {
    let tok = ApiToken {
        id: TokenId::new(),
        name: t.name.clone(),
        role: t.role,
        user_id: t.user_id,
        team_id: t.team_id,
        created_at: Utc::now(),
        expires_at: t.expires_at,
        revoked_at: None,
        last_used_at: None,
    };
    c.execute(
        "INSERT INTO api_tokens (id, name, token_hash, role, team_id, created_at, expires_at, user_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            tok.id.to_string(),
            tok.name,
            t.hash.as_slice(),
            tok.role.as_str(),
            tok.team_id.map(|t| t.to_string()),
            to_db(tok.created_at),
            tok.expires_at.map(to_db),
            tok.user_id.map(|u| u.to_string())
        ],
    )?;
    Ok(tok)
}

#[async_trait]
impl Store for SqliteStore {
    fn queue_depth(&self) -> Option<usize> {
        Some(self.writer.queue_depth())
    }

    fn commit_stats(&self) -> Option<CommitSnapshot> {
        Some(self.commits.snapshot())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|c| Ok(c.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    async fn bootstrap(&self, b: Bootstrap) -> Result<bool, StoreError> {
        self.writer
            .write(move |c| {
                let teams: i64 = c.query_row("SELECT COUNT(*) FROM teams", [], |r| r.get(0))?;
                if teams > 0 {
                    return Ok(false);
                }
                let team = insert_team(c, &b.team_name)?;
                insert_service(c, team.id, &b.service_name, &b.service_api_key)?;
                insert_token(
                    c,
                    &NewToken {
                        name: b.admin_token_name.clone(),
                        role: tocsin_core::TokenRole::OrgAdmin,
                        user_id: None,
                        team_id: None,
                        hash: b.admin_token_hash,
                        expires_at: None,
                    },
                )?;
                Ok(true)
            })
            .await
    }

    async fn create_team(&self, name: &str) -> Result<Team, StoreError> {
        let name = name.to_owned();
        self.writer.write(move |c| insert_team(c, &name)).await
    }

    async fn list_teams(&self, scope: &Scope) -> Result<Vec<Team>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = Vec::new();
            let sql = format!(
                "SELECT {TEAM_COLS} FROM teams WHERE 1{} ORDER BY name",
                scope_sql(&scope, "id", &mut args)
            );
            let rows = c
                .prepare_cached(&sql)?
                .query_map(params_from_iter(args), rows::team)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn get_team(&self, scope: &Scope, id: TeamId) -> Result<Team, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = vec![Value::Text(id.to_string())];
            let sql = format!(
                "SELECT {TEAM_COLS} FROM teams WHERE id = ?{}",
                scope_sql(&scope, "id", &mut args)
            );
            c.prepare_cached(&sql)?
                .query_row(params_from_iter(args), rows::team)
                .optional()?
                .ok_or(StoreError::NotFound("team"))
        })
        .await
    }

    async fn create_service(
        &self,
        team: TeamId,
        name: &str,
        api_key: &str,
    ) -> Result<Service, StoreError> {
        let (name, key) = (name.to_owned(), api_key.to_owned());
        self.writer
            .write(move |c| insert_service(c, team, &name, &key))
            .await
    }

    async fn list_services(
        &self,
        scope: &Scope,
        team: Option<TeamId>,
    ) -> Result<Vec<Service>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = Vec::new();
            let mut sql = format!(
                "SELECT {SERVICE_COLS} FROM services WHERE 1{}",
                scope_sql(&scope, "team_id", &mut args)
            );
            if let Some(t) = team {
                sql.push_str(" AND team_id = ?");
                args.push(Value::Text(t.to_string()));
            }
            sql.push_str(" ORDER BY name");
            let rows = c
                .prepare_cached(&sql)?
                .query_map(params_from_iter(args), rows::service)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn get_service(&self, scope: &Scope, id: ServiceId) -> Result<Service, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = vec![Value::Text(id.to_string())];
            let sql = format!(
                "SELECT {SERVICE_COLS} FROM services WHERE id = ?{}",
                scope_sql(&scope, "team_id", &mut args)
            );
            c.prepare_cached(&sql)?
                .query_row(params_from_iter(args), rows::service)
                .optional()?
                .ok_or(StoreError::NotFound("service"))
        })
        .await
    }

    async fn service_by_key_hash(&self, hash: [u8; 32]) -> Result<Option<Service>, StoreError> {
        self.read(move |c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {SERVICE_COLS} FROM services WHERE api_key_hash = ?1"
            ))?
            .query_row(params![hash.as_slice()], rows::service)
            .optional()?)
        })
        .await
    }

    async fn alert_source_activity(
        &self,
        service: ServiceId,
    ) -> Result<Vec<AlertSourceActivity>, StoreError> {
        self.read(move |c| {
            let rows = c
                .prepare_cached(
                    "SELECT source, last_incident_at, last_event_at, last_test_at FROM alert_sources
                     WHERE service_id = ?1",
                )?
                .query_map(params![service.to_string()], rows::activity)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn ingest(
        &self,
        service: &Service,
        event: AlertEvent,
    ) -> Result<IngestOutcome, StoreError> {
        let svc = service.clone();
        self.writer
            .write(move |c| ingest::apply(c, &svc, &event))
            .await
    }

    async fn list_incidents(
        &self,
        scope: &Scope,
        q: &IncidentQuery,
    ) -> Result<Vec<Incident>, StoreError> {
        let (scope, q) = (scope.clone(), q.clone());
        self.read(move |c| {
            let mut args = Vec::new();
            let mut sql = format!(
                "SELECT {INCIDENT_COLS} FROM incidents WHERE 1{}",
                scope_sql(&scope, "team_id", &mut args)
            );
            if let Some(s) = q.service_id {
                sql.push_str(" AND service_id = ?");
                args.push(Value::Text(s.to_string()));
            }
            if let Some(t) = q.team_id {
                sql.push_str(" AND team_id = ?");
                args.push(Value::Text(t.to_string()));
            }
            if !q.statuses.is_empty() {
                sql.push_str(&format!(" AND status IN ({})", vec!["?"; q.statuses.len()].join(",")));
                args.extend(q.statuses.iter().map(|s| Value::Text(s.as_str().to_owned())));
            }
            if let Some(k) = &q.dedup_key {
                sql.push_str(" AND dedup_key = ?");
                args.push(Value::Text(k.clone()));
            }
            if let Some(t) = &q.text {
                sql.push_str(" AND (instr(lower(title), lower(?)) > 0 OR instr(lower(dedup_key), lower(?)) > 0)");
                args.push(Value::Text(t.clone()));
                args.push(Value::Text(t.clone()));
            }
            if let Some(b) = q.before {
                sql.push_str(" AND id < ?");
                args.push(Value::Text(b.to_string()));
            }
            sql.push_str(" ORDER BY id DESC LIMIT ?");
            args.push(Value::Integer(i64::from(q.limit.max(1))));
            let rows = c
                .prepare_cached(&sql)?
                .query_map(params_from_iter(args), rows::incident)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn get_incident(&self, scope: &Scope, id: IncidentId) -> Result<Incident, StoreError> {
        let scope = scope.clone();
        self.read(move |c| get_incident_in(c, &scope, id)).await
    }

    async fn incident_summary(
        &self,
        scope: &Scope,
        team: Option<TeamId>,
        since: chrono::DateTime<Utc>,
    ) -> Result<IncidentSummary, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = Vec::new();
            let mut filter = scope_sql(&scope, "team_id", &mut args);
            if let Some(t) = team {
                filter.push_str(" AND team_id = ?");
                args.push(Value::Text(t.to_string()));
            }
            let mut day_args = args.clone();
            day_args.push(Value::Integer(to_db(since)));
            let opened_per_day = c
                .prepare_cached(&format!(
                    "SELECT date(created_at / 1000000, 'unixepoch') AS day, COUNT(*) FROM incidents
                     WHERE 1{filter} AND created_at >= ? GROUP BY day ORDER BY day"
                ))?
                .query_map(params_from_iter(day_args), |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            let open_by_service = c
                .prepare_cached(&format!(
                    "SELECT service_id, COUNT(*) FROM incidents
                     WHERE 1{filter} AND status IN ('triggered', 'acknowledged')
                     GROUP BY service_id"
                ))?
                .query_map(params_from_iter(args), |r| {
                    let id: String = r.get(0)?;
                    Ok((id, r.get::<_, i64>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .filter_map(|(id, n)| id.parse().ok().map(|id| (id, n)))
                .collect();
            Ok(IncidentSummary {
                opened_per_day,
                open_by_service,
            })
        })
        .await
    }

    async fn timeline_page(
        &self,
        scope: &Scope,
        id: IncidentId,
        q: &EventPageQuery,
    ) -> Result<EventPage, StoreError> {
        let (scope, q) = (scope.clone(), *q);
        self.read(move |c| timeline::page(c, &scope, id, &q)).await
    }

    async fn event_payload(
        &self,
        scope: &Scope,
        incident: IncidentId,
        event: EventId,
    ) -> Result<String, StoreError> {
        let scope = scope.clone();
        self.read(move |c| timeline::payload(c, &scope, incident, event))
            .await
    }

    async fn acknowledge(
        &self,
        scope: &Scope,
        id: IncidentId,
        actor: &str,
    ) -> Result<Incident, StoreError> {
        self.human(scope, id, actor, HumanAction::Acknowledge).await
    }

    async fn resolve(
        &self,
        scope: &Scope,
        id: IncidentId,
        actor: &str,
    ) -> Result<Incident, StoreError> {
        self.human(scope, id, actor, HumanAction::Resolve).await
    }

    async fn add_note(
        &self,
        scope: &Scope,
        id: IncidentId,
        actor: &str,
        text: &str,
    ) -> Result<TimelineEvent, StoreError> {
        let (scope, actor, text) = (scope.clone(), actor.to_owned(), text.to_owned());
        self.writer
            .write(move |c| {
                let inc = get_incident_in(c, &scope, id)?;
                insert_human_event(c, &inc, EventKind::Note, &actor, Some(&text))
            })
            .await
    }

    async fn service_events(
        &self,
        scope: &Scope,
        service: ServiceId,
        limit: u32,
    ) -> Result<Vec<TimelineEvent>, StoreError> {
        let scope = scope.clone();
        self.read(move |c| {
            let mut args = vec![Value::Text(service.to_string())];
            let visible = format!(
                "SELECT 1 FROM services WHERE id = ?{}",
                scope_sql(&scope, "team_id", &mut args)
            );
            if c.prepare_cached(&visible)?
                .query_row(params_from_iter(args), |_| Ok(()))
                .optional()?
                .is_none()
            {
                return Err(StoreError::NotFound("service"));
            }
            let rows = c
                .prepare_cached(&format!(
                    "SELECT {EVENT_COLS} FROM incident_events
                     WHERE service_id = ?1 AND incident_id IS NULL ORDER BY id DESC LIMIT ?2"
                ))?
                .query_map(params![service.to_string(), limit], rows::event)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn create_token(&self, t: NewToken) -> Result<ApiToken, StoreError> {
        self.writer.write(move |c| insert_token(c, &t)).await
    }

    async fn token_by_hash(&self, hash: [u8; 32]) -> Result<Option<StoredToken>, StoreError> {
        self.read(move |c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {TOKEN_COLS} FROM api_tokens WHERE token_hash = ?1"
            ))?
            .query_row(params![hash.as_slice()], rows::token)
            .optional()?
            .map(|(token, hash)| StoredToken { token, hash }))
        })
        .await
    }

    async fn touch_token(&self, id: TokenId) -> Result<(), StoreError> {
        self.writer
            .write(move |c| {
                c.execute(
                    "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1",
                    params![id.to_string(), to_db(Utc::now())],
                )?;
                Ok(())
            })
            .await
    }
}
