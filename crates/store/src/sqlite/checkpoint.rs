//! WAL checkpoints, away from the writer.
//!
//! By default SQLite checkpoints inside the COMMIT that pushes the WAL past 1,000 pages: the
//! writer thread then copies pages into the database file and fsyncs it while every caller of
//! the next batch waits. The profile showed that as about 6% of the writer's CPU, plus the
//! stall. So the writer turns automatic checkpoints off and pokes this thread after each
//! commit; the thread runs a `PASSIVE` checkpoint at most every [`INTERVAL`] on its own
//! connection, which never blocks the writer.
//!
//! That alone lets the WAL grow without end under a steady load (measured: 670 MB in 20 s):
//! SQLite starts the WAL over only when a write transaction begins with every frame already
//! copied, and the writer commits again while each background checkpoint runs. So when the
//! WAL is past [`RESTART_FRAMES`], the thread copies again what came in meanwhile (see
//! [`converge`]) and asks the writer to [`catch_up`] between two batches: a checkpoint on the
//! writer's own connection, which has only the frames of a batch or two left to copy, and
//! after which the writer's next transaction restarts the WAL. Under a light load the WAL
//! starts over by itself, as no commit lands during a checkpoint.
//!
//! A catch-up still stalls ingest for 1–20 ms (the database file's fsync, next to the
//! background checkpoint's writes). With a restart every 1,000 frames, SQLite's default, that
//! happened three times a second under the benchmark's load and set its p99 (30 ms against
//! 16 ms without); at 32,768 frames (128 MiB of 4 KiB pages) it happens every few seconds.
//!
//! Durability is unchanged: a commit is on disk when its WAL frames are fsynced, before any
//! checkpoint.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::Connection;

/// How often, at most, the WAL is copied back into the database under a steady write load.
pub const INTERVAL: Duration = Duration::from_millis(200);

/// WAL frames (pages) beyond which the writer is asked to let the WAL start over.
pub const RESTART_FRAMES: i64 = 32_768;

/// Extra background passes before the writer is asked to catch up (see [`converge`]).
const CONVERGE_PASSES: usize = 2;

/// The writer's handle: [`Checkpointer::poke`] after a commit. Dropping it stops the thread
/// after one last checkpoint.
pub struct Checkpointer {
    tx: SyncSender<()>,
    catch_up: Arc<AtomicBool>,
}

impl Checkpointer {
    /// `restart_frames` is [`RESTART_FRAMES`] but in tests.
    pub fn spawn(conn: Connection, restart_frames: i64) -> std::io::Result<Self> {
        // One slot: a poke while one is pending says nothing new.
        let (tx, rx) = sync_channel(1);
        let catch_up = Arc::new(AtomicBool::new(false));
        let flag = catch_up.clone();
        std::thread::Builder::new()
            .name("tocsin-sqlite-checkpoint".into())
            .spawn(move || run(&conn, &rx, &flag, restart_frames))?;
        Ok(Self { tx, catch_up })
    }

    /// New frames are in the WAL. Never blocks.
    pub fn poke(&self) {
        // Full: a poke is already pending. Disconnected: the thread is gone, and with it
        // only an optimisation; SQLite still checkpoints when the last connection closes.
        let _ = self.tx.try_send(());
    }

    /// Whether the writer should [`catch_up`] now; answers yes once per request.
    pub fn should_catch_up(&self) -> bool {
        self.catch_up.swap(false, Ordering::Relaxed)
    }
}

/// Run on the writer's connection between batches: copy what the background checkpoint left,
/// so that the next write transaction starts the WAL over.
pub fn catch_up(conn: &Connection) {
    if let Some((log, done)) = checkpoint(conn) {
        tracing::trace!(log, done, "wal catch-up");
    }
}

fn run(conn: &Connection, rx: &Receiver<()>, catch_up: &AtomicBool, restart_frames: i64) {
    let mut last = Instant::now();
    // Ends when the writer drops its handle.
    while rx.recv().is_ok() {
        // Let a few commits accumulate: a page changed by several of them is copied once.
        std::thread::sleep((last + INTERVAL).saturating_duration_since(Instant::now()));
        if let Some((log, _)) = checkpoint(conn) {
            if log >= restart_frames {
                converge(conn);
                catch_up.store(true, Ordering::Relaxed);
            }
        }
        last = Instant::now();
    }
    checkpoint(conn);
    tracing::debug!("sqlite checkpointer stopped");
}

/// Copy again what was committed while the last checkpoint ran: each pass is shorter than
/// the one before, so the writer's catch-up is left about a batch to copy. A pass with
/// nothing new to copy costs nothing.
fn converge(conn: &Connection) {
    for _ in 0..CONVERGE_PASSES {
        if checkpoint(conn).is_none() {
            break;
        }
    }
}

/// A passive checkpoint: `(frames in the WAL, frames copied into the database)`.
fn checkpoint(conn: &Connection) -> Option<(i64, i64)> {
    let res = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
    });
    match res {
        Ok(frames) => Some(frames),
        Err(e) => {
            tracing::warn!(error = %e, "wal checkpoint failed; the next one retries");
            None
        }
    }
}
