//! A real Alertmanager under a temporary directory, clustering off, killed on drop (its log
//! printed when the test failed).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const START_DEADLINE: Duration = Duration::from_secs(30);

/// The Alertmanager binary: `ALERTMANAGER`, else `prometheus-alertmanager` on the PATH.
pub fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("ALERTMANAGER").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "ALERTMANAGER={} is not a file; install Alertmanager with \
             `apt-get install -y -qq prometheus-alertmanager`",
            p.display()
        );
        return p;
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("prometheus-alertmanager"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "Prometheus Alertmanager is missing. These tests drive a real one: run ./scripts/test, \
             or install it with `apt-get install -y -qq prometheus-alertmanager` (or set \
             ALERTMANAGER to an alertmanager binary)"
        )
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

pub struct Alertmanager {
    child: Child,
    pub base: String,
    http: reqwest::Client,
    dir: tempfile::TempDir,
}

impl Alertmanager {
    /// Start with one route to one webhook receiver at `url`, resolved alerts sent, and short
    /// group timers so a test sees notifications within seconds.
    pub async fn start(url: &str) -> Alertmanager {
        let bin = binary();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        let mut last_error = String::new();
        for _ in 0..3 {
            let dir = tempfile::tempdir().expect("tmp");
            let port = free_port();
            let conf = dir.path().join("alertmanager.yml");
            std::fs::write(&conf, config(url)).expect("write alertmanager.yml");
            let log = std::fs::File::create(dir.path().join("alertmanager.log")).expect("log");
            let child = Command::new(&bin)
                .arg(format!("--config.file={}", conf.display()))
                .arg(format!(
                    "--storage.path={}",
                    dir.path().join("data").display()
                ))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                // No gossip port on 0.0.0.0: loopback only.
                .arg("--cluster.listen-address=")
                .arg("--log.level=debug")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
            let mut am = Alertmanager {
                child,
                base: format!("http://127.0.0.1:{port}"),
                http: http.clone(),
                dir,
            };
            match am.wait_ready().await {
                Ok(()) => return am,
                Err(e) => {
                    last_error = format!("{e}\n{}", am.log());
                    let busy = last_error.contains("address already in use");
                    drop(am);
                    if !busy {
                        break;
                    }
                }
            }
        }
        panic!("alertmanager did not start:\n{last_error}");
    }

    async fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_DEADLINE;
        let ready = format!("{}/-/ready", self.base);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("alertmanager exited with {status}"));
            }
            if let Ok(r) = self.http.get(&ready).send().await {
                if r.status() == 200 {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Err(format!("no 200 from {ready} within {START_DEADLINE:?}"))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("alertmanager.log")).unwrap_or_default()
    }

    /// `POST /api/v2/alerts`, as Prometheus sends them.
    pub async fn post_alerts(&self, alerts: Value) {
        let r = self
            .http
            .post(format!("{}/api/v2/alerts", self.base))
            .json(&alerts)
            .send()
            .await
            .expect("POST alerts");
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        assert_eq!(status, 200, "posting alerts: {body}");
    }

    /// `GET /api/v2/alerts`: the alerts Alertmanager holds, with their fingerprints.
    pub async fn alerts(&self) -> Vec<Value> {
        let r = self
            .http
            .get(format!("{}/api/v2/alerts", self.base))
            .send()
            .await
            .expect("GET alerts");
        r.json::<Vec<Value>>().await.expect("alerts JSON")
    }

    /// The sum of Alertmanager's own series starting with `prefix` (0 when there is none).
    pub async fn metric(&self, prefix: &str) -> f64 {
        let text = self
            .http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("GET metrics")
            .text()
            .await
            .unwrap_or_default();
        text.lines()
            .filter(|l| l.starts_with(prefix))
            .filter_map(|l| l.rsplit(' ').next())
            .filter_map(|v| v.parse::<f64>().ok())
            .sum()
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- alertmanager.log ---\n{}", self.log());
        }
    }
}

/// The receiver exactly as the service page's guide writes it, with test-speed timers.
fn config(url: &str) -> String {
    format!(
        r#"route:
  receiver: tocsin
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h

receivers:
  - name: tocsin
    webhook_configs:
      - url: '{url}'
        send_resolved: true
"#
    )
}
