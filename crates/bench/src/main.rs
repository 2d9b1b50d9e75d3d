//! `tocsin-bench`: POST realistic alerts at a loopback target and report throughput, latency
//! percentiles and errors. A separate binary so the server stays free of load-testing code.

use std::io::IsTerminal;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

use tocsin_bench::{page, Endpoint, Kind, Plan, Progress};

#[derive(Parser, Debug)]
#[command(
    name = "tocsin-bench",
    version,
    about = "Load generator for Tocsin, Alertmanager and a no-op ceiling (loopback only)."
)]
struct Args {
    /// What the URL is, which decides the body shape.
    #[arg(long, value_enum, default_value = "tocsin")]
    target: Kind,
    /// Where to POST: a Tocsin webhook URL, an Alertmanager base URL, or a no-op server.
    /// Only 127.0.0.1, [::1] and localhost are accepted.
    #[arg(long)]
    url: String,
    /// Connections, each with one request in flight.
    #[arg(long, short = 'c', default_value_t = 64)]
    concurrency: usize,
    /// Alerts per second in total (open loop). Unset: as fast as the target answers.
    #[arg(long)]
    rate: Option<f64>,
    /// Stop after this many requests (else when --duration is over).
    #[arg(long, short = 'n')]
    requests: Option<u64>,
    /// Longest the run may take, in seconds.
    #[arg(long, short = 'd', default_value_t = 5.0)]
    duration: f64,
    /// Distinct alert ids (dedup keys); repeats of an open one join it.
    #[arg(long, default_value_t = 1000)]
    keys: u32,
    /// Share of alerts that are recoveries (level OK), which resolve their incident.
    #[arg(long, default_value_t = 0.2)]
    ok_fraction: f64,
    /// Random seed, for repeatable key sequences.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Every alert opens a new incident: its own key, level CRITICAL (--keys and
    /// --ok-fraction are not used).
    #[arg(long)]
    new_incidents: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    page: PageArgs,
}

/// Page mode: the latency from an alert's 202 to its page, and what paging costs ingest.
#[derive(clap::Args, Debug)]
struct PageArgs {
    /// Page mode. --url is then the Tocsin server's base URL: the generator runs a loopback
    /// webhook receiver, makes a new service through the API with a one-step policy paging a
    /// user (`bench-pager`) whose contact method is that receiver, sends the load to the
    /// service's Kapacitor webhook and matches each page to the 202 that opened its incident.
    #[arg(long)]
    page: bool,
    /// Page mode: the admin token the set-up is made with.
    #[arg(long, env = "TOCSIN_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Page mode: minutes the policy's one step waits before paging.
    #[arg(long, default_value_t = 0)]
    policy_delay: u32,
    /// Page mode: the service gets no policy (the same run with the engine idle).
    #[arg(long)]
    no_policy: bool,
    /// Page mode: what the receiver answers each webhook.
    #[arg(long, default_value_t = 204)]
    receiver_status: u16,
    /// Page mode: after the load, the longest wait for pages still on their way, in seconds.
    #[arg(long, default_value_t = 10.0)]
    settle: f64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.concurrency == 0 || args.concurrency > 10_000 {
        bail!("--concurrency must be between 1 and 10000");
    }
    if !(args.duration > 0.0 && args.duration <= 3600.0) {
        bail!("--duration must be between 0 and 3600 seconds");
    }
    if args.rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        bail!("--rate must be a positive number");
    }
    if !(0.0..=1.0).contains(&args.ok_fraction) {
        bail!("--ok-fraction must be between 0 and 1");
    }
    if args.page.page && args.target != Kind::Tocsin {
        bail!("--page needs --target tocsin");
    }
    if !(args.page.settle >= 0.0 && args.page.settle <= 600.0) {
        bail!("--settle must be between 0 and 600 seconds");
    }
    if !(200..300).contains(&args.page.receiver_status) {
        bail!("--receiver-status must be a 2xx status");
    }
    let endpoint = Endpoint::parse(&args.url, args.target)?;
    let plan = Arc::new(Plan {
        kind: args.target,
        endpoint: endpoint.clone(),
        concurrency: args.concurrency,
        rate: args.rate,
        requests: args.requests,
        duration: Duration::from_secs_f64(args.duration),
        keys: args.keys,
        ok_fraction: args.ok_fraction,
        seed: args.seed,
        new_incidents: args.new_incidents,
    });
    let page = if args.page.page {
        Some(page::Options {
            base: endpoint.clone(),
            admin_token: args
                .page
                .admin_token
                .clone()
                .context("--page needs --admin-token (or TOCSIN_ADMIN_TOKEN)")?,
            delay_minutes: (!args.page.no_policy).then_some(args.page.policy_delay),
            receiver_status: args.page.receiver_status,
            settle: Duration::from_secs_f64(args.page.settle),
        })
    } else {
        None
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let progress = Progress::new();
    let bar = progress_bar(&plan);
    if let Some(opts) = page {
        let report = rt.block_on(async { page::run(&opts, Plan::clone(&plan), progress).await });
        bar.finish_and_clear();
        let report = report?;
        if args.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            print!("{}", report.text());
        }
        return Ok(());
    }
    let report = rt.block_on(async {
        let ticker = {
            let (bar, progress) = (bar.clone(), progress.clone());
            tokio::spawn(async move {
                loop {
                    bar.set_position(progress.done.load(Ordering::Relaxed));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        };
        let report = tocsin_bench::measure(plan.clone(), progress).await;
        ticker.abort();
        report
    });
    bar.finish_and_clear();
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.text());
    }
    Ok(())
}

/// A bar on a terminal, nothing when stderr is a pipe or file (scripts, CI logs).
fn progress_bar(plan: &Plan) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match plan.requests {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::no_length(),
    };
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} {elapsed_precise} {pos} requests ({per_sec}) {wide_bar}",
    ) {
        bar.set_style(style);
    }
    bar
}
