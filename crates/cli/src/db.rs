//! Choosing and opening the store from flags.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Args as ClapArgs;
use tocsin_store::sqlite::SqliteStore;
use tocsin_store::{AccountStore, Store};

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
    /// `sqlite://<path>` to name the SQLite file explicitly (default: <data-dir>/tocsin.db).
    #[arg(long, env = "TOCSIN_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl DbArgs {
    pub fn open(&self) -> anyhow::Result<Opened> {
        let path = match self.database_url.as_deref().filter(|u| !u.is_empty()) {
            None => {
                std::fs::create_dir_all(&self.data_dir)
                    .with_context(|| format!("creating the data directory {}", self.data_dir.display()))?;
                self.data_dir.join("tocsin.db")
            }
            Some(url) => match url.split_once("://") {
                Some(("sqlite", path)) if !path.is_empty() => PathBuf::from(path),
                _ => bail!(
                    "unsupported --database-url {:?}: expected sqlite://<path> (or leave it unset to use --data-dir)",
                    redact_url(url)
                ),
            },
        };
        let store =
            SqliteStore::open(&path).with_context(|| format!("opening {}", path.display()))?;
        tracing::info!(path = %path.display(), "using embedded SQLite");
        let store = Arc::new(store);
        Ok(Opened {
            store: store.clone(),
            accounts: store,
        })
    }
}

/// Keep a password in a URL out of error messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_owned(),
    }
}
