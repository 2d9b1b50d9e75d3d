//! `tocsin kapacitor-config`: the ready-to-paste Kapacitor set-up for one service.

use anyhow::{bail, Context};
use clap::Args as ClapArgs;
use tocsin_core::{ServiceId, SourceKind};
use tocsin_store::readonly::ServiceKey;

use crate::db::DbArgs;

#[derive(ClapArgs, Debug)]
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    /// The service, by id (svc_…) or by name.
    #[arg(long)]
    service: String,
    /// The name of the `[[httppost]]` endpoint (use `squadcast` to keep existing TICKscripts).
    #[arg(long, default_value = "tocsin")]
    endpoint: String,
    /// Base URL Kapacitor reaches Tocsin at.
    #[arg(
        long,
        env = "TOCSIN_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    public_url: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    // Read-only: the server may be running, and this command must never migrate, lock or
    // create the database it reads.
    let services = args.db.services_read_only().await?;
    let svc = find(&services, &args.service)?;
    let url = format!(
        "{}{}",
        args.public_url.trim_end_matches('/'),
        SourceKind::Kapacitor.webhook_path(&svc.api_key)
    );
    print!("{}", render(&svc.name, &args.endpoint, &url));
    Ok(())
}

fn find<'a>(services: &'a [ServiceKey], wanted: &str) -> anyhow::Result<&'a ServiceKey> {
    if let Ok(id) = wanted.parse::<ServiceId>() {
        return services
            .iter()
            .find(|s| s.id == id)
            .context("no service with that id");
    }
    let matches: Vec<&ServiceKey> = services
        .iter()
        .filter(|s| s.name.eq_ignore_ascii_case(wanted))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => bail!("no service named {wanted:?}"),
        many => bail!(
            "{} services are named {wanted:?}; pass an id: {}",
            many.len(),
            many.iter()
                .map(|s| s.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Everything a user pastes: the `[[httppost]]` block as it is, and a complete TICKscript in
/// comments (so the output stays valid TOML) that the end-to-end tests run on a real Kapacitor
/// after stripping the `#    ` prefix.
pub fn render(service: &str, endpoint: &str, url: &str) -> String {
    format!(
        r##"# Tocsin → Kapacitor set-up for service "{service}"
#
# 1. Add this block to kapacitor.conf (/etc/kapacitor/kapacitor.conf on Linux packages,
#    /usr/local/etc/kapacitor.conf with Homebrew on macOS) and restart Kapacitor:

[[httppost]]
  endpoint = "{endpoint}"
  url = "{url}"
  headers = {{ Content-Type = "application/json" }}

# 2. Send a task's alerts there with `.post().endpoint('{endpoint}')` in its alert node.
#    A complete task: save the lines below, without their leading "#    ", as cpu_alert.tick,
#    then run `kapacitor define cpu_alert -tick cpu_alert.tick` and `kapacitor enable cpu_alert`.
#
#    dbrp "telegraf"."autogen"
#    stream
#        |from()
#            .measurement('cpu')
#            .groupBy('host')
#        |alert()
#            .id('{{{{ .TaskName }}}}:{{{{ .Group }}}}')
#            .warn(lambda: "usage_idle" < 20)
#            .crit(lambda: "usage_idle" < 10)
#            .post()
#                .endpoint('{endpoint}')
#
#    Keep the task and the group in the id (as above): it is the dedup key, so each task
#    and host gets its own incident and its own recovery. `tocsin kapacitor check` reads a
#    TICKscript for this and the other ways alerts get lost or merged.
#
# Or, without touching kapacitor.conf (what Chronograf's rule builder writes), end the
# alert node with:
#
#            .post('{url}')
"##
    )
}
