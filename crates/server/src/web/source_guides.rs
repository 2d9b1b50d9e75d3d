//! Set-up guides for the alert sources whose senders already speak another product's
//! format: Squadcast's Incident Webhook and PagerDuty's Events API v2. Each shows the person's
//! own URL (and routing key) filled in, so moving a sender over is a copy and a paste. Shown
//! only to those who see the key (the caller of [`guide`] has the URL only then).

use maud::{html, Markup};
use tocsin_core::SourceKind;

/// The guide for `source`, if it has one here, with `url` (and PagerDuty's `routing_key`).
pub fn guide(source: SourceKind, url: &str, routing_key: Option<&str>) -> Markup {
    match (source, routing_key) {
        (SourceKind::IncidentWebhook, _) => incident_webhook(url),
        (SourceKind::PagerDuty, Some(key)) => pagerduty(url, key),
        _ => html! {},
    }
}

fn incident_webhook(url: &str) -> Markup {
    let trigger = format!(
        "curl -X POST -H 'Content-Type: application/json' '{url}' \\\n  -d '{{\"message\": \"Disk full on db-1\", \"description\": \"/var is at 99%\", \"tags\": {{\"host\": \"db-1\"}}, \"priority\": \"P2\", \"status\": \"trigger\", \"event_id\": \"disk-db-1\"}}'\n"
    );
    let resolve = format!(
        "curl -X POST -H 'Content-Type: application/json' '{url}' \\\n  -d '{{\"status\": \"resolve\", \"event_id\": \"disk-db-1\"}}'\n"
    );
    html! {
        h3 { "Set up the Incident Webhook" }
        p {
            "Scripts written for Squadcast's Incident Webhook work unchanged: replace the URL "
            code { "https://api.squadcast.com/v2/incidents/api/…" } " with this one. "
            "Alerts with the same " code { "event_id" } " join one incident; "
            code { "\"status\": \"resolve\"" } " with that " code { "event_id" } " resolves it. "
            "A trigger without " code { "event_id" } " is an incident of its own. "
            code { "priority" } " P1–P2 is critical, P3 warning, P4–P5 info. Bodies are limited to 30 KB."
        }
        pre #api-guide-trigger { (trigger) }
        button type="button" data-copy="api-guide-trigger" { "Copy trigger" }
        pre #api-guide-resolve { (resolve) }
        button type="button" data-copy="api-guide-resolve" { "Copy resolve" }
    }
}

fn pagerduty(url: &str, key: &str) -> Markup {
    let conf =
        format!("[pagerduty2]\n  enabled = true\n  url = \"{url}\"\n  routing-key = \"{key}\"\n");
    let tick = "    |alert()\n        .id('{{ .Name }}:{{ .Group }}')\n        .crit(lambda: \"usage_idle\" < 10)\n        .pagerDuty2()\n";
    let curl = format!(
        "curl -X POST -H 'Content-Type: application/json' '{url}' \\\n  -d '{{\"routing_key\": \"{key}\", \"event_action\": \"trigger\", \"dedup_key\": \"cpu:web-1\", \"payload\": {{\"summary\": \"CPU high on web-1\", \"source\": \"web-1\", \"severity\": \"critical\"}}}}'\n"
    );
    html! {
        h3 { "Set up PagerDuty Events API v2 senders" }
        p {
            "Anything that sends to PagerDuty's " code { "https://events.pagerduty.com/v2/enqueue" }
            " sends here instead: use this URL and this service's key as the routing (integration) key. "
            code { "trigger" } " opens or joins the incident of its " code { "dedup_key" } ", "
            code { "acknowledge" } " acknowledges it (paging stops as when a person acknowledges), "
            code { "resolve" } " resolves it."
        }
        div.grid2 {
            div {
                h4 { "Kapacitor (pagerduty2 handler)" }
                p { "Add this to " code { "kapacitor.conf" } " and restart Kapacitor:" }
                pre #pagerduty-guide-conf { (conf) }
                button type="button" data-copy="pagerduty-guide-conf" { "Copy config" }
                p { "Then send a TICKscript's alerts to it (OK resolves):" }
                pre #pagerduty-guide-tick { (tick) }
                button type="button" data-copy="pagerduty-guide-tick" { "Copy TICKscript" }
            }
            div {
                h4 { "Any other sender" }
                pre #pagerduty-guide-curl { (curl) }
                button type="button" data-copy="pagerduty-guide-curl" { "Copy example" }
            }
        }
    }
}
