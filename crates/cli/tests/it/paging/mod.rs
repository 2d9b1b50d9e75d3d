//! Paging's configuration through the API: contact methods and their test sends (to real
//! loopback receivers), notification rules, team channels, escalation policies and a
//! service's policy; and the CLI that drives them. Who may call which route is in
//! `access.rs`.

mod cli;
mod contact_methods;
pub mod engine;
#[cfg(feature = "postgres-tests")]
mod nodes;
mod oncall;
mod policies;
mod survive;

use std::time::Duration;

use serde_json::{json, Value};
use tocsin_server::notify::testing::{Answer, HttpReceiver};

use crate::support::Server;

pub const PASSWORD: &str = "correct horse battery";
pub const WAIT: Duration = Duration::from_secs(10);

/// A server, a user `ann` with a token of her own, and her id.
pub async fn ann() -> (tempfile::TempDir, Server, String, String) {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    let id = server.new_user("ann", PASSWORD, false).await;
    let token = server.user_token("ann", PASSWORD).await;
    (tmp, server, id, token)
}

pub async fn receiver(answer: Answer) -> HttpReceiver {
    HttpReceiver::start(answer)
        .await
        .expect("loopback receiver")
}

pub fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

/// Two teams, A and B, each with a service; the admin token acts.
pub async fn teams(server: &Server) -> [(String, String); 2] {
    let mut out = Vec::new();
    for name in ["Alpha", "Bravo"] {
        let t = server
            .admin("POST", "/teams", Some(json!({"name": name})))
            .await;
        let t = t["id"].as_str().expect("team").to_owned();
        let svc = server
            .admin(
                "POST",
                "/services",
                Some(json!({"name": "web", "team_id": t})),
            )
            .await;
        out.push((t, svc["id"].as_str().expect("svc").to_owned()));
    }
    [out[0].clone(), out[1].clone()]
}
