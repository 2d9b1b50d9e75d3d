//! Starting real servers and talking to them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const ADMIN_TOKEN: &str = "tocsin_test_admin_token_0123456789abcdef";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_tocsin")
}

/// A signed-in browser's credentials: the `tocsin_session=…` cookie pair and the CSRF token.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// A running `tocsin serve`, killed on drop. Its data directory outlives it when kept by the
/// test (restart tests start a second server on the same one).
pub struct Server {
    child: Child,
    pub base: String,
    pub http: reqwest::Client,
    log: PathBuf,
}

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

    /// A server on PostgreSQL at `database_url`; `data_dir` only holds its log.
    #[cfg_attr(not(feature = "postgres-tests"), allow(dead_code))]
    pub async fn start_pg(data_dir: &Path, database_url: &str) -> Server {
        Self::spawn(data_dir, Some(database_url), &[], &[]).await.0
    }

    /// On PostgreSQL with extra environment variables; also returns what first start printed.
    #[allow(dead_code)]
    pub async fn start_pg_with_env(
        data_dir: &Path,
        database_url: &str,
        env: &[(&str, &str)],
    ) -> (Server, Vec<String>) {
        Self::spawn(data_dir, Some(database_url), &[], env).await
    }

    async fn spawn(
        data_dir: &Path,
        database_url: Option<&str>,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> (Server, Vec<String>) {
        Self::spawn_on(data_dir, "127.0.0.1:0", database_url, extra, env).await
    }

    async fn spawn_on(
        data_dir: &Path,
        listen: &str,
        database_url: Option<&str>,
        extra: &[&str],
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
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        let s = Server {
            child,
            base,
            http,
            log,
        };
        s.wait_healthy().await;
        (s, printed)
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

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// SIGKILL, no goodbye: what a crash looks like.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait for a graceful exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.child.wait().expect("wait")
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("GET");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(path))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Any call with any bearer token (`None`: no Authorization header).
    pub async fn call(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.call_with(&self.http, token, method, path, body).await
    }

    /// [`Server::call`] through another client (e.g. one from [`client_from`]).
    pub async fn call_with(
        &self,
        http: &reqwest::Client,
        token: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// `POST /api/v1/session`, as the web UI's login form does.
    pub async fn sign_in(&self, username: &str, password: &str) -> reqwest::Response {
        self.sign_in_with(&self.http, username, password).await
    }

    /// [`Server::sign_in`] through another client (e.g. one from [`client_from`]).
    pub async fn sign_in_with(
        &self,
        http: &reqwest::Client,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        http.post(self.url("/api/v1/session"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("sign in")
    }

    /// Sign in as the web UI does; the session's cookie pair and CSRF token.
    pub async fn session(&self, username: &str, password: &str) -> Session {
        let r = self.sign_in(username, password).await;
        assert_eq!(r.status().as_u16(), 201, "sign in as {username}");
        let cookie = r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|c| c.split(';').next())
            .expect("session cookie")
            .to_owned();
        let body: Value = r.json().await.expect("json");
        let csrf = body["csrf_token"].as_str().expect("csrf").to_owned();
        Session { cookie, csrf }
    }

    /// Any call made with a session cookie (and its CSRF header), as the web UI's script does.
    pub async fn call_as(
        &self,
        session: &Session,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .http
            .request(method, self.url(path))
            .header("cookie", &session.cookie)
            .header("x-tocsin-csrf", &session.csrf);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Sign in and create a token for the user, as a person would from the web UI.
    pub async fn user_token(&self, username: &str, password: &str) -> String {
        self.user_token_with(username, password, json!({})).await
    }

    /// A token for the user with more fields of `POST /tokens` (`role` to narrow it).
    pub async fn user_token_with(&self, username: &str, password: &str, extra: Value) -> String {
        let session = self.session(username, password).await;
        let mut body = json!({"name": format!("{username}'s token")});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let (st, body) = self
            .call_as(&session, "POST", "/api/v1/tokens", Some(body))
            .await;
        assert_eq!(st, 201, "token for {username}: {body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// A client that does not follow redirects, to read where one points.
    pub fn no_redirects(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// A GET with the admin token, as text: (status, content type, body). For pages and raw
    /// payloads.
    pub async fn get_text(&self, path: &str) -> (u16, String, String) {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("GET");
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        (status, content_type, r.text().await.unwrap_or_default())
    }

    /// Every event of an incident, oldest first, read page by page from
    /// `/api/v1/incidents/{id}/events` (the incident itself embeds only its newest events).
    pub async fn timeline(&self, incident_id: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor = String::new();
        loop {
            let (s, page) = self
                .get(&format!(
                    "/api/v1/incidents/{incident_id}/events?limit=200&cursor={cursor}"
                ))
                .await;
            assert_eq!(s, 200, "{page}");
            out.extend(page["events"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = c.to_owned(),
                None => break,
            }
        }
        out.reverse();
        out
    }

    /// An event's raw body, from its `payload_url`.
    pub async fn payload(&self, event: &Value) -> String {
        let url = event["payload_url"].as_str().expect("payload_url");
        let (s, _, body) = self.get_text(url).await;
        assert_eq!(s, 200, "{url}: {body}");
        body
    }

    /// POST raw bytes to an ingestion URL, as Kapacitor does.
    pub async fn send(&self, url: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let r = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("POST alert");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn default_service(&self) -> Value {
        let (s, v) = self.get("/api/v1/services").await;
        assert_eq!(s, 200, "{v}");
        v.as_array()
            .and_then(|a| a.first())
            .cloned()
            .expect("a default service")
    }

    /// A new service in the default team, and its Kapacitor webhook URL.
    pub async fn new_service(&self, name: &str) -> (String, String) {
        let (_, teams) = self.get("/api/v1/teams").await;
        let team = teams[0]["id"].as_str().expect("team id").to_owned();
        let (s, svc) = self
            .post("/api/v1/services", json!({"name": name, "team_id": team}))
            .await;
        assert_eq!(s, 201, "{svc}");
        let id = svc["id"].as_str().expect("id").to_owned();
        let url = self.kapacitor_url(&id).await;
        (id, url)
    }

    pub async fn kapacitor_url(&self, service_id: &str) -> String {
        let (s, sources) = self
            .get(&format!("/api/v1/services/{service_id}/alert-sources"))
            .await;
        assert_eq!(s, 200, "{sources}");
        sources
            .as_array()
            .and_then(|a| a.iter().find(|x| x["source"] == "kapacitor"))
            .and_then(|k| k["webhook_url"].as_str())
            .expect("kapacitor webhook url")
            .to_owned()
    }

    /// Every incident of a service (all pages).
    pub async fn incidents(&self, service_id: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor = String::new();
        loop {
            let (s, page) = self
                .get(&format!(
                    "/api/v1/incidents?service_id={service_id}&limit=500&cursor={cursor}"
                ))
                .await;
            assert_eq!(s, 200, "{page}");
            out.extend(page["incidents"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = c.to_owned(),
                None => return out,
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- server log ---\n{}", self.log());
        }
    }
}

/// An HTTP client whose connections come from `ip`: any 127.0.0.0/8 address reaches a server
/// on 127.0.0.1, so tests of per-client-address limits play a second client as 127.0.0.2
/// while `Server::http` stays 127.0.0.1.
pub fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().expect("ip"))
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// The line of `/metrics` for `name`, e.g. `tocsin_bearer_failures_total 3`.
pub async fn metric(server: &Server, name: &str) -> String {
    let text = server
        .http
        .get(server.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with([' ', '{']))
        .unwrap_or_default()
        .to_owned()
}

/// A Kapacitor alert body, as its default `post` handler encodes it.
pub fn alert(id: &str, level: &str) -> String {
    let body = json!({
        "id": id,
        "message": format!("{id} is {level}"),
        "details": "",
        "time": "2026-11-24T10:00:00.123456789Z",
        "duration": 0,
        "level": level,
        "data": {"series": [{"name": "cpu", "tags": {"host": "web-1"}, "columns": ["time", "usage_idle"], "values": [["2026-11-24T10:00:00.123456789Z", 3.2]]}]},
        "previousLevel": "OK",
        "recoverable": true
    });
    format!("{body}\n")
}
