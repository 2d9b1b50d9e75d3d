//! Talking to a server: requests with the admin token, a session or any token, and the
//! resources most tests need (services, incidents, timelines).

use std::time::Duration;

use serde_json::{json, Value};

use super::{Server, Session, ADMIN_TOKEN};

impl Server {
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
        &self, token: Option<&str>, method: &str, path: &str, body: Option<Value>,
    ) -> (u16, Value) {
        self.call_with(&self.http, token, method, path, body).await
    }

    /// [`Server::call`] through another client (e.g. one from [`client_from`]).
    pub async fn call_with(
        &self, http: &reqwest::Client, token: Option<&str>, method: &str, path: &str,
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
        &self, http: &reqwest::Client, username: &str, password: &str,
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
        &self, session: &Session, method: &str, path: &str, body: Option<Value>,
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
        let mut out = self
            .all_pages(
                &format!("/api/v1/incidents/{incident_id}/events?limit=200"),
                "events",
            )
            .await;
        out.reverse();
        out
    }

    /// Every item of a cursor-paged list: `path` (with its query) followed page by page through
    /// `next_cursor`, the items read from `field`.
    pub async fn all_pages(&self, path: &str, field: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor = String::new();
        loop {
            let (s, page) = self.get(&format!("{path}&cursor={cursor}")).await;
            assert_eq!(s, 200, "{page}");
            out.extend(page[field].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = c.to_owned(),
                None => return out,
            }
        }
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

    /// The Default Service's Kapacitor webhook URL.
    pub async fn default_webhook(&self) -> String {
        let svc = self.default_service().await;
        self.kapacitor_url(svc["id"].as_str().expect("service id"))
            .await
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

    /// One alert source of a service as `GET …/alert-sources` lists it (URL, key, activity).
    pub async fn alert_source(&self, service_id: &str, slug: &str) -> Value {
        let (s, sources) = self
            .get(&format!("/api/v1/services/{service_id}/alert-sources"))
            .await;
        assert_eq!(s, 200, "{sources}");
        sources
            .as_array()
            .and_then(|a| a.iter().find(|x| x["source"] == slug))
            .cloned()
            .unwrap_or_else(|| panic!("no alert source {slug} in {sources}"))
    }

    /// The webhook URL of a service's alert source, as a person copies it from the catalogue.
    pub async fn webhook_url(&self, service_id: &str, slug: &str) -> String {
        let src = self.alert_source(service_id, slug).await;
        src["webhook_url"]
            .as_str()
            .unwrap_or_else(|| panic!("no {slug} webhook url in {src}"))
            .to_owned()
    }

    /// Every incident of a service (all pages).
    pub async fn incidents(&self, service_id: &str) -> Vec<Value> {
        self.all_pages(
            &format!("/api/v1/incidents?service_id={service_id}&limit=500"),
            "incidents",
        )
        .await
    }

    /// A call with the admin token to `/api/v1{path}` that must succeed; its body.
    pub async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (st, v) = self
            .call(Some(ADMIN_TOKEN), method, &format!("/api/v1{path}"), body)
            .await;
        assert!(st < 300, "{method} {path}: {st} {v}");
        v
    }

    /// A new user (`name@example.com`), made by the admin; its id.
    pub async fn new_user(&self, name: &str, password: &str, org_admin: bool) -> String {
        let v = self
            .admin(
                "POST",
                "/users",
                Some(json!({"username": name, "email": format!("{name}@example.com"), "password": password, "org_admin": org_admin})),
            )
            .await;
        v["id"].as_str().expect("user id").to_owned()
    }

    /// Make `user` a member of `team` with `role`, as the admin.
    pub async fn add_member(&self, team: &str, user: &str, role: &str) {
        self.admin(
            "POST",
            &format!("/teams/{team}/members"),
            Some(json!({"user_id": user, "role": role})),
        )
        .await;
    }

    /// The whole `/metrics` text (no token: as long as none is configured).
    pub async fn metrics(&self) -> String {
        self.http
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }
}
