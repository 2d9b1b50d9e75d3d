//! Noise control from the command line (issue 18): `tocsin service rules get|set` and
//! `tocsin maintenance list|create|end`. Each is one API call, as in `remote.rs`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use serde_json::{json, Value};

use crate::client::Conn;
use crate::remote::{enc, Remote};

const WINDOW_COLS: &[&str] = &[
    "id",
    "start",
    "end",
    "time_zone",
    "weekly",
    "active",
    "ended_at",
];

#[derive(Subcommand, Debug)]
pub enum RulesCmd {
    /// Print a service's rules, in order, as JSON.
    Get { service: String },
    /// Replace a service's rules with the JSON list in --file (`-` reads stdin). A bad rule is
    /// refused, naming it (`rules[1].conditions[0].value: …`), and nothing changes.
    Set {
        service: String,
        #[arg(long)]
        file: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum MaintenanceCmd {
    /// A service's maintenance windows, newest first.
    List { service: String },
    /// Add a window: alerts that arrive during it are suppressed (stored, never paged).
    Create {
        service: String,
        /// RFC 3339, e.g. 2026-12-24T18:00:00Z.
        #[arg(long)]
        start: String,
        /// RFC 3339; without it, until ended.
        #[arg(long)]
        end: Option<String>,
        /// IANA zone whose wall clock a weekly window repeats in (default UTC).
        #[arg(long)]
        time_zone: Option<String>,
        /// Repeat every week (needs --end, less than a week after --start).
        #[arg(long)]
        weekly: bool,
    },
    /// End a window now (or remove one that has not begun).
    End { service: String, window: String },
}

pub async fn rules(c: &Conn, cmd: RulesCmd) -> anyhow::Result<()> {
    match cmd {
        RulesCmd::Get { service } => {
            let v = c.get(&format!("/services/{}/rules", enc(&service))).await?;
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        RulesCmd::Set { service, file } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin()).context("reading stdin")?
            } else {
                std::fs::read_to_string(&file)
                    .with_context(|| format!("reading {}", file.display()))?
            };
            let list: Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            let v = c
                .call(
                    reqwest::Method::PUT,
                    &format!("/services/{}/rules", enc(&service)),
                    Some(list),
                )
                .await?;
            if c.json {
                c.show(&v, &[]);
            } else {
                let n = v.as_array().map_or(0, Vec::len);
                println!(
                    "saved {n} rule{} on {service}",
                    if n == 1 { "" } else { "s" }
                );
            }
        }
    }
    Ok(())
}

pub async fn maintenance(r: Remote<MaintenanceCmd>) -> anyhow::Result<()> {
    let c = &r.conn;
    match r.cmd {
        MaintenanceCmd::List { service } => c.show(
            &c.get(&format!("/services/{}/maintenance-windows", enc(&service)))
                .await?,
            WINDOW_COLS,
        ),
        MaintenanceCmd::Create {
            service,
            start,
            end,
            time_zone,
            weekly,
        } => {
            let mut body = json!({"start": start, "end": end, "weekly": weekly});
            if let Some(tz) = time_zone {
                body["time_zone"] = json!(tz);
            }
            let v = c
                .post(
                    &format!("/services/{}/maintenance-windows", enc(&service)),
                    body,
                )
                .await?;
            c.show(&v, WINDOW_COLS);
        }
        MaintenanceCmd::End { service, window } => {
            let v = c
                .delete(&format!(
                    "/services/{}/maintenance-windows/{}",
                    enc(&service),
                    enc(&window)
                ))
                .await?;
            if c.json {
                c.show(&v, &[]);
            } else {
                println!(
                    "{} maintenance window {window}",
                    v["result"].as_str().unwrap_or("ended")
                );
            }
        }
    }
    Ok(())
}
