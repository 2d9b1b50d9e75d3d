//! Embedded migrations, tracked with `PRAGMA user_version`. Never edit an applied one: add a
//! new file.

use rusqlite::{Connection, OptionalExtension};

use crate::StoreError;

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_accounts.sql"),
    include_str!("../../migrations/sqlite/0003_lifecycle.sql"),
    include_str!("../../migrations/sqlite/0004_paging.sql"),
    include_str!("../../migrations/sqlite/0005_schedules.sql"),
    include_str!("../../migrations/sqlite/0006_kapacitor_doctor.sql"),
    include_str!("../../migrations/sqlite/0007_lean_ingest.sql"),
    include_str!("../../migrations/sqlite/0008_noise.sql"),
    include_str!("../../migrations/sqlite/0009_heartbeats.sql"),
];

/// The versions that rebuild a table others refer to (SQLite's recipe for a change ALTER TABLE
/// cannot make: new table, copy, drop, rename). Dropping the old table with foreign keys on
/// would fail (or cascade), and `PRAGMA foreign_keys` is a no-op inside a transaction, so these
/// run with foreign keys off, and commit only if `PRAGMA foreign_key_check` finds nothing.
const REBUILDS: &[usize] = &[8];

pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let current = crate::migrations::first_pending(current, MIGRATIONS.len())?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let version = i + 1;
        if REBUILDS.contains(&version) {
            let fk: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
            conn.pragma_update(None, "foreign_keys", false)?;
            let applied = apply(conn, version, sql, true);
            // Back as it was, whatever happened.
            conn.pragma_update(None, "foreign_keys", fk)?;
            applied?;
        } else {
            apply(conn, version, sql, false)?;
        }
        tracing::info!(version, "applied sqlite migration");
    }
    Ok(())
}

fn apply(conn: &mut Connection, version: usize, sql: &str, check: bool) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    tx.execute_batch(sql)?;
    if check {
        let broken: Option<String> = tx
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
            .optional()?;
        if let Some(table) = broken {
            return Err(StoreError::Other(format!(
                "migration {version} would leave a broken reference in {table}"
            )));
        }
    }
    tx.pragma_update(None, "user_version", version as i64)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use rusqlite::params;

    use super::*;

    /// Migration 8 rebuilds `incidents` (SQLite cannot alter its status CHECK): a database
    /// with incidents, their events, escalation rows and notifications keeps every row and
    /// every reference, foreign keys stay on, and the new status is accepted.
    #[test]
    fn the_incidents_rebuild_keeps_incidents_and_what_refers_to_them() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("old.db");
        let mut c = Connection::open(&path).expect("open");
        c.execute_batch("PRAGMA foreign_keys = ON;").expect("fk");
        for (i, sql) in MIGRATIONS.iter().enumerate().take(7) {
            apply(&mut c, i + 1, sql, false).expect("old migration");
        }
        c.execute_batch(
            "INSERT INTO teams (id, name, created_at) VALUES ('t', 'ops', 0);
             INSERT INTO services (id, team_id, name, api_key, api_key_hash, created_at)
               VALUES ('s', 't', 'api', 'k', x'00', 0);
             INSERT INTO incidents (id, team_id, service_id, number, source, dedup_key, status,
               severity, title, description, tags, event_count, created_at, updated_at)
               VALUES ('i1', 't', 's', 1, 'kapacitor', 'cpu', 'triggered', 'critical', 'x', '',
                       '{}', 1, 0, 0),
                      ('i2', 't', 's', 2, 'kapacitor', 'disk', 'resolved', 'warning', 'y', '',
                       '{}', 2, 0, 0);
             INSERT INTO incident_events (id, incident_id, service_id, kind, received_at)
               VALUES ('e1', 'i1', 's', 'opened', 0), ('e2', 'i2', 's', 'opened', 0);
             INSERT INTO escalations (incident_id, phase, round, step, loop, due_at)
               VALUES ('i1', 'start', 0, 0, 0, 0);
             INSERT INTO notifications (id, incident_id, kind, round, step, loop, recipient,
               status, created_at) VALUES ('n1', 'i1', 'page', 0, 0, 0, 'c:x', 'pending', 0);",
        )
        .expect("old rows");
        migrate(&mut c).expect("migrate");
        let fk: bool = c
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .expect("fk");
        assert!(fk, "foreign keys are back on");
        let count = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).expect(sql) };
        assert_eq!(count("SELECT count(*) FROM incidents"), 2);
        assert_eq!(
            count(
                "SELECT count(*) FROM incident_events e JOIN incidents i ON i.id = e.incident_id"
            ),
            2
        );
        assert_eq!(
            count("SELECT count(*) FROM escalations WHERE incident_id = 'i1'"),
            1
        );
        assert_eq!(
            count("SELECT count(*) FROM notifications WHERE incident_id = 'i1'"),
            1
        );
        let broken: Option<String> = c
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
            .optional()
            .expect("check");
        assert_eq!(broken, None);
        for index in [
            "incidents_one_open",
            "incidents_team_newest",
            "incidents_service_newest",
            "incidents_suppressed_newest",
        ] {
            assert_eq!(
                count(&format!(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '{index}'"
                )),
                1,
                "{index}"
            );
        }
        // The one-open index still holds, and `suppressed` is a status now.
        let again = c.execute(
            "INSERT INTO incidents (id, team_id, service_id, number, source, dedup_key, status,
               severity, title, description, tags, event_count, created_at, updated_at)
             VALUES ('i3', 't', 's', 3, 'kapacitor', 'cpu', 'triggered', 'critical', 'x', '',
                     '{}', 1, 0, 0)",
            [],
        );
        assert!(
            again.is_err(),
            "a second open incident for one key is refused"
        );
        c.execute(
            "INSERT INTO incidents (id, team_id, service_id, number, source, dedup_key, status,
               severity, title, description, tags, event_count, created_at, updated_at,
               suppressed_by)
             VALUES ('i4', 't', 's', 4, 'kapacitor', 'cpu', 'suppressed', 'critical', 'x', '',
                     '{}', 1, 0, 0, ?1)",
            params!["rules"],
        )
        .expect("suppressed");
        // References still point at the rebuilt table.
        let orphan = c.execute(
            "INSERT INTO escalations (incident_id, phase, round, step, loop) VALUES ('nope', 'start', 0, 0, 0)",
            [],
        );
        assert!(orphan.is_err(), "escalations still refer to incidents");
    }
}
