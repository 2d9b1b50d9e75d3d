//! A real `kapacitord`, configured like a fresh installation but with everything under a
//! temporary directory, on a free loopback port, killed on drop (its log printed when the
//! test failed).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The database and retention policy every task reads and every write goes to. Kapacitor
/// only routes a point to a task when both match, so writes always name the `rp`.
pub const DB: &str = "telegraf";
pub const RP: &str = "autogen";

/// How long kapacitord may take to answer its ping (observed 0.2–0.9 s; generous for CI load).
const START_DEADLINE: Duration = Duration::from_secs(30);

/// The directory holding `kapacitord` and `kapacitor`, from `KAPACITORD`. Unset is a failure,
/// never a skip: these tests are the only proof that real Kapacitor and Tocsin agree.
pub fn bin_dir() -> PathBuf {
    let Some(dir) = std::env::var_os("KAPACITORD").filter(|d| !d.is_empty()) else {
        panic!(
            "KAPACITORD is not set. These tests drive a real Kapacitor: run ./scripts/test, or \
             export KAPACITORD=$(KAPACITOR_VERSION=v1.5.9 scripts/kapacitord.sh | tail -n1) \
             (the directory holding kapacitord and kapacitor)"
        );
    };
    let dir = PathBuf::from(dir);
    for exe in ["kapacitord", "kapacitor"] {
        assert!(
            dir.join(exe).is_file(),
            "KAPACITORD={} has no {exe}; build it with scripts/kapacitord.sh",
            dir.display()
        );
    }
    dir
}

/// A port nobody listens on right now. Another process may take it before we bind it, so
/// callers retry on "address already in use".
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

pub struct Kapacitor {
    child: Child,
    pub base: String,
    http: reqwest::Client,
    dir: tempfile::TempDir,
}

impl Kapacitor {
    /// Start with `extra` appended to the minimal configuration (`[[httppost]]` blocks).
    pub async fn start(extra: &str) -> Kapacitor {
        Self::start_inner(extra, false).await
    }

    /// As [`Kapacitor::start`], with Kapacitor's config API on (its default:
    /// `GET /kapacitor/v1/config/…` answers; the other tests turn it off).
    pub async fn start_with_config_api(extra: &str) -> Kapacitor {
        Self::start_inner(extra, true).await
    }

    async fn start_inner(extra: &str, config_api: bool) -> Kapacitor {
        let bin = bin_dir().join("kapacitord");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        let mut last_error = String::new();
        for _ in 0..3 {
            let dir = tempfile::tempdir().expect("tmp");
            let port = free_port();
            let conf = dir.path().join("kapacitor.conf");
            std::fs::write(&conf, config(dir.path(), port, extra, config_api))
                .expect("write kapacitor.conf");
            let out = std::fs::File::create(dir.path().join("stdout.log")).expect("stdout file");
            let err = std::fs::File::create(dir.path().join("stderr.log")).expect("stderr file");
            let child = Command::new(&bin)
                .arg("-config")
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
            let mut k = Kapacitor {
                child,
                base: format!("http://127.0.0.1:{port}"),
                http: http.clone(),
                dir,
            };
            match k.wait_ready().await {
                Ok(()) => return k,
                Err(e) => {
                    last_error = format!("{e}\n{}", k.output());
                    let busy = last_error.contains("address already in use");
                    drop(k);
                    if !busy {
                        break;
                    }
                }
            }
        }
        panic!("kapacitord did not start:\n{last_error}");
    }

    /// Ready when `GET /kapacitor/v1/ping` answers 204: the HTTP service opens last, so the
    /// task master and the httppost service are up by then.
    async fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_DEADLINE;
        let ping = format!("{}/kapacitor/v1/ping", self.base);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("kapacitord exited with {status}"));
            }
            if let Ok(r) = self.http.get(&ping).send().await {
                if r.status() == 204 {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Err(format!("no 204 from {ping} within {START_DEADLINE:?}"))
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Kapacitor's own log (level INFO): handler errors appear as `lvl=error`.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("kapacitor.log")).unwrap_or_default()
    }

    fn output(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.dir.path().join(f)).unwrap_or_default();
        format!(
            "--- kapacitord stderr ---\n{}\n--- kapacitord stdout ---\n{}\n--- kapacitor.log ---\n{}",
            read("stderr.log"),
            read("stdout.log"),
            self.log()
        )
    }

    /// A stream task reading `telegraf.autogen`, enabled at once.
    pub async fn define_task(&self, id: &str, script: &str) {
        let r = self
            .http
            .post(format!("{}/kapacitor/v1/tasks", self.base))
            .json(&json!({
                "id": id,
                "type": "stream",
                "dbrps": [{"db": DB, "rp": RP}],
                "script": script,
                "status": "enabled",
            }))
            .send()
            .await
            .expect("POST task");
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        assert_eq!(status, 200, "defining task {id}: {body}\nscript:\n{script}");
    }

    /// Line protocol (nanosecond timestamps). Each point is evaluated as it arrives; the
    /// alert's POST leaves Kapacitor shortly after this returns.
    pub async fn write(&self, lines: &str) {
        let r = self
            .http
            .post(format!("{}/kapacitor/v1/write?db={DB}&rp={RP}", self.base))
            .body(lines.to_owned())
            .send()
            .await
            .expect("POST write");
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        assert_eq!(status, 204, "writing {lines:?}: {body}");
    }

    /// `POST /kapacitor/v1/service-tests/httppost`: what Chronograf's "Test" button does.
    pub async fn service_test(&self, options: Value) -> Value {
        self.service_test_of("httppost", options).await
    }

    /// `POST /kapacitor/v1/service-tests/<service>` (`alerta`, `opsgenie2`, …).
    pub async fn service_test_of(&self, service: &str, options: Value) -> Value {
        let r = self
            .http
            .post(format!(
                "{}/kapacitor/v1/service-tests/{service}",
                self.base
            ))
            .json(&options)
            .send()
            .await
            .expect("POST service test");
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 200, "service test: {body}");
        body
    }

    /// The `kapacitor` CLI pointed at this server, as a user would run it.
    pub fn cli(&self, args: &[&str]) -> Output {
        let out = Command::new(bin_dir().join("kapacitor"))
            .args(["-url", &self.base])
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .expect("run kapacitor");
        assert!(
            out.status.success(),
            "kapacitor {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

impl Drop for Kapacitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("{}", self.output());
        }
    }
}

/// A fresh installation's essentials: nothing listens beyond loopback, nothing reaches the
/// network (no InfluxDB subscription, no usage reporting), every file under `dir`.
fn config(dir: &Path, port: u16, extra: &str, config_api: bool) -> String {
    let d = dir.display();
    format!(
        r#"hostname = "127.0.0.1"
data_dir = "{d}/data"
skip-config-overrides = true

[http]
  bind-address = "127.0.0.1:{port}"
  auth-enabled = false
  log-enabled = true
  https-enabled = false

[config-override]
  enabled = {config_api}

[logging]
  file = "{d}/kapacitor.log"
  level = "INFO"

[load]
  enabled = false
  dir = "{d}/load"

[replay]
  dir = "{d}/replay"

[task]
  dir = "{d}/tasks"

[storage]
  boltdb = "{d}/kapacitor.db"

[[influxdb]]
  enabled = false
  name = "default"
  urls = ["http://127.0.0.1:1"]

[reporting]
  enabled = false

[stats]
  enabled = false

{extra}
"#
    )
}
