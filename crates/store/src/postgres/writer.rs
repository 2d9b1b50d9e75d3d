//! Group commit for ingestion: many concurrent alerts, one transaction.
//!
//! Every alert that opens an incident bumps its team's counter row, and every alert touches its
//! service's `alert_sources` row; those row locks are held until COMMIT, and COMMIT waits for
//! the WAL flush. One transaction per alert would therefore let a team ingest only one alert
//! per flush. So, like SQLite's writer thread, a writer task takes every queued alert of its
//! teams (up to [`MAX_BATCH`]), applies them all in one transaction, COMMIT once, and only then
//! answer every caller. Applying goes through [`apply_batch`], a fixed handful of round trips
//! whatever the batch's size; a batch it cannot do is replayed one savepoint per alert
//! ([`apply_each`]).
//!
//! Deadlocks between nodes are avoided by lock order: a batch first locks the team rows of all
//! its services, sorted by id (`FOR NO KEY UPDATE`, the lock the counter update takes anyway,
//! which does not block inserts that merely reference the team), and only then touches their
//! incidents and activity rows, all of which belong to those teams. Batches for one team thus
//! run one after another across nodes; batches for different teams run in parallel.

use deadpool_postgres::Pool;
use tocsin_core::model::{IngestOutcome, Service};
use tocsin_core::noise::screen::Noise;
use tocsin_core::plan::Item;
use tocsin_core::AlertEvent;
use tokio::sync::{mpsc, oneshot};

use super::batch::apply_batch;
use super::ingest::apply_each;
use crate::{records, StoreError};

/// The most alerts one transaction carries.
pub const MAX_BATCH: usize = 256;
/// How many alerts may wait for one writer before its callers are told the store is
/// overloaded.
pub const QUEUE_CAPACITY: usize = 8192;
/// Writer tasks per node, each owning the teams that hash to it: batches for different teams
/// commit in parallel, while all of one team's alerts queue for one writer. Two writers
/// sharing a team would only halve its batches, since the second waits on the team lock for
/// the first's COMMIT anyway.
const WRITERS: usize = 4;

type Reply = oneshot::Sender<Result<IngestOutcome, StoreError>>;

struct Job {
    svc: Service,
    ev: AlertEvent,
    noise: Noise,
    reply: Reply,
}

pub struct Writer {
    /// One queue per writer task; a team's alerts always go to the same one.
    shards: Vec<mpsc::Sender<Job>>,
}

impl Writer {
    pub fn spawn(pool: Pool) -> Self {
        let shards = (0..WRITERS)
            .map(|_| {
                let (tx, rx) = mpsc::channel::<Job>(QUEUE_CAPACITY);
                tokio::spawn(run(pool.clone(), rx));
                tx
            })
            .collect();
        Self { shards }
    }

    /// Queue one alert and wait until its batch is committed (or failed).
    pub async fn ingest(
        &self, svc: Service, ev: AlertEvent, noise: Noise,
    ) -> Result<IngestOutcome, StoreError> {
        let (reply, wait) = oneshot::channel();
        // A ULID's low bits are random, so teams spread evenly.
        let shard = (u128::from(svc.team_id.ulid()) % self.shards.len() as u128) as usize;
        self.shards[shard]
            .try_send(Job {
                svc,
                ev,
                noise,
                reply,
            })
            .map_err(records::queue_error)?;
        wait.await.map_err(records::abandoned)?
    }

    pub fn queue_depth(&self) -> usize {
        self.shards
            .iter()
            .map(|tx| QUEUE_CAPACITY - tx.capacity())
            .sum()
    }
}

async fn run(pool: Pool, mut rx: mpsc::Receiver<Job>) {
    loop {
        let Some(first) = rx.recv().await else {
            return;
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&pool, batch).await;
    }
}

async fn run_batch(pool: &Pool, batch: Vec<Job>) {
    let mut client = match pool.get().await {
        Ok(c) => c,
        Err(e) => {
            let e = StoreError::from(e);
            for job in batch {
                let _ = job.reply.send(Err(StoreError::Unavailable(e.to_string())));
            }
            return;
        }
    };
    let (outcomes, commit) = match commit_batch(&mut client, &batch).await {
        Ok(outcomes) => (outcomes, Ok(())),
        Err(e) => (Vec::new(), Err(e)),
    };
    let mut outcomes = outcomes.into_iter();
    for job in batch {
        let res = match &commit {
            // Only a committed batch answers "ok".
            Ok(()) => outcomes
                .next()
                .unwrap_or_else(|| Err(StoreError::Other("missing outcome".into()))),
            Err(e) => Err(StoreError::Unavailable(e.to_string())),
        };
        let _ = job.reply.send(res);
    }
}

/// Run the batch in one transaction; per-job results, valid only if this returns `Ok`.
///
/// The fast path ([`apply_batch`]) does it in a fixed number of round trips. If it fails before
/// COMMIT, nothing it did remains, so the batch is replayed alert by alert ([`apply_each`]),
/// which retries races and answers a bad alert alone. A failed COMMIT is not replayed: whether
/// it landed is unknown, and the callers' retries are what recover from that.
async fn commit_batch(
    client: &mut deadpool_postgres::Client, batch: &[Job],
) -> Result<Vec<Result<IngestOutcome, StoreError>>, StoreError> {
    let items: Vec<Item<'_>> = batch.iter().map(|j| (&j.svc, &j.ev, &j.noise)).collect();
    let tx = client.transaction().await?;
    match apply_batch(&tx, &items).await {
        Ok(outcomes) => {
            // Durable before any caller hears "ok": COMMIT returns after the WAL is flushed.
            tx.commit().await?;
            return Ok(outcomes.into_iter().map(Ok).collect());
        }
        Err(e) => {
            tracing::info!(error = %e, alerts = batch.len(), "batch replayed alert by alert");
            tx.rollback().await?;
        }
    }
    let tx = client.transaction().await?;
    let outcomes = apply_each(&tx, &items).await?;
    tx.commit().await?;
    Ok(outcomes)
}
