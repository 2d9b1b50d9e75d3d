//! `tocsin heartbeat {list,create,delete}`: a service's heartbeats on a running server, one API
//! call each, as in `paging.rs`. The check-in URL (it holds the heartbeat's key) is printed
//! for callers who may see webhook URLs.

use clap::Subcommand;
use serde_json::json;

use crate::remote::{enc, Remote};

#[derive(Subcommand, Debug)]
pub enum HeartbeatCmd {
    /// A service's heartbeats.
    List {
        /// The service's id.
        service: String,
    },
    /// Add a heartbeat (team admins): missed when it has not checked in for --interval
    /// seconds and --grace more; it then opens an incident `heartbeat:<name>` that pages.
    Create {
        service: String,
        #[arg(long)]
        name: String,
        /// Seconds between check-ins (at least 10).
        #[arg(long)]
        interval: i64,
        /// Seconds a check-in may be late.
        #[arg(long, default_value_t = 0)]
        grace: i64,
    },
    /// Delete a heartbeat: it fires no more; an incident it opened stays as it is.
    Delete { service: String, id: String },
}

const COLS: &[&str] = &[
    "id",
    "name",
    "interval_seconds",
    "grace_seconds",
    "state",
    "last_checkin_at",
    "due_at",
    "checkin_url",
];

pub async fn heartbeats(r: Remote<HeartbeatCmd>) -> anyhow::Result<()> {
    let Remote { conn, cmd } = r;
    let c = &conn;
    let base = |svc: &str| format!("/services/{}/heartbeats", enc(svc));
    match cmd {
        HeartbeatCmd::List { service } => c.show(&c.get(&base(&service)).await?, COLS),
        HeartbeatCmd::Create {
            service,
            name,
            interval,
            grace,
        } => {
            let body = json!({"name": name, "interval_seconds": interval, "grace_seconds": grace});
            c.show(&c.post(&base(&service), body).await?, COLS);
        }
        HeartbeatCmd::Delete { service, id } => {
            c.delete(&format!("{}/{}", base(&service), enc(&id)))
                .await?;
            if !c.json {
                println!("deleted heartbeat {id}");
            }
        }
    }
    Ok(())
}
