//! Reading a database without writing to it: what an admin command needs from a database that a
//! running server owns (`tocsin kapacitor-config` reads the services and their webhook keys).
//!
//! Opening the store proper ([`crate::sqlite::SqliteStore::open`], [`crate::postgres::PgStore::connect`])
//! migrates, starts writer and checkpoint threads or a pool, and creates a missing SQLite file:
//! all wrong beside a running server, or against a mistyped path. Here SQLite is opened
//! read-only (WAL lets it read beside the server's writer) and PostgreSQL through one plain
//! connection whose transactions are read-only; nothing is created, migrated or locked.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tocsin_core::ServiceId;
use tokio_postgres::NoTls;

use crate::StoreError;

/// A service as a webhook set-up needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceKey {
    pub id: ServiceId,
    pub name: String,
    /// The webhook key (a write credential: show it only to whoever may hold it).
    pub api_key: String,
    /// Whether a Kapacitor alert has reached it (its `alert_sources` row has an event): the
    /// Kapacitor doctor then expects a live task to post to it.
    pub heard_from_kapacitor: bool,
}

/// The query both backends answer; ordered by name as the API lists services.
const SERVICES: &str = "SELECT id, name, api_key, \
     EXISTS (SELECT 1 FROM alert_sources a WHERE a.service_id = services.id \
             AND a.source = 'kapacitor' AND a.last_event_at IS NOT NULL) \
     FROM services ORDER BY name";

/// Every service of the SQLite database at `path`, read through a read-only connection.
/// A missing file, or one that is not a Tocsin database, is [`StoreError::NotFound`].
pub fn sqlite_services(path: &Path) -> Result<Vec<ServiceKey>, StoreError> {
    if !path.is_file() {
        return Err(StoreError::NotFound("tocsin database"));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let tables: i64 = conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'services'",
        [],
        |r| r.get(0),
    )?;
    if tables == 0 {
        return Err(StoreError::NotFound("tocsin database"));
    }
    let mut stmt = conn.prepare(SERVICES)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(ServiceKey {
                id: r.get(0)?,
                name: r.get(1)?,
                api_key: r.get(2)?,
                heard_from_kapacitor: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Every service of the PostgreSQL database at `url`, over one connection that can only read.
pub async fn postgres_services(url: &str) -> Result<Vec<ServiceKey>, StoreError> {
    let mut config = tokio_postgres::Config::from_str(url)
        .map_err(|e| StoreError::Other(format!("invalid PostgreSQL URL: {e}")))?;
    config.connect_timeout(Duration::from_secs(10));
    config.application_name("tocsin (read-only)");
    let (client, conn) = config.connect(NoTls).await?;
    let conn = tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "read-only connection closed");
        }
    });
    let read = async {
        client
            .batch_execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            .await?;
        let rows = client.query(SERVICES, &[]).await?;
        rows.iter()
            .map(|r| {
                Ok(ServiceKey {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    api_key: r.try_get(2)?,
                    heard_from_kapacitor: r.try_get(3)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()
    }
    .await;
    drop(client);
    conn.abort();
    read
}
