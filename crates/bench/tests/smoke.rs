//! The generator's command line end to end: against the real no-op server on loopback, and
//! refusing any host that is not loopback.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

struct Noop(std::process::Child);

impl Drop for Noop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_noop() -> (Noop, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_noop-server"))
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn noop-server");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(base) = line.strip_prefix("Listening on ") {
                let _ = tx.send(base.to_owned());
            }
        }
    });
    let guard = Noop(child);
    let base = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("noop-server printed its address");
    (guard, base)
}

#[test]
fn measures_the_noop_server_without_errors() {
    let (_noop, base) = start_noop();
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin-bench"))
        .args(["--target", "noop", "--url", &format!("{base}/")])
        .args(["-c", "4", "-d", "1", "--keys", "20", "--json"])
        .output()
        .expect("run tocsin-bench");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(r["target"], "noop");
    assert!(r["accepted"].as_u64().unwrap_or(0) > 0, "{r}");
    assert_eq!(r["error_count"], 0, "{r}");
    assert!(
        r["latency_us"]["p99"].as_u64().unwrap_or(0)
            >= r["latency_us"]["p50"].as_u64().unwrap_or(u64::MAX),
        "{r}"
    );
}

#[test]
fn a_bounded_count_stops_at_that_count() {
    let (_noop, base) = start_noop();
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin-bench"))
        .args(["--target", "noop", "--url", &format!("{base}/")])
        .args(["-c", "3", "-n", "50", "-d", "30", "--json"])
        .output()
        .expect("run tocsin-bench");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(r["accepted"], 50, "{r}");
}

#[test]
fn refuses_hosts_other_than_loopback() {
    for url in [
        "http://192.168.1.10:8080/",
        "http://example.com/",
        "http://127.0.0.2/",
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_tocsin-bench"))
            .args(["--target", "noop", "--url", url, "-d", "1"])
            .output()
            .expect("run tocsin-bench");
        assert!(!out.status.success(), "{url} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("refusing") || err.contains("loopback"),
            "{url}: {err}"
        );
    }
}
