//! Choosing and opening the store from flags.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Args as ClapArgs;
use tocsin_store::postgres::PgStore;
use tocsin_store::readonly::{self, ServiceKey};
use tocsin_store::sqlite::SqliteStore;
use tocsin_store::{AccountStore, Store, StoreError};

/// The opened database, as the server's two storage traits.
pub struct Opened {
    pub store: Arc<dyn Store>,
    pub accounts: Arc<dyn AccountStore>,
}

#[derive(ClapArgs, Debug, Clone)]
pub struct DbArgs {
    /// Where the embedded database lives.
    #[arg(long, env = "TOCSIN_DATA_DIR", default_value = "./tocsin-data")]
    pub data_dir: PathBuf,
    /// `postgres://user:password@host:port/database` to use PostgreSQL (several nodes may share
    /// it), or `sqlite://<path>` to name the SQLite file (default: <data-dir>/tocsin.db).
    #[arg(long, env = "TOCSIN_DATABASE_URL")]
    pub database_url: Option<String>,
}

/// Where the data lives, decided from the flags before anything is opened.
#[derive(Debug, PartialEq)]
enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DbArgs {
    /// The SQLite file these flags name (without creating anything); an error for PostgreSQL.
    pub fn sqlite_path(&self) -> anyhow::Result<PathBuf> {
        match self.target()? {
            Target::Sqlite(path) => Ok(path),
            Target::Postgres(_) => {
                bail!("this works on the embedded SQLite database only; for PostgreSQL use pg_dump")
            }
        }
    }

    fn target(&self) -> anyhow::Result<Target> {
        let Some(url) = self.database_url.as_deref().filter(|u| !u.is_empty()) else {
            return Ok(Target::Sqlite(self.data_dir.join("tocsin.db")));
        };
        match url.split_once("://") {
            Some(("sqlite", path)) if !path.is_empty() => Ok(Target::Sqlite(PathBuf::from(path))),
            Some(("postgres" | "postgresql", rest)) if !rest.is_empty() => {
                Ok(Target::Postgres(url.to_owned()))
            }
            _ => bail!(
                "unsupported --database-url {:?}: expected postgres://user:password@host:port/database, \
                 sqlite://<path>, or nothing (SQLite in --data-dir)",
                redact_url(url)
            ),
        }
    }

    /// Open the store, applying any pending migrations first.
    pub async fn open(&self) -> anyhow::Result<Opened> {
        match self.target()? {
            Target::Sqlite(path) => {
                if self.database_url.is_none() {
                    std::fs::create_dir_all(&self.data_dir).with_context(|| {
                        format!("creating the data directory {}", self.data_dir.display())
                    })?;
                }
                let store = SqliteStore::open(&path)
                    .with_context(|| format!("opening {}", path.display()))?;
                tracing::info!(path = %path.display(), "using embedded SQLite");
                let store = Arc::new(store);
                Ok(Opened {
                    store: store.clone(),
                    accounts: store,
                })
            }
            Target::Postgres(url) => {
                let store = PgStore::connect(&url)
                    .await
                    .with_context(|| format!("connecting to {}", redact_url(&url)))?;
                tracing::info!(url = %redact_url(&url), "using PostgreSQL");
                let store = Arc::new(store);
                Ok(Opened {
                    store: store.clone(),
                    accounts: store,
                })
            }
        }
    }

    /// Every service and its webhook key, read without opening the database for writing: no
    /// migration, no writer, nothing created ([`tocsin_store::readonly`]), so it is safe beside
    /// a running server and against a mistyped path.
    pub async fn services_read_only(&self) -> anyhow::Result<Vec<ServiceKey>> {
        match self.target()? {
            Target::Sqlite(path) => readonly::sqlite_services(&path).map_err(|e| match e {
                StoreError::NotFound(_) => anyhow::anyhow!(
                    "no Tocsin database at {} (start `tocsin serve` once to create it, or pass --data-dir / --database-url)",
                    path.display()
                ),
                e => anyhow::Error::new(e).context(format!("reading {}", path.display())),
            }),
            Target::Postgres(url) => readonly::postgres_services(&url)
                .await
                .with_context(|| format!("reading {}", redact_url(&url))),
        }
    }
}

/// Keep a password in a URL out of error messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(url: Option<&str>) -> DbArgs {
        DbArgs {
            data_dir: PathBuf::from("/data"),
            database_url: url.map(str::to_owned),
        }
    }

    #[test]
    fn the_scheme_chooses_the_backend() {
        assert_eq!(
            args(None).target().ok(),
            Some(Target::Sqlite(PathBuf::from("/data/tocsin.db")))
        );
        assert_eq!(
            args(Some("sqlite:///tmp/x.db")).target().ok(),
            Some(Target::Sqlite(PathBuf::from("/tmp/x.db")))
        );
        for url in ["postgres://u:p@h:5432/db", "postgresql://h/db"] {
            assert_eq!(
                args(Some(url)).target().ok(),
                Some(Target::Postgres(url.to_owned()))
            );
        }
    }

    #[test]
    fn other_schemes_are_refused_without_showing_the_password() {
        for url in ["mysql://root:hunter2@h/db", "postgres://", "/just/a/path"] {
            let err = args(Some(url)).target().expect_err(url).to_string();
            assert!(err.contains("unsupported --database-url"), "{err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
    }
}
