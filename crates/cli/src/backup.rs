//! `tocsin backup --to <file>`: a consistent copy of the SQLite database.
//!
//! Safe beside a running server: it opens the file read-only and `VACUUM INTO` copies one
//! committed snapshot (WAL readers never block the writer). Restore is a file copy with the
//! server stopped; the README says how.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args as ClapArgs;
use tocsin_store::sqlite::SqliteStore;

use crate::db::DbArgs;

#[derive(ClapArgs, Debug)]
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    /// The backup file to write; it must not exist yet.
    #[arg(long)]
    to: PathBuf,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let db = args.db.sqlite_path()?;
    SqliteStore::backup_file(&db, &args.to)
        .with_context(|| format!("backing up {} to {}", db.display(), args.to.display()))?;
    let size = std::fs::metadata(&args.to).map(|m| m.len()).unwrap_or(0);
    println!(
        "Backed up {} to {} ({size} bytes). To restore: stop tocsin, copy this file to <data-dir>/tocsin.db, start tocsin.",
        db.display(),
        args.to.display()
    );
    Ok(())
}
