//! The backends under test, each in throwaway storage.

use std::str::FromStr;
use std::sync::Arc;

use tocsin_store::postgres::PgStore;
use tocsin_store::sqlite::SqliteStore;
use tocsin_store::{AccountStore, Store};

pub struct Backend {
    pub store: Arc<dyn Store>,
    /// The same database, as the accounts half of the storage.
    pub accounts: Arc<dyn AccountStore>,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, db: String },
}

/// `url` with its database name replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, format!("?{q}")),
        None => (url, String::new()),
    };
    let after_scheme = head.find("://").map_or(0, |i| i + 3);
    let base = match head[after_scheme..].find('/') {
        Some(slash) => &head[..after_scheme + slash],
        None => head,
    };
    format!("{base}/{db}{query}")
}

/// A plain connection, outside Tocsin's pool.
pub async fn admin(url: &str) -> tokio_postgres::Client {
    let config = tokio_postgres::Config::from_str(url).expect("TOCSIN_TEST_POSTGRES_URL parses");
    let (client, conn) = config
        .connect(tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot reach TOCSIN_TEST_POSTGRES_URL: {e}"));
    tokio::spawn(conn);
    client
}

/// What a case takes: the store alone, or both halves of the database.
pub trait Handle {
    fn from_backend(b: &Backend) -> Self;
}

impl Handle for Arc<dyn Store> {
    fn from_backend(b: &Backend) -> Self {
        b.store.clone()
    }
}

/// The store, and where another process would read the same database without the store
/// (`tocsin_store::readonly`): the SQLite file or the PostgreSQL URL.
pub struct ReadOnlyDb {
    pub store: Arc<dyn Store>,
    pub sqlite: Option<std::path::PathBuf>,
    pub postgres: Option<String>,
}

impl ReadOnlyDb {
    /// `readonly`'s services of this database, whichever the backend.
    pub async fn services(&self) -> Vec<tocsin_store::readonly::ServiceKey> {
        match (&self.sqlite, &self.postgres) {
            (Some(path), _) => tocsin_store::readonly::sqlite_services(path).expect("read"),
            (None, Some(url)) => tocsin_store::readonly::postgres_services(url)
                .await
                .expect("read"),
            (None, None) => panic!("a backend is SQLite or PostgreSQL"),
        }
    }
}

impl Handle for ReadOnlyDb {
    fn from_backend(b: &Backend) -> Self {
        ReadOnlyDb {
            store: b.store.clone(),
            sqlite: match &b.cleanup {
                Cleanup::Sqlite(dir) => Some(dir.path().join("tocsin.db")),
                Cleanup::Postgres { .. } => None,
            },
            postgres: b.postgres_url(),
        }
    }
}

impl Handle for crate::accounts::Db {
    fn from_backend(b: &Backend) -> Self {
        crate::accounts::Db {
            store: b.store.clone(),
            accounts: b.accounts.clone(),
        }
    }
}

impl Backend {
    pub fn handle<H: Handle>(&self) -> H {
        H::from_backend(self)
    }

    /// The URL of the PostgreSQL test database, to reach it as another client would.
    pub fn postgres_url(&self) -> Option<String> {
        match &self.cleanup {
            Cleanup::Postgres { admin_url, db } => Some(with_database(admin_url, db)),
            Cleanup::Sqlite(_) => None,
        }
    }

    pub fn sqlite() -> Backend {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(SqliteStore::open(dir.path().join("tocsin.db")).expect("open sqlite"));
        Backend {
            store: store.clone(),
            accounts: store,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// A fresh, uniquely named database. The PostgreSQL half runs with the `postgres-tests`
    /// feature (`./scripts/test` turns it on); there, a missing `TOCSIN_TEST_POSTGRES_URL`
    /// fails the test, so PostgreSQL coverage is never lost silently. A plain `cargo test`
    /// runs the SQLite half only, as the README says.
    pub async fn postgres() -> Option<Backend> {
        Self::postgres_after("").await
    }

    /// Like [`Backend::postgres`], running `setup` in the new database before Tocsin connects
    /// (and migrates): a database as an older Tocsin left it.
    pub async fn postgres_after(setup: &str) -> Option<Backend> {
        if !cfg!(feature = "postgres-tests") {
            return None;
        }
        let Some(url) = std::env::var("TOCSIN_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            panic!(
                "TOCSIN_TEST_POSTGRES_URL is not set: run ./scripts/test (it starts a throwaway \
                 PostgreSQL), or `scripts/pg-throwaway start <dir>`, which prints the URL to \
                 export; any server where the user may CREATE DATABASE will do"
            );
        };
        let db = format!(
            "tocsin_test_{}",
            ulid::Ulid::new().to_string().to_lowercase()
        );
        admin(&url)
            .await
            .batch_execute(&format!("CREATE DATABASE {db}"))
            .await
            .expect("CREATE DATABASE");
        if !setup.is_empty() {
            admin(&with_database(&url, &db))
                .await
                .batch_execute(setup)
                .await
                .expect("set up the old database");
        }
        let store = Arc::new(
            PgStore::connect(&with_database(&url, &db))
                .await
                .expect("connect to the test database"),
        );
        Some(Backend {
            store: store.clone(),
            accounts: store,
            cleanup: Cleanup::Postgres { admin_url: url, db },
        })
    }

    /// Drop what the test made. Only reached when the case passed: a failed case leaves its
    /// database behind for a look (the throwaway cluster goes anyway).
    pub async fn finish(self) {
        drop(self.store);
        drop(self.accounts);
        if let Cleanup::Postgres { admin_url, db } = self.cleanup {
            admin(&admin_url)
                .await
                .batch_execute(&format!("DROP DATABASE {db} WITH (FORCE)"))
                .await
                .expect("DROP DATABASE");
        }
    }
}

#[test]
fn database_names_are_replaced_in_urls() {
    assert_eq!(
        with_database("postgres://u:p@127.0.0.1:5/postgres?sslmode=disable", "x"),
        "postgres://u:p@127.0.0.1:5/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h:5", "x"), "postgres://h:5/x");
}
