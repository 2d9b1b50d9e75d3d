//! The load loop: N HTTP/1.1 keep-alive connections, each a task sending one request at a time.
//!
//! Closed loop (no `--rate`): each connection sends its next alert as soon as the last one was
//! answered, which finds the target's throughput. Open loop (`--rate`): alert *i* is due at
//! `start + i / rate` whatever happened before, and its latency is measured from when it was
//! due, not from when a free connection got round to it, so a stalled server cannot hide its
//! stall by slowing the generator down (coordinated omission).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::Request;
use hyper_util::rt::TokioIo;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::net::TcpStream;

use crate::target::{self, Alert, Endpoint, Kind};

#[derive(Debug, Clone)]
pub struct Plan {
    pub kind: Kind,
    pub endpoint: Endpoint,
    pub concurrency: usize,
    /// Alerts per second in total; `None` for closed loop.
    pub rate: Option<f64>,
    /// Stop after this many requests, or when `duration` is over, whichever comes first.
    pub requests: Option<u64>,
    pub duration: Duration,
    /// Distinct alert ids (dedup keys) drawn from.
    pub keys: u32,
    /// Share of alerts that are recoveries (level OK / endsAt set).
    pub ok_fraction: f64,
    pub seed: u64,
    /// Every alert opens a new incident: alert *i* has key *i*, level CRITICAL (`keys` and
    /// `ok_fraction` are not used). For page latency, where each alert must page once.
    pub new_incidents: bool,
}

/// Told of every answer, as soon as its body is read (page mode matches answers to the
/// webhooks they cause). `due` is when the alert was due to be sent.
pub trait Observer: Send + Sync {
    fn answered(&self, due: Instant, status: u16, body: &[u8]);
}

/// What one connection saw; merged into the report.
pub struct Tally {
    pub latency: Histogram<u64>,
    /// HTTP status → responses.
    pub statuses: BTreeMap<u16, u64>,
    /// Failures without a status: `connect`, `io`.
    pub failures: BTreeMap<&'static str, u64>,
}

impl Tally {
    fn new() -> Self {
        Tally {
            // 1 µs to 60 s, 3 significant digits.
            latency: Histogram::new_with_bounds(1, 60_000_000, 3)
                .expect("constant histogram bounds are valid"),
            statuses: BTreeMap::new(),
            failures: BTreeMap::new(),
        }
    }

    fn merge(&mut self, other: Tally) {
        let _ = self.latency.add(&other.latency);
        for (k, v) in other.statuses {
            *self.statuses.entry(k).or_default() += v;
        }
        for (k, v) in other.failures {
            *self.failures.entry(k).or_default() += v;
        }
    }
}

/// Shared between connections: the next alert's index and how many have finished.
pub struct Progress {
    next: AtomicU64,
    pub done: AtomicU64,
}

pub struct Outcome {
    pub tally: Tally,
    pub elapsed: Duration,
}

pub async fn run(plan: Arc<Plan>, progress: Arc<Progress>) -> Outcome {
    run_observed(plan, progress, None).await
}

/// [`run`], telling `observer` of every answer.
pub async fn run_observed(
    plan: Arc<Plan>, progress: Arc<Progress>, observer: Option<Arc<dyn Observer>>,
) -> Outcome {
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(plan.concurrency);
    for worker in 0..plan.concurrency {
        let (plan, progress, observer) = (plan.clone(), progress.clone(), observer.clone());
        tasks.push(tokio::spawn(async move {
            connection(worker as u64, &plan, &progress, observer.as_deref(), start).await
        }));
    }
    let mut tally = Tally::new();
    for t in tasks {
        match t.await {
            Ok(t) => tally.merge(t),
            Err(_) => *tally.failures.entry("worker_panicked").or_default() += 1,
        }
    }
    Outcome {
        tally,
        elapsed: start.elapsed(),
    }
}

impl Progress {
    pub fn new() -> Arc<Self> {
        Arc::new(Progress {
            next: AtomicU64::new(0),
            done: AtomicU64::new(0),
        })
    }
}

async fn connect(ep: &Endpoint) -> std::io::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(ep.addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(std::io::Error::other)?;
    tokio::spawn(conn);
    Ok(sender)
}

async fn connection(
    worker: u64, plan: &Plan, progress: &Progress, observer: Option<&dyn Observer>, start: Instant,
) -> Tally {
    let mut tally = Tally::new();
    let mut rng = SmallRng::seed_from_u64(plan.seed ^ worker.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut sender: Option<SendRequest<Full<Bytes>>> = None;
    let mut body = String::with_capacity(1024);
    let deadline = start + plan.duration;
    loop {
        let i = progress.next.fetch_add(1, Ordering::Relaxed);
        if plan.requests.is_some_and(|n| i >= n) {
            break;
        }
        // When the alert is due: now (closed loop) or on the schedule (open loop).
        let due = match plan.rate {
            Some(r) => start + Duration::from_secs_f64(i as f64 / r),
            None => Instant::now(),
        };
        if due >= deadline {
            break;
        }
        tokio::time::sleep_until(due.into()).await;
        if sender.as_ref().is_none_or(|s| s.is_closed()) {
            match connect(&plan.endpoint).await {
                Ok(s) => sender = Some(s),
                Err(_) => {
                    *tally.failures.entry("connect").or_default() += 1;
                    progress.done.fetch_add(1, Ordering::Relaxed);
                    // Do not spin on a refused port; the deadline still bounds the run.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(s) = sender.as_mut() else { continue };
        let alert = if plan.new_incidents {
            Alert {
                key: u32::try_from(i).unwrap_or(u32::MAX),
                ok: false,
                critical: true,
            }
        } else {
            Alert {
                key: rng.random_range(0..plan.keys.max(1)),
                ok: rng.random_bool(plan.ok_fraction.clamp(0.0, 1.0)),
                critical: rng.random_bool(0.5),
            }
        };
        target::body(plan.kind, alert, Utc::now(), &mut body);
        let req = Request::post(plan.endpoint.path.as_str())
            .header(HOST, plan.endpoint.host.as_str())
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::copy_from_slice(body.as_bytes())));
        let Ok(req) = req else {
            *tally.failures.entry("bad_request").or_default() += 1;
            continue;
        };
        let sent = async {
            s.ready().await?;
            let resp = s.send_request(req).await?;
            let status = resp.status().as_u16();
            let body = resp.into_body().collect().await?.to_bytes();
            if let Some(o) = observer {
                o.answered(due, status, &body);
            }
            Ok::<u16, hyper::Error>(status)
        }
        .await;
        let latency = due.elapsed();
        match sent {
            Ok(status) => {
                *tally.statuses.entry(status).or_default() += 1;
                // Latency of accepted alerts only: a fast refusal is not a fast alert.
                if (200..300).contains(&status) {
                    let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
                    tally.latency.saturating_record(us.max(1));
                }
            }
            Err(_) => {
                *tally.failures.entry("io").or_default() += 1;
                sender = None;
            }
        }
        progress.done.fetch_add(1, Ordering::Relaxed);
    }
    tally
}
