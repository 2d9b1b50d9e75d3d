//! Counters for `/metrics` (Prometheus text format) and the request log.
//!
//! Hand-written on purpose: a few counters and one histogram do not justify a metrics stack,
//! and the text format is stable and simple.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};

use crate::logsafe::{escape, redact_path};

/// Upper bounds of the ingest latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
pub struct Metrics {
    /// (source, outcome) → count. Outcome is the decision (`opened`, `joined`, …) or the
    /// refusal code (`invalid_json`, `unknown_key`, …).
    alerts: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    latency_buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_us: AtomicU64,
    incidents_opened: AtomicU64,
    incidents_resolved: AtomicU64,
    /// Bearer tokens refused as unknown, revoked or expired.
    bearer_failures: AtomicU64,
    /// Bearer requests refused unlooked-at: too many failures from their client address.
    bearer_throttled: AtomicU64,
    /// Connections closed at accept: their client address held too many already.
    connections_refused: AtomicU64,
}

impl Metrics {
    pub fn count_alert(&self, source: &'static str, outcome: &'static str) {
        if let Ok(mut m) = self.alerts.lock() {
            *m.entry((source, outcome)).or_default() += 1;
        }
    }

    /// Count an incident transition: `opened` or `resolved` (by an alert or a person); other
    /// outcomes are not transitions and are ignored.
    pub fn count_incident(&self, outcome: &str) {
        match outcome {
            "opened" => self.incidents_opened.fetch_add(1, Ordering::Relaxed),
            "resolved" => self.incidents_resolved.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
    }

    pub fn count_bearer_failure(&self) {
        self.bearer_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_bearer_throttled(&self) {
        self.bearer_throttled.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_connection_refused(&self) {
        self.connections_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// One atomic add for the bucket the duration falls in (not one per bucket it is under:
    /// those are contended across workers on every alert); [`Metrics::render`] sums them into
    /// Prometheus' cumulative buckets. Past the last bound only the count and sum move.
    pub fn observe_ingest(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us.fetch_add(
            d.as_micros().try_into().unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    pub fn render(&self, queue_depth: Option<usize>) -> String {
        let mut out = String::new();
        out.push_str("# HELP tocsin_alerts_total Alerts received, by source and outcome (decision or refusal code).\n");
        out.push_str("# TYPE tocsin_alerts_total counter\n");
        if let Ok(m) = self.alerts.lock() {
            for ((source, outcome), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "tocsin_alerts_total{{source=\"{source}\",outcome=\"{outcome}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP tocsin_ingest_seconds Time from request to durable commit for accepted alerts.\n");
        out.push_str("# TYPE tocsin_ingest_seconds histogram\n");
        let mut cumulative = 0;
        for (i, b) in BUCKETS.iter().enumerate() {
            cumulative += self.latency_buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "tocsin_ingest_seconds_bucket{{le=\"{b}\"}} {cumulative}"
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "tocsin_ingest_seconds_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "tocsin_ingest_seconds_sum {sum}");
        let _ = writeln!(out, "tocsin_ingest_seconds_count {count}");
        out.push_str("# HELP tocsin_incidents_opened_total Incidents opened by alerts.\n");
        out.push_str("# TYPE tocsin_incidents_opened_total counter\n");
        let _ = writeln!(
            out,
            "tocsin_incidents_opened_total {}",
            self.incidents_opened.load(Ordering::Relaxed)
        );
        out.push_str("# HELP tocsin_incidents_resolved_total Incidents resolved, by a recovery alert or by a person.\n");
        out.push_str("# TYPE tocsin_incidents_resolved_total counter\n");
        let _ = writeln!(
            out,
            "tocsin_incidents_resolved_total {}",
            self.incidents_resolved.load(Ordering::Relaxed)
        );
        for (name, help, value) in [
            (
                "tocsin_bearer_failures_total",
                "Bearer tokens refused as unknown, revoked or expired.",
                &self.bearer_failures,
            ),
            (
                "tocsin_bearer_throttled_total",
                "Bearer requests refused with 429 before the lookup: too many failures from the client address.",
                &self.bearer_throttled,
            ),
            (
                "tocsin_connections_refused_total",
                "Connections closed at accept because their client address held too many.",
                &self.connections_refused,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
        }
        if let Some(d) = queue_depth {
            out.push_str(
                "# HELP tocsin_store_queue_depth Writes waiting for the next group commit.\n",
            );
            out.push_str("# TYPE tocsin_store_queue_depth gauge\n");
            let _ = writeln!(out, "tocsin_store_queue_depth {d}");
        }
        out
    }
}

/// The store's commit latency histogram, in the same text format.
pub fn render_commits(s: &tocsin_store::CommitSnapshot) -> String {
    let mut out = String::new();
    out.push_str(
        "# HELP tocsin_store_commit_seconds Duration of each durable group commit (the fsync).\n",
    );
    out.push_str("# TYPE tocsin_store_commit_seconds histogram\n");
    for (le, n) in &s.buckets {
        let _ = writeln!(out, "tocsin_store_commit_seconds_bucket{{le=\"{le}\"}} {n}");
    }
    let _ = writeln!(
        out,
        "tocsin_store_commit_seconds_bucket{{le=\"+Inf\"}} {}",
        s.count
    );
    let _ = writeln!(out, "tocsin_store_commit_seconds_sum {}", s.sum_seconds);
    let _ = writeln!(out, "tocsin_store_commit_seconds_count {}", s.count);
    out.push_str("# HELP tocsin_store_committed_writes_total Writes carried by those commits (divide by the commit count for the mean batch).\n");
    out.push_str("# TYPE tocsin_store_committed_writes_total counter\n");
    let _ = writeln!(out, "tocsin_store_committed_writes_total {}", s.jobs);
    out
}

/// One line per request, accepted alerts included, once it is answered: method, path (anything
/// key-shaped redacted, escaped: [`crate::logsafe`]), status and latency. Operators who want
/// fewer lines set `TOCSIN_LOG=warn` (refusals are logged at warn by the limits). Called by the
/// edge middleware rather than tower-http's trace layer: that opened a span per request, about
/// a tenth of the request path's CPU under ingest load, and nothing inside a request logs in
/// need of one. The line is queued, not written, here (the `tocsin serve` log writer).
pub fn log_served(method: &Method, path: &str, status: StatusCode, started: Instant) {
    let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let path = escape(&redact_path(path));
    let method = escape(method.as_str());
    let status = status.as_u16();
    if status >= 500 {
        tracing::error!(method, path, status, latency_us, "served");
    } else {
        tracing::info!(method, path, status, latency_us, "served");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ingest_buckets_are_cumulative_as_prometheus_reads_them() {
        let m = Metrics::default();
        m.observe_ingest(Duration::from_micros(700));
        m.observe_ingest(Duration::from_millis(3));
        m.observe_ingest(Duration::from_secs(9));
        let text = m.render(None);
        for line in [
            "tocsin_ingest_seconds_bucket{le=\"0.0005\"} 0",
            "tocsin_ingest_seconds_bucket{le=\"0.001\"} 1",
            "tocsin_ingest_seconds_bucket{le=\"0.0025\"} 1",
            "tocsin_ingest_seconds_bucket{le=\"0.005\"} 2",
            "tocsin_ingest_seconds_bucket{le=\"5\"} 2",
            "tocsin_ingest_seconds_bucket{le=\"+Inf\"} 3",
            "tocsin_ingest_seconds_count 3",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }
}
