//! Setup guides of the sources beyond Kapacitor's `post` handler, each with the user's own
//! webhook URL filled in (it is only rendered for callers who may see the URL).

use maud::{html, Markup};
use tocsin_core::SourceKind;

/// The guide of `source`, or nothing for a source whose guide lives elsewhere.
pub(super) fn guide(source: SourceKind, url: &str) -> Markup {
    match source {
        SourceKind::Prometheus => alertmanager(url),
        SourceKind::Grafana => grafana(url),
        SourceKind::Alerta => alerta(url),
        SourceKind::Opsgenie2 => opsgenie2(url),
        SourceKind::Kapacitor => html! {},
    }
}

/// A `pre` with a copy button; ids are prefixed by the source so every panel's are unique.
fn snippet(id: &str, text: &str, button: &str) -> Markup {
    html! {
        pre id=(id) { (text) }
        button type="button" data-copy=(id) { (button) }
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
