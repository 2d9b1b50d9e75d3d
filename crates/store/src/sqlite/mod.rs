//! The embedded default: one SQLite file in WAL mode.
//!
//! Writes go through the group-commit [`writer`]; reads use a small pool of read-only
//! connections, which WAL lets run beside the writer and see every committed batch.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{params, Connection, OpenFlags};
use tocsin_core::model::Scope;

use crate::{Bootstrap, CommitSnapshot, CommitStats, Store, StoreError};

mod alert_sources;
mod audit;
mod bind;
mod calendar_feeds;
mod channels;
mod checkpoint;
mod contact_methods;
mod engine;
mod heartbeats;
mod incidents;
mod ingest;
mod keys;
mod lifecycle;
mod members;
mod migrate;
mod noise;
mod notification_rules;
mod overrides;
mod policies;
#[cfg(test)]
mod polling_tests;
mod rows;
mod schedules;
mod seed;
mod services;
mod sessions;
mod teams;
mod time;
mod timeline;
mod token_admin;
mod tokens;
mod users;
mod writer;
#[cfg(test)]
mod writer_tests;

use checkpoint::Checkpointer;
use incidents::get_incident_in;
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
        path: impl AsRef<Path>, synchronous: &str, wal_restart_frames: i64,
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

    /// Run `f` on a pooled read-only connection, off the async runtime.
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
                let team = teams::insert(c, &b.team_name)?;
                services::insert(c, team.id, &b.service_name, &b.service_api_key)?;
                tokens::insert(c, &b.admin_token())?;
                Ok(true)
            })
            .await
    }
}
