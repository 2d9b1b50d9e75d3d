//! `tocsin kapacitor-config`: the ready-to-paste Kapacitor set-up for one service.

use anyhow::{bail, Context};
use clap::Args as ClapArgs;
use tocsin_core::model::{Scope, Service};
use tocsin_core::{ServiceId, SourceKind};

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
    let store = args.db.open().await?.store;
    let services = store.list_services(&Scope::All, None).await?;
    let svc = find(&services, &args.service)?;
    let url = format!(
        "{}{}",
        args.public_url.trim_end_matches('/'),
        SourceKind::Kapacitor.webhook_path(&svc.api_key)
    );
    print!("{}", render(&svc.name, &args.endpoint, &url));
    Ok(())
}

fn find<'a>(services: &'a [Service], wanted: &str) -> anyhow::Result<&'a Service> {
    if let Ok(id) = wanted.parse::<ServiceId>() {
        return services
            .iter()
            .find(|s| s.id == id)
            .context("no service with that id");
    }
    let matches: Vec<&Service> = services
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

pub fn render(service: &str, endpoint: &str, url: &str) -> String {
    format!(
        r#"# Tocsin → Kapacitor set-up for service "{service}"
#
# 1. Add this block to kapacitor.conf (/etc/kapacitor/kapacitor.conf on Linux packages,
#    /usr/local/etc/kapacitor.conf with Homebrew on macOS) and restart Kapacitor:

[[httppost]]
  endpoint = "{endpoint}"
  url = "{url}"
  headers = {{ Content-Type = "application/json" }}

# 2. In a TICKscript, send the alert node to it:
#
#    |alert()
#        .id('{{{{ .Name }}}}:{{{{ .Group }}}}')
#        .warn(lambda: "usage_idle" < 20)
#        .crit(lambda: "usage_idle" < 10)
#        .post()
#            .endpoint('{endpoint}')
#
# Or, without touching kapacitor.conf (what Chronograf's rule builder writes):
#
#        .post('{url}')
"#
    )
}
