//! The single writer and its group commit.
//!
//! SQLite allows one writer at a time, and an fsync per alert would cap ingest at the disk's
//! sync rate. So one thread owns the write connection; callers queue jobs on a bounded
//! channel; the thread takes everything queued (up to [`MAX_BATCH`]), runs them all in one
//! transaction, commits once, and only then answers every caller. Under load one fsync serves
//! hundreds of alerts; alone, an alert costs one commit. If a job fails, the batch is rolled
//! back and replayed with each job in its own savepoint, so the failure stays its own; a
//! commit that fails fails the whole batch, and no caller hears "ok" for data that is not on
//! disk. The one exception is asked for by name ([`Writer::write_lazy`]): a batch of only
//! such writes commits without the WAL sync.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::checkpoint::{self, Checkpointer};
use crate::{records, CommitStats, StoreError};

/// The most jobs one transaction carries.
pub const MAX_BATCH: usize = 512;
/// How many jobs may wait before callers are told the store is overloaded.
pub const QUEUE_CAPACITY: usize = 8192;

/// One caller's write. It may run twice: a batch first runs without savepoints, and if any
/// write in it fails the batch is rolled back and replayed with a savepoint per write. So a
/// write must only touch the connection (and may pick new ids on the second run).
trait Work: Send {
    /// Run inside the batch's transaction; `true` if it succeeded.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Tell the caller the outcome, once the batch's commit is known.
    fn answer(self: Box<Self>, commit: Result<(), StoreError>);
    /// `false`: the caller can lose this write in a crash ([`Writer::write_lazy`]).
    fn durable(&self) -> bool;
}

struct Call<T, F> {
    f: F,
    durable: bool,
    result: Option<Result<T, StoreError>>,
    done: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Work for Call<T, F>
where
    T: Send,
    F: FnMut(&Connection) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let res = (self.f)(conn);
        let ok = res.is_ok();
        self.result = Some(res);
        ok
    }

    fn answer(self: Box<Self>, commit: Result<(), StoreError>) {
        let res = match self.result {
            Some(res) => commit.and(res),
            None => Err(StoreError::Unavailable("the write did not run".into())),
        };
        let _ = self.done.send(res);
    }

    fn durable(&self) -> bool {
        self.durable
    }
}

type Job = Box<dyn Work>;

#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    /// `stats` receives the duration of every COMMIT (the fsync), for metrics.
    /// `checkpoints` is poked after every commit (the writer's connection has automatic
    /// checkpoints off).
    pub fn spawn(
        conn: Connection, stats: Arc<CommitStats>, checkpoints: Checkpointer,
    ) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Job>(QUEUE_CAPACITY);
        std::thread::Builder::new()
            .name("tocsin-sqlite-writer".into())
            .spawn(move || run(conn, rx, &stats, &checkpoints))?;
        Ok(Self { tx })
    }

    /// Run `f` in the next group commit and return its result once that commit is durable.
    /// `f` may run twice (see [`Work`]): only its last run's changes are committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.queue(f, true).await
    }

    /// As [`write`](Self::write), for a write the machine's crash may lose: when every write
    /// of its batch is lazy, the commit skips the WAL's sync (`synchronous = NORMAL` for that
    /// commit). The process dying loses nothing (the WAL's write is in the OS's cache); power
    /// or kernel failure before the next durable commit, whose sync covers the WAL before it,
    /// may. So it is never lost while a later write is kept. For records the design already
    /// survives losing (a delivery's outcome: lost, the delivery is resent and marked so); on
    /// a quiet server that is one fsync fewer per page.
    pub async fn write_lazy<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.queue(f, false).await
    }

    async fn queue<T, F>(&self, f: F, durable: bool) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (done, wait) = oneshot::channel::<Result<T, StoreError>>();
        let job: Job = Box::new(Call {
            f,
            durable,
            result: None,
            done,
        });
        self.tx.try_send(job).map_err(records::queue_error)?;
        wait.await.map_err(records::abandoned)?
    }

    /// Jobs waiting for the writer, for metrics.
    pub fn queue_depth(&self) -> usize {
        QUEUE_CAPACITY - self.tx.capacity()
    }
}

fn run(
    conn: Connection, mut rx: mpsc::Receiver<Job>, stats: &CommitStats, checkpoints: &Checkpointer,
) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    // The connection's own level (FULL in production): lazy batches drop below it only from
    // FULL or EXTRA, and only for their commit.
    let level: i64 = conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap_or(2);
    let durable = format!("PRAGMA synchronous = {level}");
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let lazy = level >= 2 && batch.iter().all(|job| !job.durable());
        if lazy {
            if let Err(e) = exec(&conn, "PRAGMA synchronous = NORMAL") {
                tracing::warn!(error = %e, "could not skip the sync of a lazy batch");
            }
        }
        run_batch(&conn, &mut batch, stats);
        if lazy {
            if let Err(e) = exec(&conn, &durable) {
                // Nothing durable may commit below its level: stop writing instead.
                tracing::error!(error = %e, "could not restore the WAL sync; the writer stops");
                return;
            }
        }
        checkpoints.poke();
        if checkpoints.should_catch_up() {
            checkpoint::catch_up(&conn);
        }
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
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE") {
        // Dropping a job drops its reply channel: each caller hears "unavailable".
        tracing::error!(error = %e, jobs = batch.len(), "could not begin a write transaction");
        batch.clear();
        return;
    }
    // First without savepoints: they cost the writer about a tenth of its time, and writes
    // almost never fail (bad input is refused before it reaches the store).
    let failed = batch
        .iter_mut()
        .any(|job| !matches!(catch_unwind(AssertUnwindSafe(|| job.run(conn))), Ok(true)));
    if failed {
        if let Err(e) = exec(conn, "ROLLBACK").and_then(|()| exec(conn, "BEGIN IMMEDIATE")) {
            tracing::error!(error = %e, jobs = batch.len(), "could not restart a write transaction");
            let _ = conn.execute_batch("ROLLBACK");
            batch.clear();
            return;
        }
        replay_guarded(conn, batch);
    }
    let started = Instant::now();
    let commit = exec(conn, "COMMIT").map_err(StoreError::from);
    if commit.is_ok() {
        stats.observe(started.elapsed(), batch.len());
    }
    if let Err(e) = &commit {
        tracing::error!(error = %e, jobs = batch.len(), "group commit failed");
        let _ = conn.execute_batch("ROLLBACK");
    }
    for job in batch.drain(..) {
        let res = match &commit {
            Ok(()) => Ok(()),
            Err(e) => Err(StoreError::Unavailable(e.to_string())),
        };
        job.answer(res);
    }
}

/// Run every job again, each in its own savepoint: one that fails rolls back its own changes
/// and fails alone. A job that panics is dropped, so its caller hears "abandoned".
fn replay_guarded(conn: &Connection, batch: &mut Vec<Job>) {
    batch.retain_mut(|job| {
        if exec(conn, "SAVEPOINT job").is_err() {
            return false;
        }
        match catch_unwind(AssertUnwindSafe(|| job.run(conn))) {
            Ok(ok) => {
                let sp = if ok {
                    exec(conn, "RELEASE job")
                } else {
                    rollback_job(conn)
                };
                if let Err(e) = sp {
                    tracing::error!(error = %e, "savepoint failed");
                }
                true
            }
            Err(_) => {
                tracing::error!("a write job panicked; its changes were rolled back");
                let _ = rollback_job(conn);
                false
            }
        }
    });
}
