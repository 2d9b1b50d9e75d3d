//! `tocsin serve`: flags, the first start, and serving until SIGTERM or Ctrl-C.

use std::io::IsTerminal;
use std::net::SocketAddr;

use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args as ClapArgs;
use tocsin_core::model::Scope;
use tocsin_core::SourceKind;
use tocsin_server::bootstrap::{first_admin, first_start, FirstAdmin, FirstStart};
use tocsin_server::limits::LimitsConfig;
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
    /// Require `Authorization: Bearer <this>` on /metrics (at least 16 characters; unset:
    /// /metrics is open, as before).
    #[arg(long, env = "TOCSIN_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    paging: crate::paging_args::PagingArgs,
}

/// Protection against floods and slow clients. The defaults only stop the abnormal: Kapacitor
/// does not retry a refused alert.
#[derive(ClapArgs, Debug)]
struct LimitArgs {
    /// Alerts per second one service key may send, sustained (0: no limit). Refusals are 429
    /// with Retry-After, counted in /metrics as outcome="rate_limited".
    #[arg(long, env = "TOCSIN_RATE_LIMIT_PER_KEY", default_value_t = 1000)]
    rate_limit_per_key: u32,
    /// Alerts one service key may send at once above that rate.
    #[arg(long, env = "TOCSIN_RATE_LIMIT_BURST", default_value_t = 2000)]
    rate_limit_burst: u32,
    /// Seconds a request (body included) may take before it is answered 408.
    #[arg(long, env = "TOCSIN_REQUEST_TIMEOUT", default_value_t = 30.0)]
    request_timeout: f64,
    /// Seconds a client may take to send its request headers, and an idle connection is kept.
    #[arg(long, env = "TOCSIN_HEADER_READ_TIMEOUT", default_value_t = 30.0)]
    header_read_timeout: f64,
    /// Connections served at once; more wait to be accepted.
    #[arg(long, env = "TOCSIN_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
    /// Connections one client address may hold at once; more are closed when accepted, logged
    /// and counted in /metrics (tocsin_connections_refused_total). Behind a reverse proxy every
    /// connection comes from the proxy: raise it to --max-connections there.
    #[arg(long, env = "TOCSIN_MAX_CONNECTIONS_PER_CLIENT", default_value_t = 256)]
    max_connections_per_client: usize,
}

impl LimitArgs {
    fn config(&self) -> anyhow::Result<LimitsConfig> {
        let secs = |name: &str, v: f64| {
            Duration::try_from_secs_f64(v)
                .ok()
                .filter(|d| !d.is_zero())
                .with_context(|| format!("--{name} must be a positive number of seconds, not {v}"))
        };
        if self.max_connections == 0 {
            bail!("--max-connections must be at least 1");
        }
        if self.max_connections_per_client == 0 {
            bail!("--max-connections-per-client must be at least 1");
        }
        Ok(LimitsConfig {
            per_key_per_second: self.rate_limit_per_key,
            per_key_burst: self.rate_limit_burst.max(1),
            request_timeout: secs("request-timeout", self.request_timeout)?,
            header_read_timeout: secs("header-read-timeout", self.header_read_timeout)?,
            max_connections: self.max_connections,
            max_connections_per_client: self.max_connections_per_client,
        })
    }
}

impl Args {
    /// `serve`'s flags parsed from `flags` alone, the environment (`TOCSIN_*`) ignored: how the
    /// tests start a server in their own process, whatever the shell that runs them set.
    pub fn from_flags<I, T>(flags: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let cmd =
            <Self as ClapArgs>::augment_args(clap::Command::new("serve").no_binary_name(true))
                .mut_args(|a| a.env(None));
        let matches = cmd.try_get_matches_from(flags)?;
        <Self as clap::FromArgMatches>::from_arg_matches(&matches)
    }
}

/// The secrets `serve` takes from the environment only (never from a flag, which `ps` shows).
#[derive(Debug, Default, Clone)]
pub struct Secrets {
    /// `TOCSIN_ADMIN_TOKEN`: the admin API token a first start stores (checked at every start).
    pub admin_token: Option<String>,
    /// `TOCSIN_ADMIN_PASSWORD`: the password of the first admin user.
    pub admin_password: Option<String>,
}

impl Secrets {
    pub fn from_env() -> Self {
        Self {
            admin_token: std::env::var("TOCSIN_ADMIN_TOKEN").ok(),
            admin_password: std::env::var("TOCSIN_ADMIN_PASSWORD").ok(),
        }
    }
}

/// A server ready to serve: the database opened and bootstrapped, the port bound.
pub struct Ready {
    pub listener: tokio::net::TcpListener,
    pub state: AppState,
    /// The bound address (the real port when `--listen` asked for port 0).
    pub addr: SocketAddr,
    pub public_url: String,
}

/// Everything `tocsin serve` does before serving: check the flags and secrets, open (and
/// migrate) the database, run the first start, bind, build the state. What a first start shows
/// once (a generated token or password, the webhook URLs) goes to `say`, line by line, as it
/// happens: a failure later in the start must not swallow a password already created.
pub async fn prepare(
    args: Args, secrets: Secrets, say: &mut (dyn FnMut(String) + Send),
) -> anyhow::Result<Ready> {
    let limits = args.limits.config()?;
    // Before the database is opened or migrated: a weak token stops the start at once.
    let admin_token = secrets.admin_token;
    tocsin_server::bootstrap::check_admin_token(admin_token.as_deref())
        .map_err(anyhow::Error::msg)?;
    if let Some(t) = &args.metrics_token {
        if t.trim().chars().count() < 16 || t.trim() != t {
            bail!("--metrics-token (TOCSIN_METRICS_TOKEN) must be at least 16 characters, without surrounding spaces");
        }
    }
    let opened = args.db.open().await?;
    let (store, accounts) = (opened.store, opened.accounts);
    let first = first_start(store.as_ref(), admin_token.as_deref()).await?;
    match first_admin(accounts.as_ref(), secrets.admin_password.as_deref()).await? {
        FirstAdmin::AlreadyExists => {}
        FirstAdmin::CreatedWithGivenPassword => {
            say("Created the organisation admin user `admin`; its password is TOCSIN_ADMIN_PASSWORD.".into());
        }
        FirstAdmin::CreatedWithNewPassword(p) => {
            say(format!("Created the organisation admin user `admin`; password (shown once, store it now): {p}"));
        }
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    let public_url = args.public_url.unwrap_or_else(|| format!("http://{addr}"));
    let created = !matches!(first, FirstStart::AlreadyInitialised);
    match first {
        FirstStart::AlreadyInitialised => {}
        FirstStart::CreatedWithGivenToken => {
            say("Created the Default Team and Default Service; the admin token is TOCSIN_ADMIN_TOKEN.".into());
        }
        FirstStart::CreatedWithNewToken(token) => {
            say("Created the Default Team and Default Service.".into());
            say(format!(
                "Admin API token (shown once, store it now): {token}"
            ));
        }
    }
    if created {
        for svc in store.list_services(&Scope::All, None).await? {
            let url = format!(
                "{public_url}{}",
                SourceKind::Kapacitor.webhook_path(&svc.api_key)
            );
            say(format!("Kapacitor webhook URL for {:?}: {url}", svc.name));
        }
    }
    let (sender, node_id) = args.paging.build(addr)?;
    let state = AppState::new(store, accounts, &public_url)
        .with_limits(limits)
        .with_metrics_token(args.metrics_token.as_deref())
        .with_notifier(sender, &node_id);
    Ok(Ready {
        listener,
        state,
        addr,
        public_url,
    })
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    // Held to the end: dropping it flushes the lines still queued for stderr.
    let _log = init_logging(args.log_json);
    let ready = prepare(args, Secrets::from_env(), &mut |line| println!("{line}")).await?;
    let (bound, public_url) = (ready.addr, &ready.public_url);
    tracing::info!(listen = %bound, public_url = %public_url, "tocsin is listening");
    // On stdout too: scripts and tests that pass --listen 127.0.0.1:0 read the port here.
    println!("Listening on http://{bound}");
    tocsin_server::serve(ready.listener, ready.state, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Log lines go to stderr through [`crate::log_sink`]: buffered and written by a thread of its
/// own, warnings and errors at once. The returned guard writes what is queued when dropped.
fn init_logging(json: bool) -> crate::log_sink::Guard {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TOCSIN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let (writer, guard) = crate::log_sink::LogSink::start();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        // Colour codes only for a person at a terminal, not in log files and journals.
        .with_ansi(std::io::stderr().is_terminal());
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
    guard
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_as_the_command_line_does() {
        let args = Args::from_flags(["--listen", "127.0.0.1:0", "--rate-limit-per-key", "5"])
            .expect("flags");
        assert_eq!(args.listen.port(), 0);
        assert_eq!(args.limits.rate_limit_per_key, 5);
        // Defaults stay the command line's defaults.
        assert_eq!(args.limits.max_connections, 1024);
        let err = Args::from_flags(["--no-such-flag"]).expect_err("unknown flag");
        assert!(err.to_string().contains("--no-such-flag"), "{err}");
    }
}
