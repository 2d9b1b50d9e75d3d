//! `tocsin migrate`: bring the database's schema up to date without serving, e.g. from a
//! deploy job before rolling nodes. Safe beside running nodes: PostgreSQL migrations take an
//! advisory lock, SQLite's run in one write transaction.

use clap::Args as ClapArgs;

use crate::db::DbArgs;

#[derive(ClapArgs, Debug)]
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    args.db.open().await?;
    println!("The database schema is up to date.");
    Ok(())
}
