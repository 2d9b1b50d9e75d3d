//! Servers started as the `tocsin` binary: for crashes, restarts, signals, the CLI, the log.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{bin, client, Running, Server, ADMIN_TOKEN};

impl Server {
    pub async fn start(data_dir: &Path) -> Server {
        Self::spawn(data_dir, None, &[], &[]).await.0
    }

    /// Start on a fixed address, so a restarted server keeps its webhook URLs (the default
    /// public URL is the bound address). Used by the Kapacitor end-to-end tests.
    #[allow(dead_code)]
    pub async fn start_at(data_dir: &Path, listen: &str) -> Server {
        Self::spawn_on(data_dir, listen, None, &[], &[]).await.0
    }

    /// Start with extra `serve` flags (limits, timeouts).
    pub async fn start_with(data_dir: &Path, extra: &[&str]) -> Server {
        Self::spawn(data_dir, None, extra, &[]).await.0
    }

    /// Start with extra environment variables; also returns the lines printed before
    /// "Listening on" (what first start shows once).
    pub async fn start_with_env(data_dir: &Path, env: &[(&str, &str)]) -> (Server, Vec<String>) {
        Self::spawn(data_dir, None, &[], env).await
    }

    /// On PostgreSQL with extra `serve` flags (a node id, paging settings).
    #[cfg_attr(not(feature = "postgres-tests"), allow(dead_code))]
    pub async fn start_pg_with(data_dir: &Path, database_url: &str, extra: &[&str]) -> Server {
        Self::spawn(data_dir, Some(database_url), extra, &[])
            .await
            .0
    }

    /// A server on PostgreSQL at `database_url`; `data_dir` only holds its log.
    #[cfg_attr(not(feature = "postgres-tests"), allow(dead_code))]
    pub async fn start_pg(data_dir: &Path, database_url: &str) -> Server {
        Self::spawn(data_dir, Some(database_url), &[], &[]).await.0
    }

    /// On PostgreSQL with extra environment variables; also returns what first start printed.
    #[allow(dead_code)]
    pub async fn start_pg_with_env(
        data_dir: &Path, database_url: &str, env: &[(&str, &str)],
    ) -> (Server, Vec<String>) {
        Self::spawn(data_dir, Some(database_url), &[], env).await
    }

    async fn spawn(
        data_dir: &Path, database_url: Option<&str>, extra: &[&str], env: &[(&str, &str)],
    ) -> (Server, Vec<String>) {
        Self::spawn_on(data_dir, "127.0.0.1:0", database_url, extra, env).await
    }

    async fn spawn_on(
        data_dir: &Path, listen: &str, database_url: Option<&str>, extra: &[&str],
        env: &[(&str, &str)],
    ) -> (Server, Vec<String>) {
        let log = data_dir.join(format!("server-{}.log", std::process::id()));
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("log file");
        let mut cmd = Command::new(bin());
        cmd.args(["serve", "--listen", listen, "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .env("TOCSIN_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("TOCSIN_LOG", "info")
            .env_remove("TOCSIN_DATABASE_URL")
            .env_remove("TOCSIN_PUBLIC_URL")
            .env_remove("TOCSIN_ADMIN_PASSWORD")
            .envs(env.iter().copied());
        if let Some(url) = database_url {
            cmd.args(["--database-url", url]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .expect("spawn tocsin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut before = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("Listening on ") {
                    let _ = tx.send((addr.to_owned(), std::mem::take(&mut before)));
                } else {
                    before.push(line);
                }
            }
        });
        let (base, printed) = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(b) => b,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "server did not start; log:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
        };
        let s = Server {
            running: Running::Process { child, log },
            base,
            http: client(),
        };
        s.wait_healthy().await;
        (s, printed)
    }

    /// SIGKILL, no goodbye: what a crash looks like.
    pub fn kill(mut self) {
        let child = self.child();
        let _ = child.kill();
        let _ = child.wait();
    }

    /// SIGTERM and wait for a graceful exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let child = self.child();
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        child.wait().expect("wait")
    }

    fn child(&mut self) -> &mut Child {
        match &mut self.running {
            Running::Process { child, .. } => child,
            Running::InProcess { .. } => panic!("not a process: use shut_down() or drop it"),
        }
    }
}
