//! The paging commands that talk to a running server: contact methods, notification rules,
//! team channels and escalation policies (`tocsin service set-policy` is with the service
//! commands). Each is one API call, as in `remote.rs`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use serde_json::{json, Map, Value};

use crate::client::Conn;
use crate::remote::{enc, Remote};

#[derive(Subcommand, Debug)]
pub enum ContactMethodCmd {
    /// Add a contact method for a user (yourself, or anyone as an organisation admin). A
    /// webhook's signing secret is printed once.
    Add {
        /// The user's id.
        user: String,
        /// webhook, slack or email.
        #[arg(long = "type")]
        kind: String,
        #[arg(long)]
        name: String,
        /// For webhook and slack.
        #[arg(long, conflicts_with = "address")]
        url: Option<String>,
        /// For email.
        #[arg(long)]
        address: Option<String>,
    },
    /// List a user's contact methods.
    List { user: String },
    /// Delete a contact method (and its notification rules).
    Remove { user: String, id: String },
    /// Send a test notification to a contact method now.
    Test { user: String, id: String },
}

#[derive(Subcommand, Debug)]
pub enum NotificationRuleCmd {
    /// "After --delay minutes, on --contact-method."
    Add {
        user: String,
        #[arg(long)]
        contact_method: String,
        /// Minutes after the user is paged (0: at once).
        #[arg(long, default_value_t = 0)]
        delay: u32,
    },
    List {
        user: String,
    },
    Remove {
        user: String,
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ChannelCmd {
    /// Add a channel to a team (team admins). A webhook's signing secret is printed once.
    Add {
        /// The team's id.
        team: String,
        /// webhook, slack or email.
        #[arg(long = "type")]
        kind: String,
        #[arg(long)]
        name: String,
        #[arg(long, conflicts_with = "address")]
        url: Option<String>,
        #[arg(long)]
        address: Option<String>,
    },
    List {
        team: String,
    },
    /// Delete a channel (refused while a policy names it).
    Remove {
        team: String,
        id: String,
    },
    /// Send a test notification to a channel now.
    Test {
        team: String,
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum PolicyCmd {
    /// Create an escalation policy (team admins): the whole body from --file (as
    /// `POST /api/v1/escalation-policies` takes it), or one step from flags.
    Create {
        /// A JSON file: {team_id, name, repeat, ack_timeout_minutes?, steps: [...]};
        /// --team and --name, when given, replace its team_id and name.
        #[arg(long, conflicts_with_all = ["user", "channel"])]
        file: Option<PathBuf>,
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        name: Option<String>,
        /// One step: page these users (repeatable).
        #[arg(long)]
        user: Vec<String>,
        /// One step: and these channels (repeatable).
        #[arg(long)]
        channel: Vec<String>,
        /// Minutes before the step (from the incident's opening).
        #[arg(long, default_value_t = 0)]
        delay: u32,
        /// Loops after the first pass (0-9), or until_acknowledged.
        #[arg(long, default_value = "0")]
        repeat: String,
    },
    List {
        #[arg(long)]
        team: Option<String>,
    },
    /// A policy and its steps.
    Show { id: String },
    /// Delete a policy (refused while a service uses it).
    Remove { id: String },
}

const CM_COLS: &[&str] = &["id", "type", "name", "url", "address"];
const RULE_COLS: &[&str] = &["id", "contact_method_id", "delay_minutes"];
const CHANNEL_COLS: &[&str] = &["id", "team_id", "type", "name", "url", "address"];
const POLICY_COLS: &[&str] = &["id", "team_id", "name", "repeat", "ack_timeout_minutes"];
const TEST_COLS: &[&str] = &["status", "error", "delivery_id"];

fn destination(kind: String, name: String, url: Option<String>, address: Option<String>) -> Value {
    let mut body = Map::new();
    body.insert("type".into(), json!(kind));
    body.insert("name".into(), json!(name));
    if let Some(u) = url {
        body.insert("url".into(), json!(u));
    }
    if let Some(a) = address {
        body.insert("address".into(), json!(a));
    }
    Value::Object(body)
}

/// A created contact method or channel, with its secret when it has one.
fn show_created(c: &Conn, v: &Value, cols: &[&str]) {
    c.show(v, cols);
    if let (false, Some(secret)) = (c.json, v["signing_secret"].as_str()) {
        println!("\nSigning secret (shown once, store it now): {secret}");
    }
}

/// The steps of a policy, one line each.
fn show_steps(v: &Value) {
    for (i, step) in v["steps"].as_array().into_iter().flatten().enumerate() {
        let targets: Vec<String> = step["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                format!(
                    "{} {}",
                    t["type"].as_str().unwrap_or("?"),
                    t["id"].as_str().unwrap_or("?")
                )
            })
            .collect();
        let rr = if step["round_robin"] == true {
            " (in turn)"
        } else {
            ""
        };
        println!(
            "step {}: after {} min{rr}: {}",
            i + 1,
            step["delay_minutes"],
            targets.join(", ")
        );
    }
}

pub async fn contact_methods(r: Remote<ContactMethodCmd>) -> anyhow::Result<()> {
    let Remote { conn, cmd } = r;
    let c = &conn;
    let base = |user: &str| format!("/users/{}/contact-methods", enc(user));
    match cmd {
        ContactMethodCmd::Add {
            user,
            kind,
            name,
            url,
            address,
        } => {
            let v = c
                .post(&base(&user), destination(kind, name, url, address))
                .await?;
            show_created(c, &v, CM_COLS);
        }
        ContactMethodCmd::List { user } => c.show(&c.get(&base(&user)).await?, CM_COLS),
        ContactMethodCmd::Remove { user, id } => {
            c.delete(&format!("{}/{}", base(&user), enc(&id))).await?;
            if !c.json {
                println!("deleted contact method {id}");
            }
        }
        ContactMethodCmd::Test { user, id } => {
            let v = c
                .post(&format!("{}/{}/test", base(&user), enc(&id)), json!({}))
                .await?;
            c.show(&v, TEST_COLS);
        }
    }
    Ok(())
}

pub async fn notification_rules(r: Remote<NotificationRuleCmd>) -> anyhow::Result<()> {
    let Remote { conn, cmd } = r;
    let c = &conn;
    let base = |user: &str| format!("/users/{}/notification-rules", enc(user));
    match cmd {
        NotificationRuleCmd::Add {
            user,
            contact_method,
            delay,
        } => {
            let body = json!({"contact_method_id": contact_method, "delay_minutes": delay});
            c.show(&c.post(&base(&user), body).await?, RULE_COLS);
        }
        NotificationRuleCmd::List { user } => c.show(&c.get(&base(&user)).await?, RULE_COLS),
        NotificationRuleCmd::Remove { user, id } => {
            c.delete(&format!("{}/{}", base(&user), enc(&id))).await?;
            if !c.json {
                println!("deleted notification rule {id}");
            }
        }
    }
    Ok(())
}

pub async fn channels(r: Remote<ChannelCmd>) -> anyhow::Result<()> {
    let Remote { conn, cmd } = r;
    let c = &conn;
    let base = |team: &str| format!("/teams/{}/channels", enc(team));
    match cmd {
        ChannelCmd::Add {
            team,
            kind,
            name,
            url,
            address,
        } => {
            let v = c
                .post(&base(&team), destination(kind, name, url, address))
                .await?;
            show_created(c, &v, CHANNEL_COLS);
        }
        ChannelCmd::List { team } => c.show(&c.get(&base(&team)).await?, CHANNEL_COLS),
        ChannelCmd::Remove { team, id } => {
            c.delete(&format!("{}/{}", base(&team), enc(&id))).await?;
            if !c.json {
                println!("deleted channel {id}");
            }
        }
        ChannelCmd::Test { team, id } => {
            let v = c
                .post(&format!("{}/{}/test", base(&team), enc(&id)), json!({}))
                .await?;
            c.show(&v, TEST_COLS);
        }
    }
    Ok(())
}

/// `repeat` as typed: a number, or a word such as `until_acknowledged`.
fn repeat_value(s: &str) -> Value {
    s.parse::<u64>().map_or_else(|_| json!(s), |n| json!(n))
}

pub async fn policies(r: Remote<PolicyCmd>) -> anyhow::Result<()> {
    let Remote { conn, cmd } = r;
    let c = &conn;
    match cmd {
        PolicyCmd::Create {
            file,
            team,
            name,
            user,
            channel,
            delay,
            repeat,
        } => {
            let mut body = match file {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    serde_json::from_str::<Value>(&text)
                        .with_context(|| format!("{} is not JSON", path.display()))?
                }
                None => {
                    let targets: Vec<Value> = user
                        .iter()
                        .map(|u| json!({"type": "user", "id": u}))
                        .chain(
                            channel
                                .iter()
                                .map(|ch| json!({"type": "channel", "id": ch})),
                        )
                        .collect();
                    json!({
                        "repeat": repeat_value(&repeat),
                        "steps": [{"delay_minutes": delay, "targets": targets}],
                    })
                }
            };
            let Some(obj) = body.as_object_mut() else {
                anyhow::bail!("the policy must be a JSON object");
            };
            if let Some(t) = team {
                obj.insert("team_id".into(), json!(t));
            }
            if let Some(n) = name {
                obj.insert("name".into(), json!(n));
            }
            let v = c.post("/escalation-policies", body).await?;
            c.show(&v, POLICY_COLS);
            if !c.json {
                show_steps(&v);
            }
        }
        PolicyCmd::List { team } => {
            let q = team
                .map(|t| format!("?team_id={}", enc(&t)))
                .unwrap_or_default();
            c.show(
                &c.get(&format!("/escalation-policies{q}")).await?,
                POLICY_COLS,
            );
        }
        PolicyCmd::Show { id } => {
            let v = c.get(&format!("/escalation-policies/{}", enc(&id))).await?;
            c.show(&v, POLICY_COLS);
            if !c.json {
                show_steps(&v);
            }
        }
        PolicyCmd::Remove { id } => {
            c.delete(&format!("/escalation-policies/{}", enc(&id)))
                .await?;
            if !c.json {
                println!("deleted escalation policy {id}");
            }
        }
    }
    Ok(())
}
