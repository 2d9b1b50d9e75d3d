//! The paging engine: carries out due escalation rows and sends due notifications.
//!
//! Every node runs one. It holds nothing that must survive: escalation rows and
//! notifications are in the database, written in the transactions that caused them; the
//! engine only wakes, asks the store to carry out what is due, claims deliveries under a
//! lease and sends them, each on its own task (so a slow receiver holds only its own send),
//! and records each attempt. It wakes on commit (ingest and people's actions poke
//! [`Wake`]), at the next due time the store reports, and at least every
//! [`IDLE_POLL`] (for rows written by other nodes, claims whose lease ran out and retries).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tocsin_core::paging::delivery::{after_attempt, Attempt};
use tocsin_core::paging::message::Message;
use tocsin_store::paging::Claimed;
use tocsin_store::Store;
use tokio::sync::{watch, Notify};

use crate::notify::outbound::{outbound, Destination};
use crate::notify::{Outbound, Sender};

/// Due rows carried out, and deliveries claimed, per store call.
const BATCH: usize = 64;
/// The longest sleep with nothing due: rows other nodes wrote are seen this late at most.
pub const IDLE_POLL: Duration = Duration::from_secs(1);
/// After an error from the store, before trying again.
const BACKOFF: Duration = Duration::from_secs(1);

/// Pokes the engine after a commit that may have made something due.
#[derive(Debug, Clone, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn wake(&self) {
        self.0.notify_one();
    }

    async fn woken(&self) {
        self.0.notified().await;
    }
}

/// What the engine needs.
pub struct Engine {
    pub store: Arc<dyn Store>,
    pub sender: Arc<Sender>,
    pub wake: Wake,
    /// This node's name on its claims; stable across restarts of the same node, so a restart
    /// frees its old claims at once.
    pub owner: String,
    /// The server's public URL: links in messages.
    pub public_url: Arc<str>,
    /// Services' noise rules and windows, which screen missed heartbeats as any alert.
    pub noise: Arc<crate::noise_cache::NoiseCache>,
}

impl Engine {
    /// Run until `stop` turns true. In-flight sends are left to finish or to their lease.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let engine = Arc::new(self);
        match engine.store.release_claims(&engine.owner).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                claims = n,
                "paging: resending deliveries this node had claimed before it stopped"
            ),
            Err(e) => tracing::warn!(error = %e, "paging: could not free this node's old claims"),
        }
        loop {
            if *stop.borrow() {
                return;
            }
            let pause = match Arc::clone(&engine).round().await {
                Ok(true) => continue,
                Ok(false) => engine.until_next_due().await,
                Err(e) => {
                    tracing::warn!(error = %e, "paging engine: store call failed; retrying");
                    BACKOFF
                }
            };
            tokio::select! {
                () = engine.wake.woken() => {}
                () = tokio::time::sleep(pause) => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// One round: due escalation rows, then due deliveries. `true` when there may be more.
    async fn round(self: Arc<Self>) -> Result<bool, tocsin_store::StoreError> {
        let now = Utc::now();
        // Missed heartbeats first: the incidents they open start paging in this same round.
        let heartbeats = match crate::heartbeats::fire_due(self.store.as_ref(), &self.noise, now)
            .await
        {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "heartbeats: could not fire due heartbeats; retrying");
                0
            }
        };
        let (fired, claimed) = self
            .store
            .advance_and_claim(now, &self.owner, BATCH)
            .await?;
        let more =
            fired == BATCH || claimed.len() == BATCH || heartbeats == crate::heartbeats::BATCH;
        for c in claimed {
            let engine = Arc::clone(&self);
            tokio::spawn(async move { engine.deliver(c).await });
        }
        Ok(more)
    }

    async fn until_next_due(&self) -> Duration {
        let next = self.store.next_due().await;
        // A heartbeat due sooner than any row wakes the engine then (issue 18).
        let next = match (next, crate::heartbeats::next_due(self.store.as_ref()).await) {
            (Ok(Some(a)), Some(b)) => Ok(Some(a.min(b))),
            (Ok(None), Some(b)) => Ok(Some(b)),
            (other, _) => other,
        };
        match next {
            Ok(Some(t)) => (t - Utc::now())
                .to_std()
                // Due now yet nothing was done: another node holds it; look again soon.
                .unwrap_or(Duration::from_millis(50))
                .clamp(Duration::from_millis(20), IDLE_POLL),
            Ok(None) => IDLE_POLL,
            Err(_) => BACKOFF,
        }
    }

    /// One attempt at one claimed delivery, recorded.
    async fn deliver(&self, c: Claimed) {
        let attempt = match self.outbound(&c) {
            Ok(out) => self.sender.send(&out).await,
            Err(why) => Attempt::Permanent(why),
        };
        let now = Utc::now();
        let after = after_attempt(c.attempts, attempt, now);
        match self.store.record_attempt(&c, &after, now).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(delivery = %c.id, "paging: lost the claim before recording; another sender has it")
            }
            Err(e) => {
                tracing::warn!(delivery = %c.id, error = %e, "paging: could not record an attempt; it will be resent when its lease runs out")
            }
        }
        // No wake: nothing is due sooner for this record. A retry waits at least a minute
        // (`BACKOFF_SECONDS`), and the engine looks again within `IDLE_POLL` whatever it
        // planned; a round per delivery cost each page a round's reads and writer trips.
    }

    fn outbound(&self, c: &Claimed) -> Result<Outbound, String> {
        let dest = c
            .destination
            .as_ref()
            .ok_or_else(|| "the contact method or channel was removed".to_owned())?;
        let m = Message {
            delivery: c.id,
            kind: c.kind,
            occurred_at: c.created_at,
            incident: &c.incident,
            service_name: &c.service_name,
            html_url: format!("{}/incidents/{}", self.public_url, c.incident.id),
            step: c.step,
            loop_: c.loop_,
        };
        let to = Destination {
            kind: dest.kind,
            target: &dest.target,
            signing_secret: dest.signing_secret.as_deref(),
        };
        Ok(outbound(to, &m, &self.public_url))
    }
}
