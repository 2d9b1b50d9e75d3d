//! On-call schedules through the API: shapes, who is on call across a hand-off (and a
//! daylight-saving change), shifts that agree with it, overrides, gaps, the iCalendar feeds
//! and their secret URLs, and bad input naming its field. Who may call which route is in
//! `access.rs`; the CLI is in `cli.rs`.

mod api;
mod calendar;
mod cli;

use serde_json::{json, Value};

use crate::paging::{teams, PASSWORD};
use crate::support::Server;

/// A server with two teams (A, B), users ann and bob, and ann's own token.
pub struct World {
    pub _tmp: tempfile::TempDir,
    pub server: Server,
    pub a: String,
    pub b: String,
    pub ann: String,
    pub bob: String,
    pub ann_token: String,
    /// A PostgreSQL cluster the server uses, kept alive with it.
    pub _pg: Option<Box<dyn std::any::Any + Send>>,
}

/// On SQLite.
pub async fn world() -> World {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app(tmp.path()).await;
    world_on(tmp, server, None).await
}

/// On a PostgreSQL cluster of its own.
#[cfg(feature = "postgres-tests")]
pub async fn world_pg() -> World {
    let pg = crate::pg_cluster::PgCluster::start();
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::spawn_app_pg(tmp.path(), &pg.url).await;
    world_on(tmp, server, Some(Box::new(pg))).await
}

async fn world_on(
    tmp: tempfile::TempDir, server: Server, pg: Option<Box<dyn std::any::Any + Send>>,
) -> World {
    let ann = server.new_user("ann", PASSWORD, false).await;
    let bob = server.new_user("bob", PASSWORD, false).await;
    let ann_token = server.user_token("ann", PASSWORD).await;
    let [(a, _), (b, _)] = teams(&server).await;
    World {
        _tmp: tmp,
        server,
        a,
        b,
        ann,
        bob,
        ann_token,
        _pg: pg,
    }
}

/// A daily rotation of `people` in Europe/Berlin, handing over at 09:00 local from `start`.
pub fn daily(team: &str, name: &str, people: &[&str], start: &str) -> Value {
    json!({
        "team_id": team,
        "name": name,
        "time_zone": "Europe/Berlin",
        "layers": [{
            "name": "primary",
            "participants": people,
            "rotation": {"unit": "day", "length": 1},
            "start": start,
            "restrictions": [],
        }],
    })
}

pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}
