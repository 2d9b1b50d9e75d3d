//! Where `tocsin serve`'s log lines go: stderr, through a shared buffer written out every
//! [`FLUSH_EVERY`] by a thread of its own.
//!
//! Measured under ingest load: one `write` system call per request line cost about a tenth of
//! a durable alert's CPU; tracing-appender's non-blocking writer moved that call to a thread
//! that woke for nearly every line, which cost as much again in wake-ups. Here a request
//! appends its formatted line to a buffer under a mutex (a copy, no system call, no wake-up)
//! and the flusher writes whatever gathered, once per tick. Nothing is dropped: a buffer over
//! [`FLUSH_AT`] bytes is written by the request that filled it. Warnings and errors are written
//! at once, after the lines queued before them, so what explains a failure is on disk before
//! the process can die of it; the guard writes the rest at shutdown.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// The longest an info line waits in memory.
const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// Past this many buffered bytes the line's writer writes them out itself.
const FLUSH_AT: usize = 256 * 1024;

#[derive(Default)]
struct Shared {
    buf: Mutex<Pending>,
    stop: Condvar,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    stopping: bool,
}

/// The `MakeWriter` given to the fmt subscriber.
#[derive(Clone)]
pub struct LogSink {
    shared: Arc<Shared>,
}

/// Flushes and stops the flusher when dropped.
pub struct Guard {
    shared: Arc<Shared>,
    flusher: Option<std::thread::JoinHandle<()>>,
}

impl LogSink {
    /// The sink and the guard that must live as long as logging does.
    pub fn start() -> (LogSink, Guard) {
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let flusher = std::thread::Builder::new()
            .name("tocsin-log".into())
            .spawn(move || flush_loop(&s))
            .ok();
        (
            LogSink {
                shared: shared.clone(),
            },
            Guard { shared, flusher },
        )
    }
}

fn flush_loop(shared: &Shared) {
    let Ok(mut pending) = shared.buf.lock() else {
        return;
    };
    loop {
        let stopping = pending.stopping;
        let bytes = std::mem::take(&mut pending.bytes);
        drop(pending);
        write_out(&bytes);
        if stopping {
            return;
        }
        pending = match shared.stop.wait_timeout(
            match shared.buf.lock() {
                Ok(p) => p,
                Err(_) => return,
            },
            FLUSH_EVERY,
        ) {
            Ok((p, _)) => p,
            Err(_) => return,
        };
    }
}

fn write_out(bytes: &[u8]) {
    if !bytes.is_empty() {
        // Nowhere left to report a failure to write to stderr.
        let _ = std::io::stderr().lock().write_all(bytes);
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(mut p) = self.shared.buf.lock() {
            p.stopping = true;
        }
        self.shared.stop.notify_all();
        if let Some(t) = self.flusher.take() {
            let _ = t.join();
        }
        // Lines logged after the flusher's last pass.
        if let Ok(mut p) = self.shared.buf.lock() {
            let bytes = std::mem::take(&mut p.bytes);
            write_out(&bytes);
        }
    }
}

/// One line's writer: buffered, or written through for warnings and errors.
pub struct LineWriter<'a> {
    shared: &'a Shared,
    urgent: bool,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let Ok(mut p) = self.shared.buf.lock() else {
            // A panic while holding the lock: keep logging, straight to stderr.
            write_out(line);
            return Ok(line.len());
        };
        p.bytes.extend_from_slice(line);
        if self.urgent || p.bytes.len() >= FLUSH_AT {
            let bytes = std::mem::take(&mut p.bytes);
            drop(p);
            write_out(&bytes);
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogSink {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            shared: &self.shared,
            urgent: true,
        }
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        LineWriter {
            shared: &self.shared,
            urgent: *meta.level() <= tracing::Level::WARN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_kept_in_order_and_urgent_ones_flush_what_came_before() {
        let (sink, guard) = LogSink::start();
        let shared = sink.shared.clone();
        let info = tracing::Level::INFO;
        {
            let mut w = LineWriter {
                shared: &shared,
                urgent: info <= tracing::Level::WARN,
            };
            w.write_all(b"first\n").expect("test");
            w.write_all(b"second\n").expect("test");
        }
        let queued = shared.buf.lock().expect("test").bytes.len();
        // Either still queued in order, or already written out by a tick: never reordered.
        assert!(queued == 0 || queued == "first\nsecond\n".len());
        {
            let mut w = sink.make_writer();
            w.write_all(b"error\n").expect("test");
        }
        assert!(
            shared.buf.lock().expect("test").bytes.is_empty(),
            "an urgent line writes the queue out"
        );
        drop(guard);
        assert!(shared.buf.lock().expect("test").stopping);
    }
}
