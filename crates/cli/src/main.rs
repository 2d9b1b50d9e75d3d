//! The `tocsin` binary. Parses flags, builds the store, and hands over to the libraries;
//! `anyhow` lives here and nowhere else.

use clap::{Parser, Subcommand};

mod backup;
mod db;
mod kapacitor_config;
mod migrate;
mod seed;
mod serve;

#[derive(Parser)]
#[command(
    name = "tocsin",
    version,
    about = "Self-hosted incident response: alerts in, incidents out."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (embedded SQLite unless --database-url says otherwise).
    Serve(serve::Args),
    /// Print the kapacitor.conf block and TICKscript alert node for a service, URL filled in.
    KapacitorConfig(kapacitor_config::Args),
    /// Copy the database to a file, consistently, while the server keeps running.
    Backup(backup::Args),
    /// Apply pending database migrations and exit (`serve` also applies them at start).
    Migrate(migrate::Args),
    /// Benchmark set-up: write N resolved incidents of history (see bench/run.sh).
    #[command(hide = true)]
    Seed(seed::Args),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Serve(args) => rt.block_on(serve::run(args)),
        Command::KapacitorConfig(args) => rt.block_on(kapacitor_config::run(args)),
        Command::Backup(args) => backup::run(&args),
        Command::Migrate(args) => rt.block_on(migrate::run(args)),
        Command::Seed(args) => rt.block_on(seed::run(args)),
    }
}
