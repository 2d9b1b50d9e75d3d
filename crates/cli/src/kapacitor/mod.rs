//! `tocsin kapacitor {config, check, tasks}`: the Kapacitor commands in one group.
//! `tocsin kapacitor-config` stays as it was (the README and people's scripts run it).
//!
//! "This Tocsin's webhook URLs" come from where `kapacitor-config` reads them: the database,
//! read-only (`tocsin_store::readonly`, safe beside a running server), with `--public-url` for
//! the host. A URL is this Tocsin's when its path carries a current service key, whatever the
//! host (Kapacitor often reaches Tocsin by an internal address).

use clap::{Args as ClapArgs, Subcommand};
use tocsin_core::kapacitor_check::TocsinUrls;
use tocsin_store::readonly::ServiceKey;

use crate::db::DbArgs;
use crate::kapacitor_config;

pub mod check;
pub mod tasks;

#[derive(Subcommand, Debug)]
pub enum KapacitorCmd {
    /// Print the kapacitor.conf block and a TICKscript for a service (as `kapacitor-config`).
    Config(kapacitor_config::Args),
    /// Check TICKscripts for what loses or merges incidents; exits 1 on errors.
    Check(check::Args),
    /// List a Kapacitor's enabled tasks that post to this Tocsin, with their findings.
    Tasks(tasks::Args),
}

pub async fn run(cmd: KapacitorCmd) -> anyhow::Result<()> {
    match cmd {
        KapacitorCmd::Config(a) => kapacitor_config::run(a).await,
        KapacitorCmd::Check(a) => check::run(a).await,
        KapacitorCmd::Tasks(a) => tasks::run(a).await,
    }
}

/// Where this Tocsin is: its database (for the service keys) and the base URL Kapacitor uses.
#[derive(ClapArgs, Debug, Clone)]
pub struct TocsinArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Base URL Kapacitor reaches Tocsin at.
    #[arg(
        long,
        env = "TOCSIN_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,
}

impl TocsinArgs {
    /// The services and the URLs they make up.
    pub async fn urls(&self) -> anyhow::Result<(Vec<ServiceKey>, TocsinUrls)> {
        let services = self.db.services_read_only().await?;
        let urls = TocsinUrls {
            keys: services.iter().map(|s| s.api_key.clone()).collect(),
            hosts: TocsinUrls::host_of(&self.public_url).into_iter().collect(),
        };
        Ok((services, urls))
    }
}
