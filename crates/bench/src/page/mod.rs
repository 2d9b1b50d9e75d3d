//! Page mode: how long from an alert's 202 to the page it causes, and what paging costs
//! ingest. The generator runs its own loopback webhook receiver, sets a new service up
//! through the API (a policy paging a user whose contact method is that receiver, or no
//! policy at all, to compare), sends the load to the service's Kapacitor webhook, and
//! matches each webhook to the 202 that opened its incident ([`track`]).

pub mod setup;
pub mod track;

use std::fmt::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use serde::Serialize;
use tokio::sync::oneshot;

use crate::load::{self, Plan, Progress};
use crate::report::Report;
use crate::target::{Endpoint, Kind};
use setup::Api;
use track::{Tally, Tracker};

/// How a page run is set up; the load itself is a [`Plan`] whose endpoint is filled in.
#[derive(Debug, Clone)]
pub struct Options {
    /// The server's base URL (loopback).
    pub base: Endpoint,
    pub admin_token: String,
    /// The one step's delay; `None`: no policy (the comparison run).
    pub delay_minutes: Option<u32>,
    /// What the receiver answers every webhook (2xx).
    pub receiver_status: u16,
    /// After the load, how long to wait for pages still on their way (delay-0 policies only).
    pub settle: Duration,
}

#[derive(Debug, Serialize)]
pub struct PageReport {
    /// The load as the plain generator reports it (alerts/s, 202 latency, errors).
    #[serde(flatten)]
    pub load: Report,
    pub page: Pages,
}

#[derive(Debug, Serialize)]
pub struct Pages {
    pub service_id: String,
    pub policy_delay_minutes: Option<u32>,
    pub receiver_status: u16,
    pub new_incidents: bool,
    /// Time spent after the load waiting for the last pages.
    pub settle_s: f64,
    #[serde(flatten)]
    pub tally: Tally,
}

/// The receiver: records each webhook on arrival and answers `status`.
struct Receiver {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

async fn hook(
    State((tracker, status)): State<(Arc<Tracker>, StatusCode)>, body: Bytes,
) -> StatusCode {
    tracker.webhook(Instant::now(), &body);
    status
}

impl Receiver {
    async fn start(tracker: Arc<Tracker>, status: StatusCode) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .context("binding the page receiver on 127.0.0.1")?;
        let addr = listener.local_addr()?;
        let app = Router::new()
            .fallback(post(hook))
            .with_state((tracker, status));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Receiver { addr, stop, task })
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let mut task = self.task;
        // The server's keep-alive connections would hold a graceful shutdown open.
        if tokio::time::timeout(Duration::from_secs(1), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

/// Set up, load, wait for the last pages, report.
pub async fn run(
    opts: &Options, mut plan: Plan, progress: Arc<Progress>,
) -> anyhow::Result<PageReport> {
    let status = StatusCode::from_u16(opts.receiver_status)
        .ok()
        .filter(StatusCode::is_success)
        .context("the receiver's status must be a 2xx status")?;
    let tracker = Arc::new(Tracker::default());
    let receiver = Receiver::start(tracker.clone(), status).await?;
    let api = Api::new(opts.base.clone(), opts.admin_token.clone());
    let name = format!(
        "bench-page-{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f"),
        receiver.addr.port()
    );
    let prepared = api
        .prepare(&name, &receiver.url(), opts.delay_minutes)
        .await?;
    plan.endpoint = Endpoint::parse(&prepared.webhook_url, Kind::Tocsin)?;
    let plan = Arc::new(plan);
    let outcome = load::run_observed(plan.clone(), progress, Some(tracker.clone())).await;
    let load = Report::new(&plan, &outcome);

    let settling = Instant::now();
    if opts.delay_minutes == Some(0) {
        while settling.elapsed() < opts.settle && tracker.tally().missing > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let settle_s = settling.elapsed().as_secs_f64();
    receiver.stop().await;
    Ok(PageReport {
        load,
        page: Pages {
            service_id: prepared.service_id,
            policy_delay_minutes: opts.delay_minutes,
            receiver_status: opts.receiver_status,
            new_incidents: plan.new_incidents,
            settle_s,
            tally: tracker.tally(),
        },
    })
}

impl PageReport {
    pub fn text(&self) -> String {
        let ms = |us: u64| us as f64 / 1000.0;
        let mut s = self.load.text();
        let p = &self.page;
        let t = &p.tally;
        let policy = match p.policy_delay_minutes {
            Some(d) => format!("a one-step policy, delay {d} min"),
            None => "no policy".to_owned(),
        };
        let _ = writeln!(
            s,
            "  paging ({policy}): {} incidents opened, {} paged, {} missing, {} duplicates, \
             {} other webhooks, {} unmatched (settled {:.2} s)",
            t.opened, t.paged, t.missing, t.duplicates, t.other_events, t.unmatched, p.settle_s
        );
        let l = &t.latency_us;
        let _ = writeln!(
            s,
            "  202 → page ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}  ({} paged before the 202 was read)",
            ms(l.p50),
            ms(l.p90),
            ms(l.p99),
            ms(l.p999),
            ms(l.max),
            t.paged_before_answer
        );
        s
    }
}
