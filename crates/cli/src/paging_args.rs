//! `serve`'s paging flags: where email goes, which destinations are refused, this node's name.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args as ClapArgs;
use tocsin_server::notify::smtp::SmtpConfig;
use tocsin_server::notify::{NotifyConfig, Sender};

#[derive(ClapArgs, Debug)]
pub struct PagingArgs {
    /// The SMTP relay email notifications go through: smtp://[user:pass@]host[:port]. Without
    /// it, email contact methods fail with a message saying so.
    #[arg(long, env = "TOCSIN_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The From address of email notifications, e.g. "Tocsin <tocsin@example.com>".
    #[arg(
        long,
        env = "TOCSIN_SMTP_FROM",
        default_value = "Tocsin <tocsin@localhost>"
    )]
    smtp_from: String,
    /// Also refuse to notify private, loopback and internal addresses (link-local and cloud
    /// metadata addresses are always refused).
    #[arg(long, env = "TOCSIN_DENY_PRIVATE_TARGETS")]
    deny_private_targets: bool,
    /// This node's name on the deliveries it claims (default: host name and port). Keep it
    /// stable across restarts: a restarted node resends what it had claimed at once.
    #[arg(long, env = "TOCSIN_NODE_ID")]
    node_id: Option<String>,
}

impl PagingArgs {
    /// The senders, and this node's name.
    pub fn build(&self, listen: SocketAddr) -> anyhow::Result<(Arc<Sender>, String)> {
        let smtp = self.smtp_url.as_ref().map(|url| SmtpConfig {
            url: url.clone(),
            from: self.smtp_from.clone(),
            timeout: Duration::from_secs(20),
        });
        let config = NotifyConfig {
            deny_private_targets: self.deny_private_targets,
            smtp,
            ..NotifyConfig::default()
        };
        let sender = Sender::new(&config).context("setting up notifications")?;
        let node = self.node_id.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "tocsin".into());
            format!("{host}:{}", listen.port())
        });
        Ok((Arc::new(sender), node))
    }
}
