//! The single writer and its group commit.
//!
//! SQLite allows one writer at a time, and an fsync per alert would cap ingest at the disk's
//! sync rate. So one thread owns the write connection; callers queue jobs on a bounded
//! channel; the thread takes everything queued (up to [`MAX_BATCH`]), runs each job inside its
//! own savepoint of one transaction, commits once, and only then answers every caller. Under
//! load one fsync serves hundreds of alerts; alone, an alert costs one commit. A job that fails
//! rolls back to its savepoint and fails alone; a commit that fails fails the whole batch, and
//! no caller hears "ok" for data that is not on disk.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::{CommitStats, StoreError};

/// The most jobs one transaction carries.
pub const MAX_BATCH: usize = 512;
/// How many jobs may wait before callers are told the store is overloaded.
pub const QUEUE_CAPACITY: usize = 8192;

type Finisher = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
type Job = Box<dyn FnOnce(&Connection) -> (bool, Finisher) + Send>;

#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    /// `stats` receives the duration of every COMMIT (the fsync), for metrics.
    pub fn spawn(conn: Connection, stats: Arc<CommitStats>) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Job>(QUEUE_CAPACITY);
        std::thread::Builder::new()
            .name("tocsin-sqlite-writer".into())
            .spawn(move || run(conn, rx, &stats))?;
        Ok(Self { tx })
    }

    /// Run `f` in the next group commit and return its result once that commit is durable.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (done, wait) = oneshot::channel::<Result<T, StoreError>>();
        let job: Job = Box::new(move |conn| {
            let res = f(conn);
            let ok = res.is_ok();
            let finish: Finisher = Box::new(move |commit| {
                let _ = done.send(commit.and(res));
            });
            (ok, finish)
        });
        self.tx.try_send(job).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => StoreError::Overloaded,
            mpsc::error::TrySendError::Closed(_) => {
                StoreError::Unavailable("the writer has stopped".into())
            }
        })?;
        wait.await
            .map_err(|_| StoreError::Unavailable("the write was abandoned".into()))?
    }

    /// Jobs waiting for the writer, for metrics.
    pub fn queue_depth(&self) -> usize {
        QUEUE_CAPACITY - self.tx.capacity()
    }
}

fn run(conn: Connection, mut rx: mpsc::Receiver<Job>, stats: &CommitStats) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&conn, &mut batch, stats);
    }
    tracing::debug!("sqlite writer stopped");
}

/// Run one of the writer's fixed statements through the statement cache: they run several
/// times per alert, and `execute_batch` would parse them every time.
fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

fn rollback_job(conn: &Connection) -> rusqlite::Result<()> {
    exec(conn, "ROLLBACK TO job")?;
    exec(conn, "RELEASE job")
}

fn run_batch(conn: &Connection, batch: &mut Vec<Job>, stats: &CommitStats) {
    let mut finishers: Vec<Finisher> = Vec::with_capacity(batch.len());
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE") {
        // Dropping a job drops its reply channel: each caller hears "unavailable".
        tracing::error!(error = %e, jobs = batch.len(), "could not begin a write transaction");
        batch.clear();
        return;
    }
    for job in batch.drain(..) {
        if exec(conn, "SAVEPOINT job").is_err() {
            drop(job);
            continue;
        }
        match catch_unwind(AssertUnwindSafe(|| job(conn))) {
            Ok((ok, finish)) => {
                let sp = if ok {
                    exec(conn, "RELEASE job")
                } else {
                    rollback_job(conn)
                };
                if let Err(e) = sp {
                    tracing::error!(error = %e, "savepoint failed");
                }
                finishers.push(finish);
            }
            Err(_) => {
                tracing::error!("a write job panicked; its changes were rolled back");
                let _ = rollback_job(conn);
            }
        }
    }
    let started = Instant::now();
    let commit = exec(conn, "COMMIT").map_err(StoreError::from);
    if commit.is_ok() {
        stats.observe(started.elapsed(), finishers.len());
    }
    if let Err(e) = &commit {
        tracing::error!(error = %e, jobs = finishers.len(), "group commit failed");
        let _ = conn.execute_batch("ROLLBACK");
    }
    for finish in finishers {
        let res = match &commit {
            Ok(()) => Ok(()),
            Err(e) => Err(StoreError::Unavailable(e.to_string())),
        };
        finish(res);
    }
}
