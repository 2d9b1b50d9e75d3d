//! Reading a Kapacitor's live tasks over HTTP: the one sequence of requests the doctor makes,
//! shared by the server (the team's Kapacitor page and API) and the CLI
//! (`tocsin kapacitor tasks`), both through [`super::Sender::get_json`], the outbound guard.
//! What the answers mean is `core::kapacitor_check::live`'s.

use std::collections::BTreeSet;
use std::future::Future;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tocsin_core::kapacitor_check::live::{self, Listing, Service, Task};
use tocsin_core::kapacitor_check::HttpPostEndpoint;

use super::Sender;

/// The most of one answer read: a task list with many scripts is large, but bounded.
pub const MAX_ANSWER: usize = 8 * 1024 * 1024;
/// Pages of 100 tasks read at most.
const MAX_PAGES: usize = 20;
/// Said when Kapacitor refuses its config API (`[config-override] enabled = false`).
pub const CONFIG_API_OFF: &str =
    "Kapacitor's config API is off ([config-override] enabled = false)";

/// The listing, and each listed task's last alert (Kapacitor's record), in the same order.
#[derive(Debug)]
pub struct LiveRead {
    pub listing: Listing,
    pub last_alerted: Vec<Option<DateTime<Utc>>>,
}

/// `GET <base><path>` through the guard.
pub fn getter<'a>(
    sender: &'a Sender, base: &'a str,
) -> impl Fn(String) -> std::pin::Pin<Box<dyn Future<Output = Result<Value, String>> + Send + 'a>> + 'a
{
    move |path: String| {
        let url = format!("{}{path}", base.trim_end_matches('/'));
        Box::pin(async move {
            sender
                .get_json(&url, MAX_ANSWER)
                .await
                .map_err(|e| format!("GET {url}: {e}"))
        })
    }
}

/// Read the Kapacitor behind `get`: its `[[httppost]]` endpoints (unless given, e.g. from its
/// config file), every task, and the last alert of each task that posts to `services`.
pub async fn read<F, Fut>(
    get: F, endpoints: Option<Vec<HttpPostEndpoint>>, services: &[Service], hosts: BTreeSet<String>,
) -> Result<LiveRead, String>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<Value, String>>,
{
    let endpoints = match endpoints {
        Some(e) => e,
        None => {
            let config = get("/kapacitor/v1/config/httppost".into())
                .await
                .map_err(|e| {
                    if e.contains("403") {
                        format!("{e}: {CONFIG_API_OFF}")
                    } else {
                        e
                    }
                })?;
            live::parse_httppost(&config)
                .ok_or("its httppost config is not what Kapacitor answers")?
        }
    };
    let mut tasks: Vec<Task> = Vec::new();
    for _ in 0..MAX_PAGES {
        let path = format!(
            "/kapacitor/v1/tasks?fields=status&fields=script&limit=100&offset={}",
            tasks.len()
        );
        let page = live::parse_tasks(&get(path).await?)
            .ok_or("its task list is not what Kapacitor answers")?;
        let n = page.len();
        tasks.extend(page);
        if n < 100 {
            break;
        }
    }
    let listing = live::listing(&tasks, endpoints, services, hosts);
    let mut last_alerted = Vec::with_capacity(listing.tasks.len());
    for t in &listing.tasks {
        last_alerted.push(last_alert(&get, &t.id).await);
    }
    Ok(LiveRead {
        listing,
        last_alerted,
    })
}

/// The latest event of the task's alert nodes' topics (`main:<task>:<node>`), if any.
async fn last_alert<F, Fut>(get: &F, task: &str) -> Option<DateTime<Utc>>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<Value, String>>,
{
    let pattern: String =
        url::form_urlencoded::byte_serialize(format!("main:{task}:*").as_bytes()).collect();
    let topics = get(format!("/kapacitor/v1/alerts/topics?pattern={pattern}"))
        .await
        .ok()?;
    let mut latest = None;
    for link in live::parse_topic_event_links(&topics) {
        // Links are paths on the same Kapacitor; anything else is not followed.
        if !link.starts_with("/kapacitor/v1/alerts/topics/") {
            continue;
        }
        if let Ok(events) = get(link).await {
            latest = latest.max(live::latest_event_time(&events));
        }
    }
    latest
}
