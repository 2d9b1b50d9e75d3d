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
//! WAL is past [`RESTART_FRAMES`], the thread asks the writer to [`catch_up`] between two
//! batches: a checkpoint on the writer's own connection, which has only the few frames
//! committed during the background one left to copy, and after which the writer's next
//! transaction restarts the WAL.
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

/// WAL frames (pages) beyond which the writer is asked to let the WAL start over: SQLite's
/// own default checkpoint size.
pub const RESTART_FRAMES: i64 = 1000;

/// The writer's handle: [`Checkpointer::poke`] after a commit. Dropping it stops the thread
/// after one last checkpoint.
pub struct Checkpointer {
    tx: SyncSender<()>,
    catch_up: Arc<AtomicBool>,
}

impl Checkpointer {
    pub fn spawn(conn: Connection) -> std::io::Result<Self> {
        // One slot: a poke while one is pending says nothing new.
        let (tx, rx) = sync_channel(1);
        let catch_up = Arc::new(AtomicBool::new(false));
        let flag = catch_up.clone();
        std::thread::Builder::new()
            .name("tocsin-sqlite-checkpoint".into())
            .spawn(move || run(&conn, &rx, &flag))?;
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

fn run(conn: &Connection, rx: &Receiver<()>, catch_up: &AtomicBool) {
    let mut last = Instant::now();
    // Ends when the writer drops its handle.
    while rx.recv().is_ok() {
        // Let a few commits accumulate: a page changed by several of them is copied once.
        std::thread::sleep((last + INTERVAL).saturating_duration_since(Instant::now()));
        if let Some((log, _)) = checkpoint(conn) {
            if log >= RESTART_FRAMES {
                catch_up.store(true, Ordering::Relaxed);
            }
        }
        last = Instant::now();
    }
    checkpoint(conn);
    tracing::debug!("sqlite checkpointer stopped");
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
