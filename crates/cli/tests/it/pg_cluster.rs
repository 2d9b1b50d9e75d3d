//! A PostgreSQL cluster of a test's own, so the test may stop and start it at will.
//!
//! It goes through `scripts/pg-throwaway` (the same script `scripts/test` uses): initdb in a
//! temp dir, owned by the `postgres` user when running as root, on a free loopback port.

use std::path::PathBuf;
use std::process::Command;

pub struct PgCluster {
    dir: tempfile::TempDir,
    pub url: String,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg-throwaway")
}

fn run(args: &[&str]) -> String {
    let out = Command::new(script())
        .args(args)
        .output()
        .expect("run scripts/pg-throwaway");
    assert!(
        out.status.success(),
        "scripts/pg-throwaway {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

impl PgCluster {
    /// A new cluster, or a failed test (these tests run with the `postgres-tests` feature,
    /// which `./scripts/test` turns on).
    pub fn start() -> PgCluster {
        let dir = tempfile::Builder::new()
            .prefix("tocsin-it-pg")
            .tempdir()
            .expect("temp dir");
        let path = dir.path().to_string_lossy().into_owned();
        let url = run(&["start", &path]);
        assert!(url.starts_with("postgres://"), "unexpected URL {url:?}");
        PgCluster { dir, url }
    }

    fn path(&self) -> String {
        self.dir.path().to_string_lossy().into_owned()
    }

    /// Stop the server cleanly, keeping its data: an outage.
    pub fn pause(&self) {
        run(&["pause", &self.path()]);
    }

    /// Start it again on the same port.
    pub fn resume(&self) {
        run(&["resume", &self.path()]);
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = Command::new(script()).args(["stop", &self.path()]).output();
    }
}
