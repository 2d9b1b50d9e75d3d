//! The paging engine: carries out due escalation rows and sends due notifications.
//!
//! Every node runs one. It holds nothing that must survive: escalation rows and
//! notifications are in the database, written in the transactions that caused them; the
//! engine only wakes, asks the store to carry out what is due, claims deliveries under a
//! lease and sends them, each on its own task (so a slow receiver holds only its own send),
//! and records the attempts, those that finished together in one store call. It wakes on
//! commit (ingest and people's actions poke [`Wake`]), at the next due time the store
//! reports, and at least every [`IDLE_POLL`] (for rows written by other nodes and claims whose
//! lease ran out). Under a stream of commits it runs a round at most every [`MIN_GAP`], so a
//! busy ingest wakes it into rounds that each carry out many rows, not one round per commit.

use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

use chrono::Utc;
use tocsin_core::paging::delivery::{after_attempt, Attempt};
use tocsin_core::paging::message::Message;
use tocsin_store::paging::{Attempted, Claimed};
use tocsin_store::Store;
use tokio::sync::{mpsc, watch, Notify};

use crate::notify::outbound::{outbound, Destination};
use crate::notify::{Outbound, Sender};

/// Due rows carried out, deliveries claimed, and attempts recorded, per store call.
const BATCH: usize = 64;
/// Finished attempts waiting to be recorded; a full queue holds the sends that finish next.
const RECORD_QUEUE: usize = 1024;
/// The longest sleep with nothing due: rows other nodes wrote are seen this late at most.
pub const IDLE_POLL: Duration = Duration::from_secs(1);
/// After an error from the store, before trying again.
const BACKOFF: Duration = Duration::from_secs(1);
/// The shortest time between the starts of two rounds woken by commits: a page waits at most
/// this much longer, and a round costs the store the same whether it finds one row or fifty.
pub const MIN_GAP: Duration = Duration::from_millis(5);

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
        let (done, finished) = mpsc::channel(RECORD_QUEUE);
        tokio::spawn(Arc::clone(&engine).record(finished));
        loop {
            if *stop.borrow() {
                return;
            }
            let started = Instant::now();
            let pause = match Arc::clone(&engine).round(&done).await {
                Ok(true) => continue,
                Ok(false) => engine.until_next_due().await,
                Err(e) => {
                    tracing::warn!(error = %e, "paging engine: store call failed; retrying");
                    BACKOFF
                }
            };
            tokio::select! {
                () = engine.wake.woken() => {
                    // Commits keep coming: let a few more gather for this round.
                    tokio::select! {
                        () = tokio::time::sleep_until(started + MIN_GAP) => {}
                        _ = stop.changed() => return,
                    }
                }
                () = tokio::time::sleep(pause) => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// One round: due escalation rows, then due deliveries. `true` when there may be more.
    async fn round(
        self: Arc<Self>, done: &mpsc::Sender<Attempted>,
    ) -> Result<bool, tocsin_store::StoreError> {
        let now = Utc::now();
        let (fired, claimed) = self.store.engine_round(now, &self.owner, BATCH).await?;
        let more = fired == BATCH || claimed.len() == BATCH;
        for c in claimed {
            let engine = Arc::clone(&self);
            let done = done.clone();
            tokio::spawn(async move { engine.deliver(c, done).await });
        }
        Ok(more)
    }

    /// Record finished attempts, all that are waiting in one store call. Ends when the engine
    /// and every send in flight have ended.
    async fn record(self: Arc<Self>, mut finished: mpsc::Receiver<Attempted>) {
        let mut batch = Vec::with_capacity(BATCH);
        while finished.recv_many(&mut batch, BATCH).await > 0 {
            match self.store.record_attempts(&batch).await {
                Ok(kept) => {
                    for (a, kept) in batch.iter().zip(kept) {
                        if !kept {
                            tracing::warn!(delivery = %a.claimed.id, "paging: lost the claim before recording; another sender has it");
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(deliveries = batch.len(), error = %e, "paging: could not record attempts; they will be resent when their lease runs out")
                }
            }
            batch.clear();
        }
    }

    async fn until_next_due(&self) -> Duration {
        match self.store.next_due().await {
            Ok(Some(t)) => (t - Utc::now())
                .to_std()
                // Due now yet nothing was done: another node holds it; look again soon.
                .unwrap_or(Duration::from_millis(50))
                .clamp(Duration::from_millis(20), IDLE_POLL),
            Ok(None) => IDLE_POLL,
            Err(_) => BACKOFF,
        }
    }

    /// One attempt at one claimed delivery, handed to [`Self::record`]. No wake-up after it: a
    /// retry waits at least a minute (`core::paging::delivery`), which the engine's own
    /// [`IDLE_POLL`] look sees in time.
    async fn deliver(&self, c: Claimed, done: mpsc::Sender<Attempted>) {
        let attempt = match self.outbound(&c) {
            Ok(out) => self.sender.send(&out).await,
            Err(why) => Attempt::Permanent(why),
        };
        let at = Utc::now();
        let after = after_attempt(c.attempts, attempt, at);
        let id = c.id;
        let attempted = Attempted {
            claimed: c,
            after,
            at,
        };
        if done.send(attempted).await.is_err() {
            tracing::warn!(delivery = %id, "paging: stopping before this attempt was recorded; it will be resent when its lease runs out");
        }
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
