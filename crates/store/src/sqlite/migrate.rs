//! Embedded migrations, tracked with `PRAGMA user_version`. Never edit an applied one: add a
//! new file.

use rusqlite::Connection;

use crate::StoreError;

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_accounts.sql"),
    include_str!("../../migrations/sqlite/0003_lifecycle.sql"),
    include_str!("../../migrations/sqlite/0004_paging.sql"),
    include_str!("../../migrations/sqlite/0005_schedules.sql"),
    include_str!("../../migrations/sqlite/0006_kapacitor_doctor.sql"),
    include_str!("../../migrations/sqlite/0007_lean_ingest.sql"),
    // 0008 (maintenance windows and rules) comes before this one once merged.
    include_str!("../../migrations/sqlite/0009_heartbeats.sql"),
];

pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let current = crate::migrations::first_pending(current, MIGRATIONS.len())?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "applied sqlite migration");
    }
    Ok(())
}
