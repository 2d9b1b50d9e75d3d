//! The result of a run, as text for people and JSON for `bench/run.sh`.

use std::collections::BTreeMap;
use std::fmt::Write;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::load::{Outcome, Plan};

#[derive(Debug, Serialize)]
pub struct Report {
    pub target: &'static str,
    pub url: String,
    pub concurrency: usize,
    pub rate: Option<f64>,
    pub elapsed_s: f64,
    pub requests: u64,
    /// 2xx responses; each carried one alert.
    pub accepted: u64,
    pub alerts_per_sec: f64,
    /// Latency of accepted alerts, microseconds.
    pub latency_us: Latency,
    /// Non-2xx statuses and failures without a status (`connect`, `io`), by name.
    pub errors: BTreeMap<String, u64>,
    pub error_count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
    pub mean: f64,
}

impl Latency {
    /// The summary of a histogram of microseconds (all zero when it is empty).
    pub fn of(h: &Histogram<u64>) -> Self {
        Latency {
            p50: h.value_at_quantile(0.50),
            p90: h.value_at_quantile(0.90),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
            mean: h.mean(),
        }
    }
}

impl Report {
    pub fn new(plan: &Plan, o: &Outcome) -> Self {
        let t = &o.tally;
        let accepted: u64 = t
            .statuses
            .iter()
            .filter(|(s, _)| (200..300).contains(*s))
            .map(|(_, n)| n)
            .sum();
        let mut errors = BTreeMap::new();
        for (s, n) in t.statuses.iter().filter(|(s, _)| !(200..300).contains(*s)) {
            errors.insert(s.to_string(), *n);
        }
        for (k, n) in &t.failures {
            errors.insert((*k).to_owned(), *n);
        }
        let error_count = errors.values().sum();
        let h = &t.latency;
        let elapsed_s = o.elapsed.as_secs_f64();
        Report {
            target: plan.kind.name(),
            url: plan.endpoint.display(),
            concurrency: plan.concurrency,
            rate: plan.rate,
            elapsed_s,
            requests: accepted + error_count,
            accepted,
            alerts_per_sec: if elapsed_s > 0.0 {
                accepted as f64 / elapsed_s
            } else {
                0.0
            },
            latency_us: Latency::of(h),
            errors,
            error_count,
        }
    }

    pub fn text(&self) -> String {
        let ms = |us: u64| us as f64 / 1000.0;
        let l = &self.latency_us;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} {} — {} connections{}",
            self.target,
            self.url,
            self.concurrency,
            self.rate
                .map(|r| format!(", {r} alerts/s offered"))
                .unwrap_or_default()
        );
        let _ = writeln!(
            s,
            "  {:.0} alerts/s  ({} accepted in {:.2} s)",
            self.alerts_per_sec, self.accepted, self.elapsed_s
        );
        let _ = writeln!(
            s,
            "  latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
            ms(l.p50),
            ms(l.p90),
            ms(l.p99),
            ms(l.p999),
            ms(l.max)
        );
        if self.errors.is_empty() {
            let _ = writeln!(s, "  errors: none");
        } else {
            let list: Vec<String> = self
                .errors
                .iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect();
            let _ = writeln!(s, "  errors: {}", list.join(", "));
        }
        s
    }
}
