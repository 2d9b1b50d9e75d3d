//! Set-up guides, one per alert source, each with the person's own webhook URL (and, for
//! PagerDuty, routing key) filled in, so pointing a sender at Tocsin is a copy and a paste;
//! for senders that already speak another product's format (Squadcast, PagerDuty, Alerta,
//! OpsGenie) only the URL changes. Rendered only for callers who may see the key (the caller
//! of [`guide`] has the URL only then).

use maud::{html, Markup};
use tocsin_core::SourceKind;

/// The guide of `source`, with `url` (and PagerDuty's `routing_key`).
pub(super) fn guide(source: SourceKind, url: &str, routing_key: Option<&str>) -> Markup {
    match source {
        SourceKind::Kapacitor => kapacitor(url),
        SourceKind::IncidentWebhook => incident_webhook(url),
        SourceKind::PagerDuty => match routing_key {
            Some(key) => pagerduty(url, key),
            None => html! {},
        },
        SourceKind::Prometheus => alertmanager(url),
        SourceKind::Grafana => grafana(url),
        SourceKind::Alerta => alerta(url),
        SourceKind::Opsgenie2 => opsgenie2(url),
        // Not in the catalogue (`SourceKind::ALL`): the service page's Heartbeats card is its
        // guide.
        SourceKind::Heartbeat => html! {},
    }
}

/// A `pre` with a copy button; ids are prefixed by the source so every panel's are unique.
fn snippet(id: &str, text: &str, button: &str) -> Markup {
    html! {
        pre id=(id) { (text) }
        button type="button" data-copy=(id) { (button) }
    }
}

fn kapacitor(url: &str) -> Markup {
    let conf = format!(
        "[[httppost]]\n  endpoint = \"tocsin\"\n  url = \"{url}\"\n  headers = {{ Content-Type = \"application/json\" }}\n"
    );
    let tick = "    |alert()\n        .id('{{ .TaskName }}:{{ .Group }}')\n        .crit(lambda: \"usage_idle\" < 10)\n        .post()\n            .endpoint('tocsin')\n";
    html! {
        h3 { "Set up Kapacitor" }
        div.grid2 {
            div {
                h4 { "Method 1: Chronograf" }
                ol {
                    li { "In Chronograf, open " b { "Alerts → Manage Tasks" } "." }
                    li { "Create or edit an " b { "Alert Rule" } "." }
                    li { "Add the handler " b { "post" } "." }
                    li { "Paste the webhook URL into " b { "HTTP endpoint for POST request" } "." }
                    li { b { "Save Rule" } "." }
                }
                div.copyline {
                    input #guide-url type="text" readonly value=(url) aria-label="Webhook URL for Chronograf";
                    button type="button" data-copy="guide-url" { "Copy URL" }
                }
            }
            div {
                h4 { "Method 2: kapacitor.conf" }
                p {
                    "Add this to " code { "kapacitor.conf" } " (" code { "/etc/kapacitor/kapacitor.conf" }
                    " or " code { "/etc/kapacitor.conf" } " on Linux, " code { "/usr/local/etc/kapacitor.conf" }
                    " on macOS) and restart Kapacitor:"
                }
                (snippet("guide-conf", &conf, "Copy config"))
                p { "Then send a TICKscript's alerts to it:" }
                (snippet("guide-tick", tick, "Copy TICKscript"))
            }
        }
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
        (snippet("api-guide-trigger", &trigger, "Copy trigger"))
        (snippet("api-guide-resolve", &resolve, "Copy resolve"))
    }
}

fn pagerduty(url: &str, key: &str) -> Markup {
    let conf =
        format!("[pagerduty2]\n  enabled = true\n  url = \"{url}\"\n  routing-key = \"{key}\"\n");
    let tick = "    |alert()\n        .id('{{ .TaskName }}:{{ .Group }}')\n        .crit(lambda: \"usage_idle\" < 10)\n        .pagerDuty2()\n";
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
                (snippet("pagerduty-guide-conf", &conf, "Copy config"))
                p { "Then send a TICKscript's alerts to it (OK resolves):" }
                (snippet("pagerduty-guide-tick", tick, "Copy TICKscript"))
            }
            div {
                h4 { "Any other sender" }
                (snippet("pagerduty-guide-curl", &curl, "Copy example"))
            }
        }
    }
}

fn alertmanager(url: &str) -> Markup {
    let yaml = format!(
        "route:\n  receiver: tocsin\n  group_by: ['alertname']\n\nreceivers:\n  - name: tocsin\n    webhook_configs:\n      - url: '{url}'\n        send_resolved: true\n"
    );
    html! {
        h3 { "Set up Prometheus Alertmanager" }
        p {
            "Add a receiver with this webhook URL to " code { "alertmanager.yml" }
            " (or add the receiver and route alerts to it from your own routes), then reload Alertmanager ("
            code { "curl -X POST http://localhost:9093/-/reload" } "):"
        }
        (snippet("prometheus-guide-yaml", &yaml, "Copy receiver"))
        p.muted {
            "Each alert of a notification is its own incident, keyed by its fingerprint; "
            code { "send_resolved: true" } " resolves it when the alert resolves. The title is the "
            code { "summary" } " annotation (else the alert name), the description the "
            code { "description" } " annotation, and the labels become tags; the "
            code { "severity" } " label sets the severity (critical when absent)."
        }
    }
}

fn grafana(url: &str) -> Markup {
    html! {
        h3 { "Set up Grafana" }
        ol {
            li { "In Grafana, open " b { "Alerting → Contact points" } " and click " b { "+ Add contact point" } "." }
            li { "Name it " b { "Tocsin" } " and choose the integration " b { "Webhook" } "." }
            li { "Paste the webhook URL into " b { "URL" } " (method " b { "POST" } ")." }
            li { "Click " b { "Test" } ": Tocsin records it as a connectivity test, not an incident." }
            li { b { "Save contact point" } ", then pick it in " b { "Notification policies" } " (the default policy or a policy of its own)." }
        }
        div.copyline {
            input #grafana-guide-url type="text" readonly value=(url) aria-label="Webhook URL for Grafana";
            button type="button" data-copy="grafana-guide-url" { "Copy URL" }
        }
        p.muted {
            "Each alert of a notification is its own incident, keyed by its fingerprint, and resolved when Grafana sends it resolved. Leave "
            b { "Disable resolved message" } " off."
        }
    }
}

fn alerta(url: &str) -> Markup {
    let conf = format!(
        "[alerta]\n  enabled = true\n  # Kapacitor posts to <url>/alert; the key in the URL is the credential.\n  url = \"{url}\"\n  token = \"unused\"\n  environment = \"production\"\n  origin = \"kapacitor\"\n"
    );
    let tick = "    |alert()\n        .crit(lambda: \"usage_idle\" < 10)\n        .alerta()\n";
    html! {
        h3 { "Set up Kapacitor's alerta handler" }
        p {
            "For a Kapacitor that already sends to Alerta. Put this in " code { "kapacitor.conf" }
            " and restart Kapacitor:"
        }
        (snippet("alerta-guide-conf", &conf, "Copy config"))
        p { "Then send a TICKscript's alerts to it:" }
        (snippet("alerta-guide-tick", tick, "Copy TICKscript"))
        p.muted {
            "An alert is keyed by Alerta's identity, " code { "environment/resource/event" }
            " (by default the task name and the alert id); severity " code { "ok" } " resolves it."
        }
    }
}

fn opsgenie2(url: &str) -> Markup {
    let conf = format!(
        "[opsgenie2]\n  enabled = true\n  # New alerts go to this URL, recoveries to <url>/<alias>/close.\n  url = \"{url}\"\n  api-key = \"unused\"\n  recovery_action = \"close\"\n"
    );
    let tick = "    |alert()\n        .crit(lambda: \"usage_idle\" < 10)\n        .opsGenie2()\n";
    html! {
        h3 { "Set up Kapacitor's opsgenie2 handler" }
        p {
            "For a Kapacitor that already sends to OpsGenie. Put this in " code { "kapacitor.conf" }
            " and restart Kapacitor:"
        }
        (snippet("opsgenie2-guide-conf", &conf, "Copy config"))
        p { "Then send a TICKscript's alerts to it:" }
        (snippet("opsgenie2-guide-tick", tick, "Copy TICKscript"))
        p.muted {
            "An alert is keyed by its OpsGenie alias (Kapacitor's alert id, base64-encoded); its recovery resolves it, whether "
            code { "recovery_action" } " is " code { "close" } " or " code { "notes" } "."
        }
    }
}
