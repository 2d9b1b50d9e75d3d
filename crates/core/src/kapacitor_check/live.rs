//! The live tasks of a Kapacitor that post to this Tocsin: what its HTTP API answers, read
//! into the checks' inputs, and the listing the CLI (`tocsin kapacitor tasks`) and the team's
//! page both show. Fetching is the caller's (the CLI with reqwest, the server through its
//! outbound guard); this module only reads the answers.
//!
//! Kapacitor's API: `GET /kapacitor/v1/tasks` (`{"tasks": [{id, status, script, …}]}`),
//! `GET /kapacitor/v1/config/httppost` (`{"elements": [{"options": {endpoint, url, …}}]}`),
//! and an alert node's anonymous topic `main:<task>:<node>` under
//! `GET /kapacitor/v1/alerts/topics` whose events carry the time of each alert id's latest
//! state: the task's "last alerted".

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{analyze, Finding, HttpPostEndpoint, Inputs, TocsinUrls};
use crate::ServiceId;

/// One task as Kapacitor lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: String,
    pub enabled: bool,
    pub script: String,
}

/// `GET /kapacitor/v1/tasks`: the tasks of one page (Kapacitor pages with `offset`/`limit`).
pub fn parse_tasks(body: &Value) -> Option<Vec<Task>> {
    let tasks = body.get("tasks")?.as_array()?;
    Some(
        tasks
            .iter()
            .filter_map(|t| {
                Some(Task {
                    id: t.get("id")?.as_str()?.to_string(),
                    enabled: t.get("status").and_then(Value::as_str) == Some("enabled"),
                    script: t
                        .get("script")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                })
            })
            .collect(),
    )
}

/// `GET /kapacitor/v1/config/httppost`: the `[[httppost]]` endpoints Kapacitor runs with
/// (its config file and any overrides made through the API).
pub fn parse_httppost(body: &Value) -> Option<Vec<HttpPostEndpoint>> {
    let elements = body.get("elements")?.as_array()?;
    Some(
        elements
            .iter()
            .filter_map(|e| {
                let o = e.get("options")?;
                Some(HttpPostEndpoint {
                    name: o.get("endpoint")?.as_str()?.to_string(),
                    url: o
                        .get("url")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                })
            })
            .collect(),
    )
}

/// `GET /kapacitor/v1/alerts/topics?pattern=main:<task>:*`: the events links of the task's
/// alert nodes' topics.
pub fn parse_topic_event_links(body: &Value) -> Vec<String> {
    body.get("topics")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .filter_map(|t| Some(t.get("events-link")?.get("href")?.as_str()?.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// A topic's events (`GET …/alerts/topics/<topic>/events`): the latest state time among them.
pub fn latest_event_time(body: &Value) -> Option<DateTime<Utc>> {
    body.get("events")?
        .as_array()?
        .iter()
        .filter_map(|e| {
            let t = e.get("state")?.get("time")?.as_str()?;
            DateTime::parse_from_rfc3339(t)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        })
        .max()
}

/// A service of this Tocsin, as the listing needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub id: ServiceId,
    pub name: String,
    /// Its webhook key.
    pub key: String,
    /// Whether Kapacitor alerts have reached it before: then a Kapacitor source is expected.
    pub heard_from_kapacitor: bool,
}

/// An enabled task that posts to one or more of the services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveTask {
    pub id: String,
    pub services: Vec<ServiceId>,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    pub tasks: Vec<LiveTask>,
    /// Services that heard from Kapacitor before but that no enabled task posts to now.
    pub silent: Vec<ServiceId>,
}

/// Which enabled tasks post to these services (by URL or through an endpoint), with each
/// task's findings; and which services expecting Kapacitor no task feeds any more.
pub fn listing(
    tasks: &[Task], endpoints: Vec<HttpPostEndpoint>, services: &[Service],
    hosts: std::collections::BTreeSet<String>,
) -> Listing {
    let inputs = Inputs {
        endpoints: Some(endpoints),
        tocsin: Some(TocsinUrls {
            keys: services.iter().map(|s| s.key.clone()).collect(),
            hosts,
        }),
    };
    let mut out = Listing::default();
    for t in tasks.iter().filter(|t| t.enabled) {
        let a = analyze(&t.script, &inputs);
        let keys = a.tocsin_keys();
        if keys.is_empty() {
            continue;
        }
        let ids = services
            .iter()
            .filter(|s| keys.contains(&s.key))
            .map(|s| s.id)
            .collect();
        out.tasks.push(LiveTask {
            id: t.id.clone(),
            services: ids,
            findings: a.findings,
        });
    }
    out.silent = services
        .iter()
        .filter(|s| s.heard_from_kapacitor)
        .filter(|s| !out.tasks.iter().any(|t| t.services.contains(&s.id)))
        .map(|s| s.id)
        .collect();
    out.tasks.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_kapacitors_answers() {
        let t = parse_tasks(&json!({"tasks": [
            {"id": "a", "status": "enabled", "script": "stream"},
            {"id": "b", "status": "disabled", "script": ""},
            {"nope": 1}
        ]}))
        .expect("tasks");
        assert_eq!(t.len(), 2);
        assert!(t[0].enabled && !t[1].enabled);
        let e = parse_httppost(&json!({"elements": [
            {"options": {"endpoint": "tocsin", "url": "http://x/"}}
        ]}))
        .expect("endpoints");
        assert_eq!(e[0].name, "tocsin");
        assert_eq!(
            latest_event_time(&json!({"events": [
                {"state": {"time": "2023-11-14T22:13:30Z"}},
                {"state": {"time": "2023-11-14T22:14:00.5Z"}}
            ]}))
            .map(|t| t.to_rfc3339()),
            Some("2023-11-14T22:14:00.500+00:00".to_string())
        );
        assert!(parse_tasks(&json!([])).is_none());
    }

    #[test]
    fn lists_enabled_tasks_posting_here_and_silent_services() {
        let svc = |n: &str, heard| Service {
            id: ServiceId::new(),
            name: n.into(),
            key: format!("key{n}"),
            heard_from_kapacitor: heard,
        };
        let (a, b, c) = (svc("a", true), svc("b", true), svc("c", false));
        let post = |url: &str| {
            format!("stream|from().groupBy('h')|alert().id('{{{{ .TaskName }}}}:{{{{ .Group }}}}').post('{url}')")
        };
        let tasks = vec![
            Task {
                id: "t1".into(),
                enabled: true,
                script: post("http://t/v1/incidents/kapacitor/keya"),
            },
            Task {
                id: "t2".into(),
                enabled: false,
                script: post("http://t/v1/incidents/kapacitor/keyb"),
            },
            Task {
                id: "t3".into(),
                enabled: true,
                script: post("http://elsewhere/"),
            },
        ];
        let l = listing(
            &tasks,
            Vec::new(),
            &[a.clone(), b.clone(), c],
            Default::default(),
        );
        assert_eq!(l.tasks.len(), 1);
        assert_eq!(l.tasks[0].services, vec![a.id]);
        assert_eq!(l.silent, vec![b.id]);
    }
}
