//! Embedded migrations, recorded in `tocsin_schema_migrations`. Never edit an applied one: add
//! a new file.
//!
//! Several nodes may start at once against one database, so the whole check-and-apply runs
//! under a session advisory lock: the first node migrates, the others wait and then find
//! nothing left to do.

use tokio_postgres::Client;

use crate::StoreError;

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_accounts.sql"),
    include_str!("../../migrations/postgres/0003_lifecycle.sql"),
    include_str!("../../migrations/postgres/0004_paging.sql"),
    include_str!("../../migrations/postgres/0005_schedules.sql"),
    include_str!("../../migrations/postgres/0006_kapacitor_doctor.sql"),
    include_str!("../../migrations/postgres/0007_lean_ingest.sql"),
    include_str!("../../migrations/postgres/0008_noise.sql"),
    include_str!("../../migrations/postgres/0009_heartbeats.sql"),
];

/// An arbitrary constant naming "Tocsin's schema" among advisory locks ('tocsin' in ASCII).
const LOCK_KEY: i64 = 0x746f_6373_696e;

pub async fn migrate(client: &mut Client) -> Result<(), StoreError> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
        .await?;
    let result = apply(client).await;
    // Released with the session anyway; unlocking now lets waiting nodes go at once.
    let unlock = client
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY])
        .await;
    result?;
    unlock?;
    Ok(())
}

async fn apply(client: &mut Client) -> Result<(), StoreError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS tocsin_schema_migrations (
               version    INTEGER PRIMARY KEY,
               applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .await?;
    let current: i32 = client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM tocsin_schema_migrations",
            &[],
        )
        .await?
        .try_get(0)?;
    let current = crate::migrations::first_pending(current.into(), MIGRATIONS.len())?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
        let tx = client.transaction().await?;
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO tocsin_schema_migrations (version) VALUES ($1)",
            &[&version],
        )
        .await?;
        tx.commit().await?;
        tracing::info!(version, "applied postgres migration");
    }
    Ok(())
}
