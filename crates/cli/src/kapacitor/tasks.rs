//! `tocsin kapacitor tasks --kapacitor-url http://…`: a Kapacitor's enabled tasks that post to
//! this Tocsin (by URL or through an `[[httppost]]` endpoint), their findings, when each last
//! alerted (Kapacitor's own record: the latest event of the task's alert topics), and the
//! services that heard from Kapacitor before but that no enabled task posts to any more.

use anyhow::Context;
use clap::Args as ClapArgs;
use serde_json::{json, Value};
use tocsin_core::kapacitor_check::live::Service;
use tocsin_server::notify::kapacitor::{self, getter};
use tocsin_server::notify::{NotifyConfig, Sender};

use super::check::render;
use super::TocsinArgs;

#[derive(ClapArgs, Debug)]
pub struct Args {
    /// Kapacitor's HTTP API, e.g. http://127.0.0.1:9092.
    #[arg(long, env = "KAPACITOR_URL")]
    kapacitor_url: String,
    /// Kapacitor's config file, for its `[[httppost]]` endpoints, when its config API is off
    /// (`[config-override] enabled = false`); otherwise they come from `GET /kapacitor/v1/config/httppost`.
    #[arg(long)]
    kapacitor_conf: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    tocsin: TocsinArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let (keys, urls) = args.tocsin.urls().await?;
    let services: Vec<Service> = keys
        .iter()
        .map(|s| Service {
            id: s.id,
            name: s.name.clone(),
            key: s.api_key.clone(),
            heard_from_kapacitor: s.heard_from_kapacitor,
        })
        .collect();
    let endpoints = match &args.kapacitor_conf {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
            Some(
                tocsin_core::kapacitor_check::endpoints(&text)
                    .map_err(|e| anyhow::anyhow!("{path} is not a valid kapacitor.conf: {e}"))?,
            )
        }
        None => None,
    };
    // The server's outbound guard, with its defaults: timeouts, no redirects, no proxy, never
    // a link-local or metadata address.
    let sender = Sender::new(&NotifyConfig::default())?;
    let base = args.kapacitor_url.trim_end_matches('/').to_string();
    let read = kapacitor::read(getter(&sender, &base), endpoints, &services, urls.hosts)
        .await
        .map_err(|e| {
            if e.contains(kapacitor::CONFIG_API_OFF) {
                anyhow::anyhow!("{e}: pass its kapacitor.conf with --kapacitor-conf")
            } else {
                anyhow::anyhow!("reading Kapacitor at {base}: {e}")
            }
        })?;
    let listing = read.listing;
    let name = |id| {
        services
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_string(), |s| s.name.clone())
    };
    let rows: Vec<_> = listing.tasks.iter().zip(read.last_alerted).collect();
    if args.json {
        let tasks: Vec<Value> = rows
            .iter()
            .map(|(t, last)| {
                json!({
                    "id": t.id,
                    "services": t.services.iter().map(|s| json!({"id": s, "name": name(*s)})).collect::<Vec<_>>(),
                    "last_alerted_at": last,
                    "findings": t.findings,
                })
            })
            .collect();
        let silent: Vec<Value> = listing
            .silent
            .iter()
            .map(|s| json!({"id": s, "name": name(*s)}))
            .collect();
        println!("{}", json!({"tasks": tasks, "silent_services": silent}));
        return Ok(());
    }
    if rows.is_empty() {
        println!("no enabled task of {base} posts to this Tocsin");
    }
    for (t, last) in &rows {
        let services: Vec<String> = t.services.iter().map(|s| name(*s)).collect();
        println!(
            "task {}  →  {}  (last alerted: {})",
            t.id,
            services.join(", "),
            last.map_or_else(|| "never".to_string(), |l| l.to_rfc3339())
        );
        if !t.findings.is_empty() {
            print!("{}", render(&format!("  {}", t.id), &t.findings));
        }
    }
    for s in &listing.silent {
        println!(
            "silent: service {} received Kapacitor alerts before, but no enabled task posts to it",
            name(*s)
        );
    }
    Ok(())
}
