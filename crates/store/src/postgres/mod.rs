//! PostgreSQL, for running several Tocsin nodes against one database.
//!
//! Every node is stateless apart from a short key cache; the database carries the rules that
//! must hold across nodes: the partial unique index for "one open incident per key", a row
//! update for per-team incident numbers, and COMMIT before any 2xx. Alerts are written by the
//! group-commit [`writer`], one transaction per batch of concurrent alerts. Connections come from a
//! pool with short connect and wait timeouts and a server-side statement timeout, so when the
//! database is down calls fail fast with [`StoreError::Unavailable`] (503) instead of hanging,
//! and the pool reconnects by itself once it is back.

use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tocsin_core::model::Scope;
use tokio_postgres::types::ToSql;
use tokio_postgres::NoTls;

use crate::{Bootstrap, Store, StoreError};

mod alert_sources;
mod audit;
mod batch;
mod bind;
mod calendar_feeds;
mod channels;
mod contact_methods;
mod engine;
mod error;
mod heartbeats;
mod incidents;
mod ingest;
mod keys;
mod lifecycle;
mod members;
mod migrate;
mod noise;
mod notification_rules;
mod overrides;
mod policies;
mod rows;
mod schedules;
mod services;
mod sessions;
mod teams;
mod timeline;
mod token_admin;
mod tokens;
mod users;
mod writer;

use incidents::get_incident_in;
use writer::Writer;

/// Connections per node. PostgreSQL's default `max_connections` is 100, so this leaves room
/// for several nodes and an operator's psql.
pub const POOL_SIZE: usize = 16;
/// How long to wait for the server to accept a new connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a request may wait for a free pooled connection.
const WAIT_TIMEOUT: Duration = Duration::from_secs(5);
/// The server cancels any one statement that runs longer (milliseconds).
const STATEMENT_TIMEOUT_MS: u32 = 10_000;
/// The client gives up on a whole store call after this, even if the server never answers
/// (a network partition does not close the socket).
const CALL_TIMEOUT: Duration = Duration::from_secs(15);

type Params = Vec<Box<dyn ToSql + Sync + Send>>;

pub struct PgStore {
    pool: Pool,
    writer: Writer,
}

impl PgStore {
    /// Connect to `url` (`postgres://user:pass@host:port/db`), apply migrations, and build the
    /// pool. TLS is not supported yet: use a loopback or private network, or a local proxy.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError::Other(format!("invalid PostgreSQL URL: {e}")))?;
        config.connect_timeout(CONNECT_TIMEOUT);
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        config.application_name("tocsin");
        let options = format!(
            "{} -c statement_timeout={STATEMENT_TIMEOUT_MS}",
            config.get_options().unwrap_or_default()
        );
        config.options(options.trim());

        let (mut client, conn) = config.connect(NoTls).await?;
        let conn = tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "migration connection closed");
            }
        });
        let migrated = migrate::migrate(&mut client).await;
        drop(client);
        conn.abort();
        migrated?;

        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                // A connection whose socket closed is dropped on checkout; a restarted server
                // therefore costs at most one failed call per stale pooled connection.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .wait_timeout(Some(WAIT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let writer = Writer::spawn(pool.clone());
        Ok(Self { pool, writer })
    }

    async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        Ok(self.pool.get().await?)
    }
}

/// Bound a whole store call, so no request waits on a silent database for longer.
async fn bounded<T>(f: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
    tokio::time::timeout(CALL_TIMEOUT, f)
        .await
        .unwrap_or_else(|_| {
            Err(StoreError::Unavailable(
                "the database did not answer".into(),
            ))
        })
}

/// The plain client under a pooled one, for helpers that also take transactions.
fn pg(c: &deadpool_postgres::Client) -> &tokio_postgres::Client {
    c
}

fn refs(p: &Params) -> Vec<&(dyn ToSql + Sync)> {
    p.iter()
        .map(|b| b.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

/// `AND column = ANY($n)` for a scope, with its parameter appended to `args`.
fn scope_sql(scope: &Scope, column: &str, args: &mut Params) -> String {
    match scope {
        Scope::All => String::new(),
        Scope::Teams(teams) => {
            args.push(Box::new(teams.clone()));
            format!(" AND {column} = ANY(${})", args.len())
        }
    }
}

/// A unique violation, reworded for the caller; anything else unchanged.
fn conflict_as(e: tokio_postgres::Error, detail: impl FnOnce() -> String) -> StoreError {
    StoreError::from(e).conflict_as(detail)
}

#[async_trait]
impl Store for PgStore {
    fn queue_depth(&self) -> Option<usize> {
        Some(self.writer.queue_depth())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        bounded(async {
            self.client().await?.simple_query("SELECT 1").await?;
            Ok(())
        })
        .await
    }

    async fn bootstrap(&self, b: Bootstrap) -> Result<bool, StoreError> {
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            // Two nodes starting on an empty database must not both bootstrap: the first to
            // take this lock creates, the second then sees its team.
            tx.execute("LOCK TABLE teams IN EXCLUSIVE MODE", &[])
                .await?;
            let teams: i64 = tx
                .query_one("SELECT COUNT(*) FROM teams", &[])
                .await?
                .try_get(0)?;
            if teams > 0 {
                return Ok(false);
            }
            let team = teams::insert(&*tx, &b.team_name).await?;
            services::insert(&*tx, team.id, &b.service_name, &b.service_api_key).await?;
            tokens::insert(&*tx, &b.admin_token()).await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }
}
