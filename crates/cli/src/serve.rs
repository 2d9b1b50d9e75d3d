use std::net::SocketAddr;

use anyhow::Context;
use clap::Args as ClapArgs;
use tocsin_core::model::Scope;
use tocsin_core::SourceKind;
use tocsin_server::bootstrap::{first_admin, first_start, FirstAdmin, FirstStart};
use tocsin_server::AppState;

use crate::db::DbArgs;

#[derive(ClapArgs, Debug)]
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "TOCSIN_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Base URL users and Kapacitor reach Tocsin at, used in webhook URLs (default http://<listen>).
    #[arg(long, env = "TOCSIN_PUBLIC_URL")]
    public_url: Option<String>,
    /// Log as JSON lines instead of text.
    #[arg(long, env = "TOCSIN_LOG_JSON")]
    log_json: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    init_logging(args.log_json);
    let opened = args.db.open()?;
    let (store, accounts) = (opened.store, opened.accounts);
    let admin_token = std::env::var("TOCSIN_ADMIN_TOKEN").ok();
    let first = first_start(store.as_ref(), admin_token.as_deref()).await?;
    let admin_password = std::env::var("TOCSIN_ADMIN_PASSWORD").ok();
    match first_admin(accounts.as_ref(), admin_password.as_deref()).await? {
        FirstAdmin::AlreadyExists => {}
        FirstAdmin::CreatedWithGivenPassword => {
            println!("Created the organisation admin user `admin`; its password is TOCSIN_ADMIN_PASSWORD.");
        }
        FirstAdmin::CreatedWithNewPassword(p) => {
            println!("Created the organisation admin user `admin`; password (shown once, store it now): {p}");
        }
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let bound = listener.local_addr()?;
    let public_url = args.public_url.unwrap_or_else(|| format!("http://{bound}"));
    let created = !matches!(first, FirstStart::AlreadyInitialised);
    match first {
        FirstStart::AlreadyInitialised => {}
        FirstStart::CreatedWithGivenToken => {
            println!("Created the Default Team and Default Service; the admin token is TOCSIN_ADMIN_TOKEN.");
        }
        FirstStart::CreatedWithNewToken(token) => {
            println!("Created the Default Team and Default Service.");
            println!("Admin API token (shown once, store it now): {token}");
        }
    }
    if created {
        for svc in store.list_services(&Scope::All, None).await? {
            let url = format!(
                "{public_url}{}",
                SourceKind::Kapacitor.webhook_path(&svc.api_key)
            );
            println!("Kapacitor webhook URL for {:?}: {url}", svc.name);
        }
    }
    let state = AppState::new(store, accounts, &public_url);
    tracing::info!(listen = %bound, public_url = %public_url, "tocsin is listening");
    // On stdout too: scripts and tests that pass --listen 127.0.0.1:0 read the port here.
    println!("Listening on http://{bound}");
    tocsin_server::serve(listener, state, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TOCSIN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
