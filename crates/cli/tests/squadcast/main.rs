//! A real Squadcast Incident Webhook client: the PyPI package `pytest-squadcast` (a pytest
//! plugin that reports a run to `https://api.squadcast.com/v2/incidents/api/<key>`), run by
//! pytest over a small suite (`suite/`) whose conftest changes only the host to Tocsin's. A
//! failing run triggers, a second failing run joins, a passing run resolves.
//!
//! `TOCSIN_SQUADCAST_VENV` (default `target/squadcast-venv`) is the venv that holds it;
//! `scripts/squadcast-venv` makes it and `./scripts/test` runs that. Without it this test
//! fails naming that command: never a silent pass.

#[allow(dead_code, unused_imports)]
#[path = "../it/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::support::Server;

fn venv() -> PathBuf {
    match std::env::var_os("TOCSIN_SQUADCAST_VENV") {
        Some(v) => PathBuf::from(v),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/squadcast-venv"),
    }
}

/// The venv's python, after checking it holds the plugin.
fn python() -> PathBuf {
    let py = venv().join("bin/python");
    let ok = Command::new(&py)
        .args(["-c", "import pytest_squadcast, pytest"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "pytest-squadcast is not installed in {}: run scripts/squadcast-venv (./scripts/test does), \
         or set TOCSIN_SQUADCAST_VENV to a venv that has it",
        venv().display()
    );
    py
}

/// Run the suite once (failing or not) and return Tocsin's answer to the plugin's request.
async fn run_suite(server: &Server, key: &str, fails: bool) -> (u16, Value) {
    let py = python();
    let suite = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/squadcast/suite");
    let tmp = tempfile::tempdir().expect("tmp");
    let answer = tmp.path().join("answer");
    let base = server.url("");
    let (key, answer_path) = (key.to_owned(), answer.clone());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(py)
            .args([
                "-m",
                "pytest",
                "--squadcast",
                "-p",
                "no:cacheprovider",
                "-q",
            ])
            .arg(&suite)
            .current_dir(&suite)
            .env("TOCSIN_URL", base.trim_end_matches('/'))
            .env("TOCSIN_SERVICE_KEY", key)
            .env("TOCSIN_ANSWER_FILE", &answer_path)
            .env("TOCSIN_SUITE_FAILS", if fails { "1" } else { "0" })
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .output()
    })
    .await
    .expect("join")
    .expect("run pytest");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.success(), !fails, "pytest's own result:\n{log}");
    assert!(
        log.contains("incident reported on Squadcast"),
        "the plugin reported:\n{log}"
    );
    let text = std::fs::read_to_string(&answer)
        .unwrap_or_else(|e| panic!("no answer recorded ({e}); pytest said:\n{log}"));
    let (status, body) = text.split_once('\n').expect("status line");
    (
        status.parse().expect("status"),
        serde_json::from_str(body).unwrap_or_else(|_| panic!("JSON answer: {body}")),
    )
}

#[tokio::test]
async fn a_failing_suite_triggers_a_repeat_joins_and_a_passing_run_resolves() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let (svc, _) = server.new_service("nightly-tests").await;
    let url = server.alert_source(&svc, "api").await["webhook_url"]
        .as_str()
        .expect("webhook url")
        .to_owned();
    let key = url.rsplit('/').next().expect("key").to_owned();

    for (fails, want) in [(true, "opened"), (true, "joined"), (false, "resolved")] {
        let (status, body) = run_suite(&server, &key, fails).await;
        assert_eq!(
            (status, body["action"].as_str()),
            (202, Some(want)),
            "{body}"
        );
    }
    let incidents = server.incidents(&svc).await;
    assert_eq!(incidents.len(), 1, "{incidents:#?}");
    let inc = &incidents[0];
    assert_eq!(
        (
            inc["alert_source"].as_str(),
            inc["dedup_key"].as_str(),
            inc["status"].as_str()
        ),
        (Some("api"), Some("pytest:nightly"), Some("resolved")),
        "{inc}"
    );
    assert_eq!(
        inc["title"], "1 of 2 tests failed in the nightly suite",
        "{inc}"
    );
    assert_eq!(
        (inc["event_count"].as_i64(), inc["severity"].as_str()),
        (Some(2), Some("critical")),
        "{inc}"
    );
    assert_eq!(
        inc["tags"]["failed"], "1",
        "the coloured tag's value: {inc}"
    );
    assert_eq!(inc["resolved_by"], "api", "{inc}");
}
