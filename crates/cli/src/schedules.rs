//! The schedule commands that talk to a running server: schedules, their shifts and
//! overrides, and `tocsin oncall` (who is on call now, or at an instant). Each is one API
//! call (or one per schedule for `oncall`), as in `remote.rs`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand};
use serde_json::{json, Value};

use crate::client::Conn;
use crate::remote::{enc, Remote};

#[derive(Subcommand, Debug)]
pub enum ScheduleCmd {
    /// Create a schedule (team admins) from a JSON file as `POST /api/v1/schedules` takes it:
    /// {team_id, name, time_zone, layers: [...]}. Prints the gaps of the next 14 days.
    Create {
        #[arg(long)]
        file: PathBuf,
        /// Replaces the file's team_id.
        #[arg(long)]
        team: Option<String>,
        /// Replaces the file's name.
        #[arg(long)]
        name: Option<String>,
    },
    List {
        #[arg(long)]
        team: Option<String>,
    },
    /// A schedule, its layers and its gaps.
    Show { id: String },
    /// Delete a schedule (refused while an escalation policy names it).
    Remove { id: String },
    /// Who is on call over a range, final result.
    Shifts {
        id: String,
        /// RFC 3339, e.g. 2026-12-01T00:00:00Z.
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
    /// A schedule's overrides: add, list, remove.
    Override {
        #[command(subcommand)]
        cmd: OverrideCmd,
    },
}

#[derive(Subcommand, Debug)]
pub enum OverrideCmd {
    /// "--user instead, from --start to --end" (RFC 3339).
    Add {
        schedule: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        start: String,
        #[arg(long)]
        end: String,
    },
    /// Current and future overrides.
    List {
        schedule: String,
    },
    Remove {
        schedule: String,
        id: String,
    },
}

#[derive(ClapArgs, Debug)]
pub struct OncallArgs {
    #[command(flatten)]
    conn: Conn,
    /// One schedule (default: every schedule you can see).
    #[arg(long)]
    schedule: Option<String>,
    /// The instant asked about, RFC 3339 (default: now).
    #[arg(long)]
    at: Option<String>,
}

const SCHEDULE_COLS: &[&str] = &["id", "team_id", "name", "time_zone"];
const SHIFT_COLS: &[&str] = &["user_id", "start", "end", "layer", "override"];
const OVERRIDE_COLS: &[&str] = &["id", "user_id", "start", "end"];
const GAP_COLS: &[&str] = &["start", "end"];
const ONCALL_COLS: &[&str] = &["schedule_id", "schedule", "users", "until"];

/// The layers and gaps under a schedule's row.
fn show_details(v: &Value) {
    for (i, l) in v["layers"].as_array().into_iter().flatten().enumerate() {
        let people: Vec<&str> = l["participants"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        println!(
            "layer {}: {:?}, every {} {}(s) from {}: {}",
            i + 1,
            l["name"].as_str().unwrap_or("?"),
            l["rotation"]["length"],
            l["rotation"]["unit"].as_str().unwrap_or("?"),
            l["start"].as_str().unwrap_or("?"),
            people.join(", ")
        );
    }
    let gaps = v["gaps"].as_array().map_or(0, Vec::len);
    if gaps == 0 {
        println!("no gaps in the next 14 days");
    } else {
        println!("\ngaps in the next 14 days (nobody on call):");
        print!(
            "{}",
            crate::client::table(
                GAP_COLS,
                &v["gaps"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
            )
        );
    }
}

fn show_schedule(c: &Conn, v: &Value) {
    c.show(v, SCHEDULE_COLS);
    if !c.json {
        show_details(v);
    }
}

pub async fn schedules(r: Remote<ScheduleCmd>) -> anyhow::Result<()> {
    let Remote { conn, cmd } = r;
    let c = &conn;
    match cmd {
        ScheduleCmd::Create { file, team, name } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let mut body = serde_json::from_str::<Value>(&text)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            let Some(obj) = body.as_object_mut() else {
                anyhow::bail!("the schedule must be a JSON object");
            };
            if let Some(t) = team {
                obj.insert("team_id".into(), json!(t));
            }
            if let Some(n) = name {
                obj.insert("name".into(), json!(n));
            }
            show_schedule(c, &c.post("/schedules", body).await?);
        }
        ScheduleCmd::List { team } => {
            let q = team
                .map(|t| format!("?team_id={}", enc(&t)))
                .unwrap_or_default();
            c.show(&c.get(&format!("/schedules{q}")).await?, SCHEDULE_COLS);
        }
        ScheduleCmd::Show { id } => {
            show_schedule(c, &c.get(&format!("/schedules/{}", enc(&id))).await?);
        }
        ScheduleCmd::Remove { id } => {
            c.delete(&format!("/schedules/{}", enc(&id))).await?;
            if !c.json {
                println!("deleted schedule {id}");
            }
        }
        ScheduleCmd::Shifts { id, from, to } => {
            let path = format!(
                "/schedules/{}/shifts?from={}&to={}",
                enc(&id),
                enc(&from),
                enc(&to)
            );
            c.show(&c.get(&path).await?, SHIFT_COLS);
        }
        ScheduleCmd::Override { cmd } => overrides(c, cmd).await?,
    }
    Ok(())
}

async fn overrides(c: &Conn, cmd: OverrideCmd) -> anyhow::Result<()> {
    let base = |s: &str| format!("/schedules/{}/overrides", enc(s));
    match cmd {
        OverrideCmd::Add {
            schedule,
            user,
            start,
            end,
        } => {
            let body = json!({"user_id": user, "start": start, "end": end});
            c.show(&c.post(&base(&schedule), body).await?, OVERRIDE_COLS);
        }
        OverrideCmd::List { schedule } => {
            c.show(&c.get(&base(&schedule)).await?, OVERRIDE_COLS);
        }
        OverrideCmd::Remove { schedule, id } => {
            c.delete(&format!("{}/{}", base(&schedule), enc(&id)))
                .await?;
            if !c.json {
                println!("deleted override {id}");
            }
        }
    }
    Ok(())
}

/// `tocsin oncall`: one row per schedule with who is on call and until when.
pub async fn oncall(a: OncallArgs) -> anyhow::Result<()> {
    let c = &a.conn;
    let schedules: Vec<Value> = match &a.schedule {
        Some(id) => vec![c.get(&format!("/schedules/{}", enc(id))).await?],
        None => c
            .get("/schedules")
            .await?
            .as_array()
            .cloned()
            .unwrap_or_default(),
    };
    let q =
        a.at.as_deref()
            .map(|t| format!("?at={}", enc(t)))
            .unwrap_or_default();
    let mut rows = Vec::new();
    for s in &schedules {
        let id = s["id"].as_str().unwrap_or_default();
        let on = c.get(&format!("/schedules/{}/on-call{q}", enc(id))).await?;
        let users: Vec<&str> = on["users"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|u| u["username"].as_str())
            .collect();
        rows.push(json!({
            "schedule_id": id,
            "schedule": s["name"],
            "users": if users.is_empty() { Value::Null } else { json!(users.join(", ")) },
            "until": on["until"],
            "on_call": on["users"],
        }));
    }
    c.show(&Value::Array(rows), ONCALL_COLS);
    Ok(())
}
