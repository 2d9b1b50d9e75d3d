//! The admin commands that talk to a running server: users, tokens, teams, services,
//! incidents. Each is one API call (the same ones the web UI makes).

use clap::{Args as ClapArgs, Subcommand};
use serde_json::{json, Map, Value};

use crate::client::Conn;

#[derive(ClapArgs, Debug)]
pub struct Remote<C: Subcommand> {
    #[command(flatten)]
    pub(crate) conn: Conn,
    #[command(subcommand)]
    pub(crate) cmd: C,
}

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Create a user (organisation admins).
    Add {
        username: String,
        #[arg(long)]
        email: String,
        /// At least 8 characters.
        #[arg(long, env = "TOCSIN_NEW_PASSWORD", hide_env_values = true)]
        password: String,
        /// Make the user an organisation admin.
        #[arg(long)]
        org_admin: bool,
    },
    /// List the users you can see.
    List,
    /// Change your own password (the token's user); your sessions end, the token keeps working.
    Passwd {
        /// Your user id.
        user: String,
        #[arg(long, env = "TOCSIN_CURRENT_PASSWORD", hide_env_values = true)]
        current_password: String,
        /// At least 8 characters.
        #[arg(long, env = "TOCSIN_NEW_PASSWORD", hide_env_values = true)]
        new_password: String,
    },
    /// Set another user's password (organisation admins); all of their sessions end.
    ResetPassword {
        user: String,
        /// At least 8 characters.
        #[arg(long, env = "TOCSIN_NEW_PASSWORD", hide_env_values = true)]
        new_password: String,
    },
    /// Disable a user (organisation admins): sessions end, tokens and sign-in are refused.
    Disable { user: String },
    /// Enable a disabled user again (organisation admins); its tokens work again.
    Enable { user: String },
    /// List your sign-in sessions (the token's user).
    Sessions,
}

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Create an API token; the secret is printed once.
    Create {
        name: String,
        /// org_admin, owner, admin, responder or observer (default: the most you hold).
        #[arg(long)]
        role: Option<String>,
        /// Make it a team token (acts for the team, not for you).
        #[arg(long)]
        team: Option<String>,
        /// RFC 3339 time after which it stops working, e.g. 2027-01-01T00:00:00Z.
        #[arg(long)]
        expires_at: Option<String>,
    },
    /// Revoke a token by id.
    Revoke { id: String },
    /// List the tokens you can see (never their secrets).
    List,
}

#[derive(Subcommand, Debug)]
pub enum TeamCmd {
    List,
    /// Create a team (organisation admins).
    Create {
        name: String,
    },
    /// List a team's members.
    Members {
        team: String,
    },
    /// Add a member or change its role (team owners).
    AddMember {
        team: String,
        user: String,
        /// owner, admin, responder or observer.
        #[arg(long, default_value = "responder")]
        role: String,
    },
    /// Remove a member (team owners).
    RemoveMember {
        team: String,
        user: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ServiceCmd {
    List {
        #[arg(long)]
        team: Option<String>,
    },
    /// Create a service in a team (team admins).
    Create {
        name: String,
        #[arg(long)]
        team: String,
    },
    /// Set the escalation policy a service runs (team admins), or --none.
    SetPolicy {
        service: String,
        /// A policy of the service's team.
        #[arg(required_unless_present = "none", conflicts_with = "none")]
        policy: Option<String>,
        /// Page nobody for this service's incidents.
        #[arg(long)]
        none: bool,
    },
    /// A service's noise rules: get, set --file.
    Rules {
        #[command(subcommand)]
        cmd: crate::noise::RulesCmd,
    },
    /// Give a service a new webhook key; prints the new webhook URL.
    RotateKey {
        id: String,
        /// Keep the old key working this many seconds.
        #[arg(long, default_value_t = 0)]
        grace: u32,
    },
}

#[derive(Subcommand, Debug)]
pub enum IncidentCmd {
    /// Newest first.
    List {
        /// triggered, acknowledged, resolved, suppressed, open (comma-separated allowed).
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        service: Option<String>,
        #[arg(long)]
        team: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Acknowledge an incident.
    Ack { id: String },
    /// Resolve an incident.
    Resolve { id: String },
}

const USER_COLS: &[&str] = &["id", "username", "email", "org_admin", "disabled"];
const SESSION_COLS: &[&str] = &["id", "created_at", "expires_at", "last_seen_at", "current"];
const TOKEN_COLS: &[&str] = &[
    "id",
    "name",
    "role",
    "team_id",
    "user_id",
    "expires_at",
    "revoked_at",
    "last_used_at",
];
const TEAM_COLS: &[&str] = &["id", "name"];
const MEMBER_COLS: &[&str] = &["user_id", "username", "role"];
const SERVICE_COLS: &[&str] = &["id", "name", "team_id", "escalation_policy_id"];
const INCIDENT_COLS: &[&str] = &["id", "number", "status", "severity", "title", "created_at"];

/// Query-string value, percent-encoded.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn users(r: Remote<UserCmd>) -> anyhow::Result<()> {
    let c = &r.conn;
    match r.cmd {
        UserCmd::Add {
            username,
            email,
            password,
            org_admin,
        } => {
            let v = c
                .post(
                    "/users",
                    json!({"username": username, "email": email, "password": password, "org_admin": org_admin}),
                )
                .await?;
            c.show(&v, USER_COLS);
        }
        UserCmd::List => c.show(&c.get("/users").await?, USER_COLS),
        UserCmd::Passwd {
            user,
            current_password,
            new_password,
        } => {
            let body = json!({"current_password": current_password, "new_password": new_password});
            c.post(&format!("/users/{}/password", enc(&user)), body)
                .await?;
            if !c.json {
                println!("password changed; your sessions have ended");
            }
        }
        UserCmd::ResetPassword { user, new_password } => {
            let body = json!({"new_password": new_password});
            c.post(&format!("/users/{}/password", enc(&user)), body)
                .await?;
            if !c.json {
                println!("password of {user} set; its sessions have ended");
            }
        }
        UserCmd::Disable { user } => c.show(
            &c.post(&format!("/users/{}/disable", enc(&user)), json!({}))
                .await?,
            USER_COLS,
        ),
        UserCmd::Enable { user } => c.show(
            &c.post(&format!("/users/{}/enable", enc(&user)), json!({}))
                .await?,
            USER_COLS,
        ),
        UserCmd::Sessions => c.show(&c.get("/session/sessions").await?, SESSION_COLS),
    }
    Ok(())
}

pub async fn tokens(r: Remote<TokenCmd>) -> anyhow::Result<()> {
    let c = &r.conn;
    match r.cmd {
        TokenCmd::Create {
            name,
            role,
            team,
            expires_at,
        } => {
            let mut body = Map::new();
            body.insert("name".into(), json!(name));
            for (k, v) in [
                ("role", role),
                ("team_id", team),
                ("expires_at", expires_at),
            ] {
                if let Some(v) = v {
                    body.insert(k.into(), json!(v));
                }
            }
            let v = c.post("/tokens", Value::Object(body)).await?;
            if c.json {
                c.show(&v, &[]);
            } else {
                c.show(&v, TOKEN_COLS);
                println!(
                    "\nToken (shown once, store it now): {}",
                    v["token"].as_str().unwrap_or("")
                );
            }
        }
        TokenCmd::Revoke { id } => {
            let v = c.delete(&format!("/tokens/{}", enc(&id))).await?;
            c.show(&v, TOKEN_COLS);
        }
        TokenCmd::List => c.show(&c.get("/tokens").await?, TOKEN_COLS),
    }
    Ok(())
}

pub async fn teams(r: Remote<TeamCmd>) -> anyhow::Result<()> {
    let c = &r.conn;
    match r.cmd {
        TeamCmd::List => c.show(&c.get("/teams").await?, TEAM_COLS),
        TeamCmd::Create { name } => {
            c.show(&c.post("/teams", json!({"name": name})).await?, TEAM_COLS)
        }
        TeamCmd::Members { team } => c.show(
            &c.get(&format!("/teams/{}/members", enc(&team))).await?,
            MEMBER_COLS,
        ),
        TeamCmd::AddMember { team, user, role } => c.show(
            &c.post(
                &format!("/teams/{}/members", enc(&team)),
                json!({"user_id": user, "role": role}),
            )
            .await?,
            MEMBER_COLS,
        ),
        TeamCmd::RemoveMember { team, user } => {
            c.delete(&format!("/teams/{}/members/{}", enc(&team), enc(&user)))
                .await?;
            if !c.json {
                println!("removed {user} from {team}");
            }
        }
    }
    Ok(())
}

pub async fn services(r: Remote<ServiceCmd>) -> anyhow::Result<()> {
    let c = &r.conn;
    match r.cmd {
        ServiceCmd::List { team } => {
            let q = team
                .map(|t| format!("?team_id={}", enc(&t)))
                .unwrap_or_default();
            c.show(&c.get(&format!("/services{q}")).await?, SERVICE_COLS)
        }
        ServiceCmd::Create { name, team } => c.show(
            &c.post("/services", json!({"name": name, "team_id": team}))
                .await?,
            SERVICE_COLS,
        ),
        ServiceCmd::SetPolicy {
            service,
            policy,
            none: _,
        } => c.show(
            &c.patch(
                &format!("/services/{}", enc(&service)),
                json!({"escalation_policy_id": policy}),
            )
            .await?,
            SERVICE_COLS,
        ),
        ServiceCmd::Rules { cmd } => crate::noise::rules(c, cmd).await?,
        ServiceCmd::RotateKey { id, grace } => {
            let v = c
                .post(
                    &format!("/services/{}/rotate-key", enc(&id)),
                    json!({"grace_seconds": grace}),
                )
                .await?;
            if c.json {
                c.show(&v, &[]);
            } else {
                println!(
                    "New Kapacitor webhook URL: {}",
                    v["webhook_url"].as_str().unwrap_or("")
                );
                match v["previous_key_expires_at"].as_str() {
                    Some(t) => println!("The old URL keeps working until {t}."),
                    None => println!("The old URL has stopped working."),
                }
            }
        }
    }
    Ok(())
}

pub async fn incidents(r: Remote<IncidentCmd>) -> anyhow::Result<()> {
    let c = &r.conn;
    match r.cmd {
        IncidentCmd::List {
            status,
            service,
            team,
            limit,
        } => {
            let mut q = format!("?limit={limit}");
            for (k, v) in [
                ("status", status),
                ("service_id", service),
                ("team_id", team),
            ] {
                if let Some(v) = v {
                    q.push_str(&format!("&{k}={}", enc(&v)));
                }
            }
            let page = c.get(&format!("/incidents{q}")).await?;
            if c.json {
                c.show(&page, &[]);
            } else {
                c.show(&page["incidents"], INCIDENT_COLS);
            }
        }
        IncidentCmd::Ack { id } => c.show(
            &c.post(&format!("/incidents/{}/acknowledge", enc(&id)), json!({}))
                .await?,
            INCIDENT_COLS,
        ),
        IncidentCmd::Resolve { id } => c.show(
            &c.post(&format!("/incidents/{}/resolve", enc(&id)), json!({}))
                .await?,
            INCIDENT_COLS,
        ),
    }
    Ok(())
}
