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

use chrono::{DateTime, Utc};
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

/// What a round left: whether it stopped at a batch's end, and when anything is next due.
struct Round {
    more: bool,
    next_due: Option<DateTime<Utc>>,
}

/// When the engine next looks for missed heartbeats: when the earliest it saw is due, and at
/// least every [`IDLE_POLL`] (a heartbeat made or checked in since). Not every round: with a
/// round per incident, that was three reads per page for heartbeats that are rarely due.
#[derive(Default)]
struct HeartbeatWatch {
    /// `None`: look at the next round.
    next: Option<DateTime<Utc>>,
}

impl HeartbeatWatch {
    fn time_to_look(&self, now: DateTime<Utc>) -> bool {
        self.next.is_none_or(|t| t <= now)
    }

    /// After a look: the earliest heartbeat due, if any, and a look after `IDLE_POLL` at most.
    fn looked(&mut self, due: Option<DateTime<Utc>>) {
        let poll = Utc::now() + IDLE_POLL;
        self.next = Some(due.map_or(poll, |d| d.min(poll)));
    }
}

/// The sleep until `a` or `b`, whichever is sooner, between 20 ms and [`IDLE_POLL`].
fn until(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Duration {
    let next = match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    match next {
        Some(t) => (t - Utc::now())
            .to_std()
            // Due now yet nothing was done: another node holds it; look again soon.
            .unwrap_or(Duration::from_millis(50))
            .clamp(Duration::from_millis(20), IDLE_POLL),
        None => IDLE_POLL,
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
        let mut heartbeats = HeartbeatWatch::default();
        loop {
            if *stop.borrow() {
                return;
            }
            let pause = match Arc::clone(&engine).round(&mut heartbeats).await {
                Ok(Round { more: true, .. }) => continue,
                Ok(Round { next_due, .. }) => until(next_due, heartbeats.next),
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

    /// One round: missed heartbeats when it is time to look, due escalation rows, then due
    /// deliveries, and when to look again.
    async fn round(
        self: Arc<Self>, heartbeats: &mut HeartbeatWatch,
    ) -> Result<Round, tocsin_store::StoreError> {
        let now = Utc::now();
        // Missed heartbeats first: the incidents they open start paging in this same round.
        let mut fired_heartbeats = 0;
        if heartbeats.time_to_look(now) {
            let store = self.store.as_ref();
            match crate::heartbeats::fire_due(store, &self.noise, now).await {
                Ok(n) => {
                    fired_heartbeats = n;
                    heartbeats.looked(crate::heartbeats::next_due(store).await);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "heartbeats: could not fire due heartbeats; retrying");
                }
            }
        }
        let round = self
            .store
            .advance_and_claim(now, &self.owner, BATCH)
            .await?;
        let more = round.fired == BATCH
            || round.claimed.len() == BATCH
            || fired_heartbeats == crate::heartbeats::BATCH;
        for c in round.claimed {
            let engine = Arc::clone(&self);
            tokio::spawn(async move { engine.deliver(c).await });
        }
        Ok(Round {
            more,
            next_due: round.next_due,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Heartbeats are looked for at the first round, then not again until the earliest one
    /// seen is due or `IDLE_POLL` has passed, whichever is sooner.
    #[test]
    fn heartbeats_are_looked_for_when_due_or_after_the_idle_poll() {
        let mut w = HeartbeatWatch::default();
        let now = Utc::now();
        assert!(w.time_to_look(now), "the first round looks");
        w.looked(None);
        assert!(!w.time_to_look(now), "none waiting: not at the next round");
        assert!(w.time_to_look(now + IDLE_POLL + chrono::Duration::milliseconds(50)));
        let soon = now + chrono::Duration::milliseconds(300);
        w.looked(Some(soon));
        assert!(!w.time_to_look(now));
        assert!(w.time_to_look(soon), "at the earliest one's due time");
        w.looked(Some(now + chrono::Duration::hours(1)));
        assert!(
            w.time_to_look(now + IDLE_POLL + chrono::Duration::milliseconds(50)),
            "a far one still leaves a look every IDLE_POLL"
        );
    }
}
