//! Crash safety: `kill -9` the server at random moments under sustained alert load, restart it
//! on the same data directory, and check that every alert answered 2xx is on disk, exactly
//! where the answer said, with no incident duplicated or half-written.
//!
//! Three cycles in the normal suite; `TOCSIN_CRASH_CYCLES=20 ./scripts/crash-test` for the
//! full run. An alert whose request was cut by the kill may or may not be stored (the server
//! may have committed it before it could answer): it is counted as "in flight", allowed but
//! never required.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::support::{alert, Server};

/// Dedup keys the load spreads over: few enough that most alerts join an open incident.
const KEYS: u64 = 24;
const SENDERS: usize = 8;

fn cycles() -> usize {
    std::env::var("TOCSIN_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
}

/// xorshift64*: enough randomness for kill moments and key choice, reproducible from a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What one sender saw.
#[derive(Default)]
struct Tally {
    /// dedup key → triggers sent (answered or not).
    sent: HashMap<String, u64>,
    /// (dedup key, level, incident id, event id) of every 2xx.
    accepted: Vec<(String, String, Option<String>, String)>,
    in_flight: u64,
}

async fn send_until_killed(
    http: reqwest::Client, url: String, seed: u64, stop: Arc<AtomicBool>,
) -> Tally {
    let mut rng = Rng(seed | 1);
    let mut t = Tally::default();
    while !stop.load(Ordering::Relaxed) {
        let key = format!("crash:host={}", rng.below(KEYS));
        // Mostly triggers; one in ten a recovery, so incidents also close and reopen.
        let level = if rng.below(10) == 0 { "OK" } else { "CRITICAL" };
        if level != "OK" {
            *t.sent.entry(key.clone()).or_default() += 1;
        }
        let res = http
            .post(&url)
            .header("content-type", "application/json")
            .body(alert(&key, level))
            .send()
            .await;
        let r = match res {
            Ok(r) => r,
            // The server is gone: this request's fate is unknown, and so is the next one's.
            Err(_) => {
                t.in_flight += 1;
                break;
            }
        };
        let status = r.status().as_u16();
        let Ok(body) = r.json::<Value>().await else {
            t.in_flight += 1;
            break;
        };
        assert_eq!(status, 202, "a refusal under plain load: {body}");
        t.accepted.push((
            key,
            level.to_owned(),
            body["incident_id"].as_str().map(str::to_owned),
            body["event_id"].as_str().expect("event id").to_owned(),
        ));
    }
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_no_accepted_alert() {
    let cycles = cycles();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7);
    eprintln!("crash test: {cycles} cycles, seed {seed}");
    let mut rng = Rng(seed | 1);
    let tmp = tempfile::tempdir().expect("tmp");
    let mut service: Option<(String, String)> = None;
    let mut total = Tally::default();

    for cycle in 0..cycles {
        let server = Server::start(tmp.path()).await;
        let url = match &service {
            Some((svc, old)) => {
                // The key survived every crash (the port is new each time).
                let url = server.kapacitor_url(svc).await;
                assert_eq!(
                    url.rsplit('/').next(),
                    old.rsplit('/').next(),
                    "cycle {cycle}"
                );
                url
            }
            None => {
                let s = server.new_service("crash").await;
                service = Some(s.clone());
                s.1
            }
        };
        let stop = Arc::new(AtomicBool::new(false));
        let senders: Vec<_> = (0..SENDERS)
            .map(|_| {
                tokio::spawn(send_until_killed(
                    server.http.clone(),
                    url.clone(),
                    rng.next(),
                    stop.clone(),
                ))
            })
            .collect();
        // The fault: a random moment into the load, 50–800 ms.
        tokio::time::sleep(Duration::from_millis(50 + rng.below(750))).await;
        server.kill();
        stop.store(true, Ordering::Relaxed);
        let mut accepted_now = 0;
        for s in senders {
            let t = s.await.expect("sender");
            accepted_now += t.accepted.len();
            for (k, n) in t.sent {
                *total.sent.entry(k).or_default() += n;
            }
            total.accepted.extend(t.accepted);
            total.in_flight += t.in_flight;
        }
        eprintln!("cycle {cycle}: {accepted_now} alerts accepted before the kill");
    }

    let (svc, _) = service.expect("service");
    let server = Server::start(tmp.path()).await;
    let (checked, unanswered_stored) = verify(&server, &svc, &total).await;
    eprintln!(
        "crash test: {cycles} cycles survived, {checked} accepted alerts checked, {} requests in flight at a kill ({unanswered_stored} triggers stored without an answer)",
        total.in_flight
    );
    // SQLite's own view of the file after all those kills.
    server.kill();
    let db = rusqlite::Connection::open(tmp.path().join("tocsin.db")).expect("open db");
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(integrity, "ok");
}

/// Every 2xx is in the timeline of the incident it named; counts match timelines; at most one
/// incident is open per dedup key.
/// Returns the alerts checked and how many triggers were stored beyond those answered 2xx
/// (committed, then killed before the answer left).
async fn verify(server: &Server, svc: &str, total: &Tally) -> (usize, u64) {
    let incidents = server.incidents(svc).await;
    let mut open_per_key: HashMap<&str, u32> = HashMap::new();
    let mut numbers = HashSet::new();
    let mut events_by_incident: HashMap<String, HashSet<String>> = HashMap::new();
    let mut triggers_per_key: HashMap<String, u64> = HashMap::new();
    let mut status_of: HashMap<String, String> = HashMap::new();
    for inc in &incidents {
        let id = inc["id"].as_str().expect("id");
        let key = inc["dedup_key"].as_str().expect("dedup key");
        assert!(
            numbers.insert(inc["number"].as_i64().expect("number")),
            "number reused: {inc}"
        );
        if inc["status"] != "resolved" {
            *open_per_key.entry(key).or_default() += 1;
        }
        let timeline = server.timeline(id).await;
        let triggers = timeline
            .iter()
            .filter(|e| e["kind"] == "opened" || e["kind"] == "joined")
            .count() as i64;
        // Not half-written: the counter on the incident row agrees with its events.
        assert_eq!(inc["event_count"].as_i64(), Some(triggers), "{inc}");
        assert_eq!(
            timeline.iter().filter(|e| e["kind"] == "opened").count(),
            1,
            "{inc}"
        );
        if inc["status"] == "resolved" {
            assert!(inc["resolved_at"].is_string(), "{inc}");
        }
        *triggers_per_key.entry(key.to_owned()).or_default() += triggers as u64;
        status_of.insert(
            id.to_owned(),
            inc["status"].as_str().unwrap_or_default().to_owned(),
        );
        events_by_incident.insert(
            id.to_owned(),
            timeline
                .iter()
                .filter_map(|e| e["id"].as_str().map(str::to_owned))
                .collect(),
        );
    }
    for (key, n) in &open_per_key {
        assert_eq!(*n, 1, "{n} open incidents for {key}");
    }
    // Never more stored than sent.
    for (key, stored) in &triggers_per_key {
        let sent = total.sent.get(key).copied().unwrap_or(0);
        assert!(*stored <= sent, "{key}: {stored} stored, {sent} sent");
    }
    let mut checked = 0;
    let mut accepted_per_key: HashMap<&str, u64> = HashMap::new();
    for (key, level, incident, event) in &total.accepted {
        match incident {
            Some(inc) => {
                let events = events_by_incident
                    .get(inc)
                    .unwrap_or_else(|| panic!("{key}: accepted into {inc}, which is gone"));
                assert!(
                    events.contains(event),
                    "{key}: event {event} missing from {inc}"
                );
                if level == "OK" {
                    assert_eq!(
                        status_of.get(inc).map(String::as_str),
                        Some("resolved"),
                        "{inc}"
                    );
                } else {
                    *accepted_per_key.entry(key).or_default() += 1;
                }
            }
            // A recovery with nothing open is recorded on the service, not an incident.
            None => assert_eq!(level, "OK", "{key}: a trigger without an incident"),
        }
        checked += 1;
    }
    let mut unanswered = 0;
    for (key, stored) in &triggers_per_key {
        let accepted = accepted_per_key.get(key.as_str()).copied().unwrap_or(0);
        assert!(
            *stored >= accepted,
            "{key}: {accepted} accepted but {stored} stored"
        );
        unanswered += stored - accepted;
    }
    for key in accepted_per_key.keys() {
        assert!(
            triggers_per_key.contains_key(*key),
            "{key}: accepted, nothing stored"
        );
    }
    assert!(checked > 0, "the load never got an alert in");
    (checked, unanswered)
}
