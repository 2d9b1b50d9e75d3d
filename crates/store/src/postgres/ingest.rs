//! Ingest: alerts queue for the group-commit [`super::writer`], whose fast path is
//! [`super::batch`]; this is its slow path, and the [`IngestStore`] entry point.
//!
//! Several nodes may ingest the same (service, dedup key) at once. The open incident is read
//! `FOR UPDATE`, so joins and resolves of one incident queue behind each other and each sees
//! the other's outcome. Two nodes that both find nothing open both try to insert; the partial
//! unique index `incidents_one_open` lets one win and fails the other, which runs the alert
//! again and, now seeing the winner's incident, joins it. (The writer's team-row locks make
//! this race rare; the index is what makes it impossible to get wrong.)

use async_trait::async_trait;
use deadpool_postgres::Transaction;
use tocsin_core::model::{IngestOutcome, Service};
use tocsin_core::noise::screen::Noise;
use tocsin_core::plan::Item;
use tocsin_core::{AlertEvent, TeamId};

use super::batch::{apply_batch, FastPathError};
use super::error::is_retryable;
use super::{bounded, PgStore};
use crate::{IngestStore, StoreError};

/// Attempts per alert inside its savepoint (see [`is_retryable`]).
const ATTEMPTS: usize = 5;

#[async_trait]
impl IngestStore for PgStore {
    async fn ingest_screened(
        &self, service: &Service, event: AlertEvent, noise: Noise,
    ) -> Result<IngestOutcome, StoreError> {
        bounded(self.writer.ingest(service.clone(), event, noise)).await
    }
}

/// The slow path of a group commit, for a batch the fast path gave up on: each alert a batch
/// of one in its own savepoint, so one alert's failure undoes only its own changes. Team rows
/// are locked first, sorted, as everywhere (see the writer). Per-alert results, valid once
/// committed.
pub async fn apply_each(
    tx: &Transaction<'_>, items: &[Item<'_>],
) -> Result<Vec<Result<IngestOutcome, StoreError>>, StoreError> {
    let mut teams: Vec<TeamId> = items.iter().map(|(s, _, _)| s.team_id).collect();
    teams.sort_unstable();
    teams.dedup();
    tx.query(
        "SELECT id FROM teams WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
        &[&teams],
    )
    .await?;
    let mut outcomes = Vec::with_capacity(items.len());
    // A job's savepoint is released when the next one is set, in the same round trip.
    let mut savepoint = "SAVEPOINT job";
    for item in items {
        let mut attempt = 1;
        let res = loop {
            tx.batch_execute(savepoint).await?;
            savepoint = "RELEASE SAVEPOINT job; SAVEPOINT job";
            match apply_batch(tx, std::slice::from_ref(item)).await {
                Ok(mut o) => {
                    break o
                        .pop()
                        .ok_or_else(|| StoreError::Other("no outcome".into()))
                }
                Err(e) => {
                    // Undoes the job's changes and frees its locks; the savepoint stays set.
                    tx.batch_execute("ROLLBACK TO SAVEPOINT job").await?;
                    let retry = matches!(&e, FastPathError::Db(db) if is_retryable(db));
                    if attempt < ATTEMPTS && retry {
                        attempt += 1;
                        continue;
                    }
                    break Err(StoreError::from(e));
                }
            }
        };
        outcomes.push(res);
    }
    Ok(outcomes)
}
