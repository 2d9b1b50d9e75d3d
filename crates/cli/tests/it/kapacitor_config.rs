//! `tocsin kapacitor-config` reads the database and never writes it: the server may be running
//! beside it, and a mistyped path must not become a new, empty database.

use std::path::Path;
use std::process::{Command, Output};

use rusqlite::{params, Connection};

use crate::support::bin;

const KEY: &str = "0123456789abcdef0123456789abcdef";
const SERVICE_ID: &str = "svc_01JDGZ7Q8B3C5D6E7F8G9H0J1K";

fn kapacitor_config(data_dir: &Path) -> Output {
    Command::new(bin())
        .args(["kapacitor-config", "--service", "Checkout", "--public-url"])
        .args(["http://tocsin.example", "--data-dir"])
        .arg(data_dir)
        .env_remove("TOCSIN_DATABASE_URL")
        .output()
        .expect("run tocsin kapacitor-config")
}

/// A database two migrations old (as an older Tocsin left it), with one service.
fn old_database(path: &Path) {
    let migrations = concat!(env!("CARGO_MANIFEST_DIR"), "/../store/migrations/sqlite");
    let conn = Connection::open(path).expect("open");
    conn.execute_batch("PRAGMA journal_mode = WAL;")
        .expect("wal");
    for file in ["0001_init.sql", "0002_accounts.sql"] {
        let sql = std::fs::read_to_string(format!("{migrations}/{file}")).expect(file);
        conn.execute_batch(&sql).expect(file);
    }
    conn.pragma_update(None, "user_version", 2)
        .expect("version");
    conn.execute(
        "INSERT INTO teams (id, name, created_at) VALUES ('team_01JDGZ7Q8B3C5D6E7F8G9H0J1K', 'Ops', 0)",
        [],
    )
    .expect("team");
    conn.execute(
        "INSERT INTO services (id, team_id, name, api_key, api_key_hash, created_at)
         VALUES (?1, 'team_01JDGZ7Q8B3C5D6E7F8G9H0J1K', 'Checkout', ?2, x'00', 0)",
        params![SERVICE_ID, KEY],
    )
    .expect("service");
}

fn schema_version(path: &Path) -> i64 {
    Connection::open(path)
        .expect("open")
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("user_version")
}

#[test]
fn it_reads_an_old_database_without_migrating_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let db = tmp.path().join("tocsin.db");
    old_database(&db);
    let out = kapacitor_config(tmp.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains(&format!(
            "  url = \"http://tocsin.example/v1/incidents/kapacitor/{KEY}\"\n"
        )),
        "{printed}"
    );
    // Opening the store for writing would have applied the newer migrations.
    assert_eq!(
        schema_version(&db),
        2,
        "kapacitor-config changed the schema"
    );
}

#[test]
fn a_mistyped_data_directory_is_refused_and_nothing_is_created() {
    let tmp = tempfile::tempdir().expect("tmp");
    let missing = tmp.path().join("tocsin-dtaa");
    let out = kapacitor_config(&missing);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no Tocsin database at"), "{err}");
    assert!(!missing.exists(), "kapacitor-config created {missing:?}");
}

/// On PostgreSQL, beside a running server: the same set-up, read over a read-only connection.
#[cfg(feature = "postgres-tests")]
#[tokio::test]
async fn it_reads_postgres_beside_a_running_server() {
    let pg = crate::pg_cluster::PgCluster::start();
    let tmp = tempfile::tempdir().expect("tmp");
    let server = crate::support::Server::spawn_app_pg(tmp.path(), &pg.url).await;
    let (_, url) = server.new_service("Checkout").await;
    let (database_url, base) = (pg.url.clone(), server.base.clone());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(bin())
            .args(["kapacitor-config", "--service", "checkout", "--public-url"])
            .arg(&base)
            .args(["--database-url", &database_url])
            .output()
            .expect("run tocsin kapacitor-config")
    })
    .await
    .expect("join");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains(&format!("  url = \"{url}\"\n")),
        "{printed}"
    );
    // The server still serves: nothing was locked or changed under it.
    assert_eq!(server.get("/api/v1/services").await.0, 200);
}
