//! How many sends may be in flight: per destination and overall.
//!
//! A receiver that hangs holds its sends until the timeout. Without a bound per destination, a
//! burst of incidents to one dead webhook would take every connection and every task, and
//! pages to everyone else would wait behind it. So each destination (an origin: scheme, host
//! and port; or the SMTP relay) gets its own small semaphore, taken *before* the overall one:
//! sends queued behind a slow destination hold nothing that others need.
//!
//! Waiting is bounded too (by the caller's timeout), so an attempt never outlives the
//! delivery's lease (`core::paging::delivery::LEASE`) however long the queue.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Past this many known destinations, idle ones are forgotten when a new one arrives, so the
/// map does not grow with every URL ever notified.
const PRUNE_ABOVE: usize = 1024;

/// The semaphores.
#[derive(Debug)]
pub struct Limits {
    per_destination: usize,
    overall: Arc<Semaphore>,
    destinations: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// The right to send, held for the length of one attempt.
#[derive(Debug)]
pub struct Permit {
    _destination: OwnedSemaphorePermit,
    _overall: OwnedSemaphorePermit,
}

/// Why no permit was had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many notifications were already in flight to this destination or overall")]
pub struct Busy;

impl Limits {
    /// `per_destination` and `overall` of at least 1 (0 is taken as 1: nothing would be sent).
    pub fn new(per_destination: usize, overall: usize) -> Self {
        Limits {
            per_destination: per_destination.max(1),
            overall: Arc::new(Semaphore::new(overall.max(1))),
            destinations: Mutex::new(HashMap::new()),
        }
    }

    fn semaphore(&self, destination: &str) -> Arc<Semaphore> {
        // A poisoned lock only means another thread panicked while holding it; the map is
        // still a valid map.
        let mut map = self
            .destinations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(s) = map.get(destination) {
            return Arc::clone(s);
        }
        if map.len() >= PRUNE_ABOVE {
            // Only the map holds an idle destination's semaphore.
            map.retain(|_, s| Arc::strong_count(s) > 1);
        }
        let s = Arc::new(Semaphore::new(self.per_destination));
        map.insert(destination.to_owned(), Arc::clone(&s));
        s
    }

    /// Wait (at most `wait`) for a place to send to `destination`.
    pub async fn acquire(&self, destination: &str, wait: Duration) -> Result<Permit, Busy> {
        let destination = self.semaphore(destination);
        let overall = Arc::clone(&self.overall);
        tokio::time::timeout(wait, async move {
            let d = destination.acquire_owned().await.map_err(|_| Busy)?;
            let o = overall.acquire_owned().await.map_err(|_| Busy)?;
            Ok(Permit {
                _destination: d,
                _overall: o,
            })
        })
        .await
        .map_err(|_| Busy)?
    }

    /// Destinations currently known (for tests of the pruning).
    pub fn known_destinations(&self) -> usize {
        self.destinations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHORT: Duration = Duration::from_millis(50);

    #[tokio::test]
    async fn one_destination_full_leaves_others_free() {
        let limits = Limits::new(2, 10);
        let a1 = limits.acquire("http://a:80", SHORT).await;
        let a2 = limits.acquire("http://a:80", SHORT).await;
        assert!(a1.is_ok() && a2.is_ok());
        assert_eq!(limits.acquire("http://a:80", SHORT).await.err(), Some(Busy));
        assert!(limits.acquire("http://b:80", SHORT).await.is_ok());
        drop(a1);
        assert!(limits.acquire("http://a:80", SHORT).await.is_ok());
    }

    #[tokio::test]
    async fn the_overall_bound_holds_across_destinations() {
        let limits = Limits::new(4, 2);
        let _a = limits.acquire("a", SHORT).await.expect("first");
        let _b = limits.acquire("b", SHORT).await.expect("second");
        assert_eq!(limits.acquire("c", SHORT).await.err(), Some(Busy));
    }

    #[tokio::test]
    async fn idle_destinations_are_forgotten() {
        let limits = Limits::new(1, 10);
        let held = limits.acquire("held", SHORT).await.expect("permit");
        for i in 0..PRUNE_ABOVE + 5 {
            drop(
                limits
                    .acquire(&format!("d{i}"), SHORT)
                    .await
                    .expect("permit"),
            );
        }
        assert!(limits.known_destinations() < PRUNE_ABOVE);
        // The busy one was kept, so its bound still holds.
        assert_eq!(limits.acquire("held", SHORT).await.err(), Some(Busy));
        drop(held);
    }
}
