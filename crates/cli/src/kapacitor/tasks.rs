//! `tocsin kapacitor tasks --kapacitor-url http://…`: a Kapacitor's enabled tasks that post to
//! this Tocsin (by URL or through an `[[httppost]]` endpoint), their findings, when each last
//! alerted (Kapacitor's own record: the latest event of the task's alert topics), and the
//! services that heard from Kapacitor before but that no enabled task posts to any more.

use std::time::Duration;

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use clap::Args as ClapArgs;
use serde_json::{json, Value};
use tocsin_core::kapacitor_check::live::{self, Service, Task};

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

struct Kapacitor {
    base: String,
    http: reqwest::Client,
}

impl Kapacitor {
    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.base);
        let res = self
            .http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("GET {url}: is Kapacitor running there?"))?;
        let status = res.status();
        if status == reqwest::StatusCode::FORBIDDEN && path.starts_with("/kapacitor/v1/config") {
            bail!(
                "GET {url}: 403: Kapacitor's config API is off ([config-override] enabled = false); \
                 pass its kapacitor.conf with --kapacitor-conf"
            );
        }
        if !status.is_success() {
            bail!("GET {url}: {status}");
        }
        res.json()
            .await
            .with_context(|| format!("GET {url}: not JSON"))
    }

    async fn tasks(&self) -> anyhow::Result<Vec<Task>> {
        let mut all = Vec::new();
        loop {
            let page = self
                .get(&format!(
                    "/kapacitor/v1/tasks?fields=status&fields=script&limit=100&offset={}",
                    all.len()
                ))
                .await?;
            let tasks = live::parse_tasks(&page)
                .context("Kapacitor's task list is not what Kapacitor answers")?;
            let n = tasks.len();
            all.extend(tasks);
            if n < 100 {
                return Ok(all);
            }
        }
    }

    /// The latest event time of the task's alert nodes' topics, if it ever alerted.
    async fn last_alerted(&self, task: &str) -> Option<DateTime<Utc>> {
        let pattern: String = url_encode(&format!("main:{task}:*"));
        let topics = self
            .get(&format!("/kapacitor/v1/alerts/topics?pattern={pattern}"))
            .await
            .ok()?;
        let mut latest = None;
        for link in live::parse_topic_event_links(&topics) {
            if let Ok(events) = self.get(&link).await {
                latest = latest.max(live::latest_event_time(&events));
            }
        }
        latest
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let (keys, urls) = args.tocsin.urls().await?;
    let k = Kapacitor {
        base: args.kapacitor_url.trim_end_matches('/').to_string(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()?,
    };
    let endpoints = match &args.kapacitor_conf {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
            tocsin_core::kapacitor_check::endpoints(&text)
                .map_err(|e| anyhow::anyhow!("{path} is not a valid kapacitor.conf: {e}"))?
        }
        None => live::parse_httppost(&k.get("/kapacitor/v1/config/httppost").await?)
            .context("Kapacitor's httppost config is not what Kapacitor answers")?,
    };
    let tasks = k.tasks().await?;
    let services: Vec<Service> = keys
        .iter()
        .map(|s| Service {
            id: s.id,
            name: s.name.clone(),
            key: s.api_key.clone(),
            heard_from_kapacitor: s.heard_from_kapacitor,
        })
        .collect();
    let listing = live::listing(&tasks, endpoints, &services, urls.hosts);
    let name = |id| {
        services
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_string(), |s| s.name.clone())
    };
    let mut rows = Vec::new();
    for t in &listing.tasks {
        let last = k.last_alerted(&t.id).await;
        rows.push((t, last));
    }
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
        println!("no enabled task of {} posts to this Tocsin", k.base);
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
