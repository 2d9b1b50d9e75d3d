//! The `tocsin` binary. Parses flags, builds the store, and hands over to the libraries;
//! `anyhow` lives here and nowhere else.

use clap::{CommandFactory, Parser, Subcommand};

/// jemalloc instead of glibc's malloc: a request allocates and frees many small buffers across
/// threads (hyper, axum, serde, the writer's rows), and glibc's arenas cost ~10% of the server's
/// CPU per durable alert under load; jemalloc took 7–8% off it for ~2 MiB more RSS (mimalloc
/// took a little more CPU off but held ~20 MiB more; docs/PERFORMANCE.md, issue 16).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod backup;
mod client;
mod heartbeats;
mod kapacitor;
mod kapacitor_config;
mod migrate;
mod noise;
mod paging;
mod remote;
mod schedules;
mod seed;

// Shared with the integration tests through the library (src/lib.rs).
use tocsin::{db, serve};

use heartbeats::HeartbeatCmd;
use paging::{ChannelCmd, ContactMethodCmd, NotificationRuleCmd, PolicyCmd};
use remote::{IncidentCmd, Remote, ServiceCmd, TeamCmd, TokenCmd, UserCmd};
use schedules::{OncallArgs, ScheduleCmd};

#[derive(Parser)]
#[command(
    name = "tocsin",
    version,
    about = "Self-hosted incident response: alerts in, incidents out.",
    after_help = "Admin commands (user, token, team, service, incidents, maintenance, \
                  contact-method, notification-rule, channel, policy, schedule, oncall, heartbeat) talk to \
                  a running server: \
                  --server / TOCSIN_SERVER (default http://127.0.0.1:8080) and --token / TOCSIN_TOKEN."
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
    /// Kapacitor: config (as kapacitor-config), check TICKscripts, list live tasks.
    Kapacitor {
        #[command(subcommand)]
        cmd: kapacitor::KapacitorCmd,
    },
    /// Copy the database to a file, consistently, while the server keeps running.
    Backup(backup::Args),
    /// Apply pending database migrations and exit (`serve` also applies them at start).
    Migrate(migrate::Args),
    /// Benchmark set-up: write N resolved incidents of history (see bench/run.sh).
    #[command(hide = true)]
    Seed(seed::Args),
    /// Users: add, list.
    User(Remote<UserCmd>),
    /// API tokens: create, revoke, list.
    Token(Remote<TokenCmd>),
    /// Teams and members: list, create, members, add-member, remove-member.
    Team(Remote<TeamCmd>),
    /// Services: list, create, set-policy, rules get|set, rotate-key.
    Service(Remote<ServiceCmd>),
    /// A service's maintenance windows: list, create, end.
    Maintenance(Remote<noise::MaintenanceCmd>),
    /// A user's contact methods: add, list, remove, test.
    ContactMethod(Remote<ContactMethodCmd>),
    /// A user's notification rules: add, list, remove.
    NotificationRule(Remote<NotificationRuleCmd>),
    /// A team's channels: add, list, remove, test.
    Channel(Remote<ChannelCmd>),
    /// Escalation policies: create, list, show, remove.
    Policy(Remote<PolicyCmd>),
    /// A service's heartbeats: list, create, delete.
    Heartbeat(Remote<HeartbeatCmd>),
    /// On-call schedules: create, list, show, remove, shifts, override add|list|remove.
    Schedule(Remote<ScheduleCmd>),
    /// Who is on call now (or --at an instant), on every schedule you see or --schedule.
    Oncall(OncallArgs),
    /// Incidents: list, ack, resolve.
    Incidents(Remote<IncidentCmd>),
    /// Print the OpenAPI document (as served at /api/v1/openapi.json; docs/openapi.json).
    Openapi,
    /// Print a shell completion script: `tocsin completions bash > /etc/bash_completion.d/tocsin`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Serve(args) => rt.block_on(serve::run(args)),
        Command::KapacitorConfig(args) => rt.block_on(kapacitor_config::run(args)),
        Command::Kapacitor { cmd } => rt.block_on(kapacitor::run(cmd)),
        Command::Backup(args) => backup::run(&args),
        Command::Migrate(args) => rt.block_on(migrate::run(args)),
        Command::Seed(args) => rt.block_on(seed::run(args)),
        Command::User(r) => rt.block_on(remote::users(r)),
        Command::Token(r) => rt.block_on(remote::tokens(r)),
        Command::Team(r) => rt.block_on(remote::teams(r)),
        Command::Service(r) => rt.block_on(remote::services(r)),
        Command::Incidents(r) => rt.block_on(remote::incidents(r)),
        Command::Maintenance(r) => rt.block_on(noise::maintenance(r)),
        Command::ContactMethod(r) => rt.block_on(paging::contact_methods(r)),
        Command::NotificationRule(r) => rt.block_on(paging::notification_rules(r)),
        Command::Channel(r) => rt.block_on(paging::channels(r)),
        Command::Policy(r) => rt.block_on(paging::policies(r)),
        Command::Heartbeat(r) => rt.block_on(heartbeats::heartbeats(r)),
        Command::Schedule(r) => rt.block_on(schedules::schedules(r)),
        Command::Oncall(a) => rt.block_on(schedules::oncall(a)),
        Command::Openapi => {
            print!("{}", tocsin_server::api::openapi_json());
            Ok(())
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "tocsin", &mut std::io::stdout());
            Ok(())
        }
    }
}
