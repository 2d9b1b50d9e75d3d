//! Starting real servers and talking to them.
//!
//! Two ways to start one, with the same [`Server`] API:
//! - in the test's own process ([`Server::spawn_app`] and friends): the binary's own start-up
//!   ([`tocsin::serve::prepare`]: flags, database, first start, state) and
//!   [`tocsin_server::serve`] on a loopback port, on a runtime and thread of its own. For API
//!   behaviour: no binary to start, and no stdout to read for the port.
//! - as the `tocsin` binary ([`Server::start`] and friends): for what only a process shows —
//!   crashes, restarts, signals, the CLI, and the server's log (tracing is global to a process,
//!   so an in-process server's log cannot be told apart from another test's).

mod helpers;
mod http;
mod process;

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

pub use helpers::*;

pub const ADMIN_TOKEN: &str = "tocsin_test_admin_token_0123456789abcdef";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_tocsin")
}

/// A signed-in browser's credentials: the `tocsin_session=…` cookie pair and the CSRF token.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// A running server, stopped on drop. Its data directory outlives it when kept by the test
/// (restart tests start a second server on the same one).
pub struct Server {
    running: Running,
    pub base: String,
    pub http: reqwest::Client,
}

enum Running {
    /// `tocsin serve`, killed on drop; its stderr goes to `log`.
    Process { child: Child, log: PathBuf },
    /// `tocsin_server::serve` on its own runtime and thread in this process; dropping `stop`
    /// starts its graceful stop.
    InProcess {
        stop: Option<tokio::sync::oneshot::Sender<()>>,
        thread: Option<std::thread::JoinHandle<()>>,
    },
}

impl Server {
    /// In this process, on SQLite in `data_dir`.
    pub async fn spawn_app(data_dir: &Path) -> Server {
        Self::in_process(data_dir, None, &[], &[]).await.0
    }

    /// In this process, with extra `serve` flags (limits, timeouts, `--metrics-token`).
    #[allow(dead_code)]
    pub async fn spawn_app_with(data_dir: &Path, extra: &[&str]) -> Server {
        Self::in_process(data_dir, None, extra, &[]).await.0
    }

    /// In this process, with the environment's secrets (`TOCSIN_ADMIN_PASSWORD`,
    /// `TOCSIN_ADMIN_TOKEN`); also returns the lines a first start prints once.
    #[allow(dead_code)]
    pub async fn spawn_app_with_env(
        data_dir: &Path, env: &[(&str, &str)],
    ) -> (Server, Vec<String>) {
        Self::in_process(data_dir, None, &[], env).await
    }

    /// In this process, on PostgreSQL at `database_url`.
    #[allow(dead_code)]
    pub async fn spawn_app_pg(data_dir: &Path, database_url: &str) -> Server {
        Self::in_process(data_dir, Some(database_url), &[], &[])
            .await
            .0
    }

    /// In this process, on PostgreSQL, with the environment's secrets; also what it printed.
    #[allow(dead_code)]
    pub async fn spawn_app_pg_with_env(
        data_dir: &Path, database_url: &str, env: &[(&str, &str)],
    ) -> (Server, Vec<String>) {
        Self::in_process(data_dir, Some(database_url), &[], env).await
    }

    async fn in_process(
        data_dir: &Path, database_url: Option<&str>, extra: &[&str], env: &[(&str, &str)],
    ) -> (Server, Vec<String>) {
        let dir = data_dir.to_str().expect("UTF-8 data dir");
        let mut flags = vec!["--listen", "127.0.0.1:0", "--data-dir", dir];
        if let Some(url) = database_url {
            flags.extend(["--database-url", url]);
        }
        flags.extend(extra);
        let args = tocsin::serve::Args::from_flags(&flags).expect("serve flags");
        let mut secrets = tocsin::serve::Secrets {
            admin_token: Some(ADMIN_TOKEN.into()),
            admin_password: None,
        };
        for (name, value) in env {
            match *name {
                "TOCSIN_ADMIN_TOKEN" => secrets.admin_token = Some((*value).into()),
                "TOCSIN_ADMIN_PASSWORD" => secrets.admin_password = Some((*value).into()),
                other => {
                    panic!("an in-process server does not read {other}: use Server::start_with_env")
                }
            }
        }
        // Its own runtime on its own thread, as the binary has: the server's work runs beside
        // the test's requests instead of taking turns with them on the test's runtime, and a
        // test may block its thread (a CLI run, a std socket) without stopping the server.
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("tocsin-app".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("server runtime");
                rt.block_on(async move {
                    let mut printed = Vec::new();
                    let started =
                        tocsin::serve::prepare(args, secrets, &mut |line| printed.push(line)).await;
                    let ready = match started {
                        Ok(ready) => ready,
                        Err(e) => {
                            let _ = ready_tx.send(Err(format!("{e:#}")));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok((ready.addr, printed)));
                    // A send or a drop of `stop`: either way, time to stop.
                    let stopping = async {
                        let _ = stopped.await;
                    };
                    if let Err(e) =
                        tocsin_server::serve(ready.listener, ready.state, stopping).await
                    {
                        panic!("in-process server: {e}");
                    }
                });
            })
            .expect("server thread");
        let (addr, printed) = ready_rx
            .await
            .expect("server thread")
            .unwrap_or_else(|e| panic!("in-process server start: {e}"));
        let server = Server {
            running: Running::InProcess {
                stop: Some(stop),
                thread: Some(thread),
            },
            base: format!("http://{addr}"),
            http: client(),
        };
        (server, printed)
    }

    /// Stop an in-process server gracefully and wait until it has, so the next server on the
    /// same data directory finds the database closed.
    #[allow(dead_code)]
    pub async fn shut_down(mut self) {
        let Running::InProcess { stop, thread } = &mut self.running else {
            panic!("shut_down is for in-process servers; use stop() for a process");
        };
        drop(stop.take());
        if let Some(thread) = thread.take() {
            tokio::task::spawn_blocking(move || thread.join())
                .await
                .expect("join")
                .expect("the server thread panicked");
        }
    }

    async fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(r) = self.http.get(self.url("/healthz")).send().await {
                if r.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("server not healthy; log:\n{}", self.log());
    }

    /// What a process server wrote to stderr, every line logged before this call included. An
    /// in-process server's log is not captured (tracing is process-global): a test that reads
    /// the log starts a process.
    ///
    /// The server writes info lines out every 50 ms (`tocsin::log_sink`), in order, so a
    /// running server is sent a request of its own first and the log read once that request's
    /// line is in it; a stopped server has written everything at shutdown.
    pub fn log(&self) -> String {
        match &self.running {
            Running::Process { log, .. } => {
                let read = || std::fs::read_to_string(log).unwrap_or_default();
                let Some(mark) = self.log_mark() else {
                    return read();
                };
                let deadline = Instant::now() + Duration::from_secs(10);
                loop {
                    let text = read();
                    if text.contains(&mark) || Instant::now() > deadline {
                        return text;
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            Running::InProcess { .. } => {
                panic!("an in-process server's log is not captured: start it with Server::start*")
            }
        }
    }

    /// Sends `GET /log-mark-<n>` (a 404, logged like any request) with a blocking socket, so
    /// `log` works from sync and async tests alike; `None` when the server does not answer.
    fn log_mark(&self) -> Option<String> {
        use std::io::{Read, Write};
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = format!("/log-mark-{n}");
        let addr = self.base.strip_prefix("http://")?;
        let mut sock = std::net::TcpStream::connect(addr).ok()?;
        sock.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        sock.write_all(req.as_bytes()).ok()?;
        let mut answer = Vec::new();
        sock.read_to_end(&mut answer).ok()?;
        Some(path)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Running::Process { child, .. } = &mut self.running {
            let _ = child.kill();
            let _ = child.wait();
            if std::thread::panicking() {
                eprintln!("--- server log ---\n{}", self.log());
            }
        }
    }
}

/// The HTTP client every server's `http` is.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}
