//! `tocsin seed` (hidden): fill a database with history so benchmarks can measure ingest with
//! a million incidents stored. Same rows as real ingest leaves for alerts that fired and
//! recovered; see `tocsin_store::sqlite::seed`.

use std::time::Instant;

use anyhow::Context;
use clap::Args as ClapArgs;
use tocsin_core::model::Scope;
use tocsin_server::bootstrap::first_start;

use crate::db::DbArgs;

#[derive(ClapArgs, Debug)]
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    /// How many resolved incidents to add.
    #[arg(long)]
    incidents: u64,
    /// The service to add them to (default: the first one, i.e. the Default Service).
    #[arg(long)]
    service: Option<String>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let path = args.db.sqlite_path()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let store = tocsin_store::sqlite::SqliteStore::open_for_seeding(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    let admin_token = std::env::var("TOCSIN_ADMIN_TOKEN").ok();
    tocsin_server::bootstrap::check_admin_token(admin_token.as_deref())
        .map_err(anyhow::Error::msg)?;
    first_start(&store, admin_token.as_deref()).await?;
    let services = tocsin_store::ServiceStore::list_services(&store, &Scope::All, None).await?;
    let svc = match &args.service {
        Some(name) => services.iter().find(|s| &s.name == name),
        None => services.first(),
    }
    .with_context(|| format!("no service {:?}", args.service.as_deref().unwrap_or("")))?;
    let started = Instant::now();
    store
        .seed_resolved_incidents(svc, args.incidents, |done| {
            if done % 200_000 == 0 {
                eprintln!(
                    "seeded {done} incidents ({:.1} s)",
                    started.elapsed().as_secs_f64()
                );
            }
        })
        .await?;
    println!(
        "Seeded {} resolved incidents into {:?} in {:.1} s",
        args.incidents,
        svc.name,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
