//! Setting a page run up through Tocsin's own API with the admin token: a new service (so
//! each run's alert keys are new and its numbers are its own), and unless the run is without
//! a policy, a user `bench-pager` whose only contact method is a webhook to this generator's
//! receiver, and a one-step policy naming that user, assigned to the service.

use std::time::Duration;

use anyhow::{bail, Context};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpStream;

use crate::target::Endpoint;

/// The user every policy of the generator pages; made once per server.
pub const PAGER: &str = "bench-pager";
/// The longest one set-up call may take: the run stays bounded if the server hangs.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// A loopback Tocsin's API, called with the admin token.
pub struct Api {
    base: Endpoint,
    token: String,
}

/// What a run posts to.
#[derive(Debug)]
pub struct Prepared {
    pub service_id: String,
    /// The service's Kapacitor webhook URL (holds its key: never printed).
    pub webhook_url: String,
}

impl Api {
    pub fn new(base: Endpoint, token: String) -> Self {
        Api { base, token }
    }

    /// One call on its own connection: (status, JSON body or null).
    pub async fn call(
        &self, method: Method, path: &str, body: Option<Value>,
    ) -> anyhow::Result<(u16, Value)> {
        tokio::time::timeout(CALL_TIMEOUT, self.call_once(method.clone(), path, body))
            .await
            .with_context(|| format!("{method} /api/v1{path}: no answer in {CALL_TIMEOUT:?}"))?
    }

    async fn call_once(
        &self, method: Method, path: &str, body: Option<Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let stream = TcpStream::connect(self.base.addr)
            .await
            .with_context(|| format!("connecting to {}", self.base.display()))?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        let req = Request::builder()
            .method(method)
            .uri(format!("/api/v1{path}"))
            .header(HOST, self.base.host.as_str())
            .header(AUTHORIZATION, format!("Bearer {}", self.token))
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(bytes)))?;
        let resp = sender.send_request(req).await?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await?.to_bytes();
        let v = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Ok((status, v))
    }

    /// A call that must answer 2xx; its body.
    async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let (st, v) = self.call(method.clone(), path, body).await?;
        if !(200..300).contains(&st) {
            bail!("{method} /api/v1{path} answered {st}: {v}");
        }
        Ok(v)
    }

    /// A new service in the first team, and its policy when `delay_minutes` is given.
    pub async fn prepare(
        &self, name: &str, receiver_url: &str, delay_minutes: Option<u32>,
    ) -> anyhow::Result<Prepared> {
        let teams = self.ok(Method::GET, "/teams", None).await?;
        let team = str_field(&teams[0], "id").context("the server has no team")?;
        let svc = self
            .ok(
                Method::POST,
                "/services",
                Some(json!({"name": name, "team_id": team})),
            )
            .await?;
        let service_id = str_field(&svc, "id").context("service id")?;
        let sources = self
            .ok(
                Method::GET,
                &format!("/services/{service_id}/alert-sources"),
                None,
            )
            .await?;
        let webhook_url = sources
            .as_array()
            .and_then(|a| a.iter().find(|s| s["source"] == "kapacitor"))
            .and_then(|s| str_field(s, "webhook_url"))
            .context("the service has no Kapacitor webhook URL")?;
        if let Some(delay) = delay_minutes {
            let user = self.pager(receiver_url).await?;
            let policy = self
                .ok(
                    Method::POST,
                    "/escalation-policies",
                    Some(json!({
                        "team_id": team, "name": name, "repeat": 0,
                        "steps": [{"delay_minutes": delay, "targets": [{"type": "user", "id": user}]}],
                    })),
                )
                .await?;
            let policy = str_field(&policy, "id").context("policy id")?;
            self.ok(
                Method::PATCH,
                &format!("/services/{service_id}"),
                Some(json!({"escalation_policy_id": policy})),
            )
            .await?;
        }
        Ok(Prepared {
            service_id,
            webhook_url,
        })
    }

    /// The user [`PAGER`] (made if missing: hashing its password is the costly part, so only
    /// once per server), with one contact method: a webhook to `receiver_url`. Its older
    /// methods point at receivers that are gone, so they are removed first.
    async fn pager(&self, receiver_url: &str) -> anyhow::Result<String> {
        let users = self.ok(Method::GET, "/users", None).await?;
        let found = users
            .as_array()
            .and_then(|a| a.iter().find(|u| u["username"] == PAGER))
            .and_then(|u| str_field(u, "id"));
        let user = match found {
            Some(id) => id,
            None => {
                let secret: u128 = rand::random();
                let u = self
                    .ok(
                        Method::POST,
                        "/users",
                        Some(json!({
                            "username": PAGER, "email": "bench-pager@example.com",
                            "password": format!("bench-{secret:032x}"),
                        })),
                    )
                    .await?;
                str_field(&u, "id").context("user id")?
            }
        };
        let methods = self
            .ok(Method::GET, &format!("/users/{user}/contact-methods"), None)
            .await?;
        for m in methods.as_array().into_iter().flatten() {
            if let Some(id) = str_field(m, "id") {
                self.ok(
                    Method::DELETE,
                    &format!("/users/{user}/contact-methods/{id}"),
                    None,
                )
                .await?;
            }
        }
        self.ok(
            Method::POST,
            &format!("/users/{user}/contact-methods"),
            Some(json!({"type": "webhook", "name": "bench receiver", "url": receiver_url})),
        )
        .await?;
        Ok(user)
    }
}

fn str_field(v: &Value, k: &str) -> Option<String> {
    v[k].as_str().map(str::to_owned)
}
