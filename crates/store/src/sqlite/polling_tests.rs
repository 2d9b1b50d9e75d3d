//! The statements the engine runs every round stay compiled: SQLite re-prepares a statement
//! whose plan depends on a bound value each time that value is bound again (see
//! [`crate::sql::limit`]), which made every round compile its queries anew.

use rusqlite::{params_from_iter, Connection, StatementStatus};

use crate::engine::sql as engine;
use crate::heartbeats;

fn migrated() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().expect("tmp");
    let mut c = Connection::open(dir.path().join("poll.db")).expect("open");
    super::migrate::migrate(&mut c).expect("migrate");
    (dir, c)
}

/// Re-prepares over five runs, each with a new time: every parameter is that time, except
/// the claim's owner (`$2`), text.
fn reprepares(c: &Connection, sql: &str) -> i32 {
    let mut s = c.prepare(sql).expect(sql);
    let owner = sql.contains("lease_owner = $2");
    for run in 0..5i64 {
        let now = rusqlite::types::Value::from(1_700_000_000_000 + run);
        let args: Vec<rusqlite::types::Value> = (0..s.parameter_count())
            .map(|i| match i {
                1 if owner => "node-a".to_owned().into(),
                _ => now.clone(),
            })
            .collect();
        let mut rows = s.query(params_from_iter(args)).expect(sql);
        while rows.next().expect(sql).is_some() {}
    }
    s.get_status(StatementStatus::RePrepare)
}

#[test]
fn polling_statements_are_compiled_once() {
    let (_dir, c) = migrated();
    for sql in [
        engine::due(64, ""),
        engine::claim(false, 64),
        engine::NEXT_ESCALATION.to_owned(),
        engine::NEXT_DELIVERY.to_owned(),
        heartbeats::ANY_DUE.to_owned(),
        heartbeats::services_due(64),
        heartbeats::due_with_services(64, ""),
    ] {
        assert_eq!(reprepares(&c, &sql), 0, "re-prepared at every run: {sql}");
    }
}

/// Why the limit is written into those statements: bound, SQLite compiles it again at every
/// run. If a later SQLite stops doing so, this fails and [`crate::sql::limit`] can go.
#[test]
fn a_bound_limit_is_compiled_at_every_run() {
    let (_dir, c) = migrated();
    let bound = "SELECT incident_id FROM escalations WHERE due_at <= $1 LIMIT $1";
    assert_eq!(reprepares(&c, bound), 5);
}
