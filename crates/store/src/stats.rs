//! Commit latency, measured where the commit happens and read by whoever renders metrics.
//!
//! Plain atomics rather than a metrics crate so the store stays free of server concerns: the
//! server reads a [`CommitSnapshot`] through [`crate::Store::commit_stats`] and formats it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the commit latency buckets, in seconds. A group commit is one fsync of the
/// WAL, so the interesting range is from a tenth of a millisecond to a slow disk's second.
pub const COMMIT_BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// A histogram of commit durations and how many writes they carried.
#[derive(Default, Debug)]
pub struct CommitStats {
    buckets: [AtomicU64; COMMIT_BUCKETS.len()],
    count: AtomicU64,
    sum_us: AtomicU64,
    jobs: AtomicU64,
}

/// A point-in-time copy of [`CommitStats`]; bucket counts are cumulative, as Prometheus wants.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitSnapshot {
    pub buckets: Vec<(f64, u64)>,
    pub count: u64,
    pub sum_seconds: f64,
    /// Writes committed, over all commits: `jobs / count` is the mean batch size.
    pub jobs: u64,
}

impl CommitStats {
    pub fn observe(&self, took: Duration, jobs: usize) {
        let secs = took.as_secs_f64();
        for (i, b) in COMMIT_BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(
            took.as_micros().try_into().unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        self.jobs.fetch_add(jobs as u64, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> CommitSnapshot {
        CommitSnapshot {
            buckets: COMMIT_BUCKETS
                .iter()
                .zip(&self.buckets)
                .map(|(b, n)| (*b, n.load(Ordering::Relaxed)))
                .collect(),
            count: self.count.load(Ordering::Relaxed),
            sum_seconds: self.sum_us.load(Ordering::Relaxed) as f64 / 1e6,
            jobs: self.jobs.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative() {
        let s = CommitStats::default();
        s.observe(Duration::from_micros(300), 10);
        s.observe(Duration::from_millis(20), 1);
        let snap = s.snapshot();
        assert_eq!(snap.count, 2);
        assert_eq!(snap.jobs, 11);
        assert_eq!(snap.buckets[0], (0.0001, 0));
        assert_eq!(snap.buckets[2], (0.0005, 1));
        assert_eq!(snap.buckets[7], (0.025, 2));
        assert!((snap.sum_seconds - 0.0203).abs() < 1e-9);
    }
}
