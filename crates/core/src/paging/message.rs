//! What a notification says, on each kind of contact method: the bytes are a pure function of
//! the delivery (its id, kind and `occurred_at`, all fixed when it was planned) and the incident
//! as it is when the attempt is made, so tests check them without a network. A retry carries
//! the same delivery id and `occurred_at`; its incident object is the current one (an incident
//! acknowledged between two attempts says so).

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::escalation::NotificationKind;
use crate::ids::NotificationId;
use crate::model::Incident;

/// Everything a message is made of.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    /// The delivery id: the same on every attempt, so receivers can drop repeats.
    pub delivery: NotificationId,
    pub kind: NotificationKind,
    pub occurred_at: DateTime<Utc>,
    pub incident: &'a Incident,
    pub service_name: &'a str,
    /// The incident's page, for people.
    pub html_url: String,
    pub step: u32,
    pub loop_: u32,
}

/// The webhook body: `{"event": {id, event_type, occurred_at, data: {incident, step, loop}}}`,
/// the incident as the API shows it plus `html_url`.
pub fn webhook_body(m: &Message<'_>) -> Vec<u8> {
    let mut incident = serde_json::to_value(m.incident).unwrap_or(Value::Null);
    if let Value::Object(o) = &mut incident {
        o.insert("html_url".into(), Value::String(m.html_url.clone()));
        o.insert("service_name".into(), Value::String(m.service_name.into()));
    }
    let body = json!({
        "event": {
            "id": m.delivery,
            "event_type": m.kind.event_type(),
            "occurred_at": m.occurred_at.to_rfc3339_opts(SecondsFormat::Micros, true),
            "data": {"incident": incident, "step": m.step, "loop": m.loop_},
        }
    });
    body.to_string().into_bytes()
}

/// `X-Tocsin-Signature`: `v1=<hex HMAC-SHA256 of the raw body>` for each signing secret,
/// comma-separated (several while a secret is being rotated; receivers accept any).
pub fn signature(secrets: &[&str], body: &[u8]) -> String {
    secrets
        .iter()
        .map(|s| format!("v1={}", hex_hmac(s.as_bytes(), body)))
        .collect::<Vec<_>>()
        .join(",")
}

fn hex_hmac(key: &[u8], body: &[u8]) -> String {
    // HMAC takes a key of any length, so this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `header` carries a valid signature of `body` under `secret`: what a receiver
/// does (the tests' receivers use it).
pub fn verify(secret: &str, body: &[u8], header: &str) -> bool {
    let want = hex_hmac(secret.as_bytes(), body);
    header
        .split(',')
        .filter_map(|part| part.trim().strip_prefix("v1="))
        .any(|got| bool::from(got.as_bytes().ct_eq(want.as_bytes())))
}

fn headline(m: &Message<'_>) -> String {
    let what = match m.kind {
        NotificationKind::Triggered => "Triggered",
        NotificationKind::Escalated => "Escalated",
        NotificationKind::Acknowledged => "Acknowledged",
        NotificationKind::Resolved => "Resolved",
    };
    format!(
        "{what} #{} [{}] {}",
        m.incident.number,
        m.incident.severity.as_str(),
        m.incident.title
    )
}

/// Slack's escaping for text: `&`, `<` and `>` (so a title cannot ping `<!channel>`).
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Slack-compatible incoming-webhook body (Slack, Mattermost and Rocket.Chat accept it).
pub fn slack_body(m: &Message<'_>) -> Vec<u8> {
    let text = slack_escape(&headline(m));
    let fields = format!(
        "*Service:* {}\n*Severity:* {}\n*Status:* {}\n*Incident:* #{}",
        slack_escape(m.service_name),
        m.incident.severity.as_str(),
        m.kind.as_str(),
        m.incident.number
    );
    let body = json!({
        "text": format!("{text} <{}|open>", m.html_url),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": format!("*<{}|{text}>*", m.html_url)}},
            {"type": "section", "text": {"type": "mrkdwn", "text": fields}},
        ]
    });
    body.to_string().into_bytes()
}

/// An email, before SMTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// `<delivery id@host>`: the same on every attempt.
    pub message_id: String,
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The email for a notification; `host` names the sender in the Message-ID.
pub fn email(m: &Message<'_>, host: &str) -> Email {
    // A subject is one line whatever the alert's title holds.
    let title: String = m
        .incident
        .title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let subject = format!("[Tocsin #{}] {title}", m.incident.number);
    let text = format!(
        "{}\n\nService: {}\nSeverity: {}\nStatus: {}\n\n{}\n\n{}\n",
        headline(m),
        m.service_name,
        m.incident.severity.as_str(),
        m.kind.as_str(),
        m.incident.description,
        m.html_url
    );
    let html = format!(
        "<!doctype html><html><body><h2>{}</h2><p>Service: {}<br>Severity: {}<br>Status: {}</p>\
         <pre>{}</pre><p><a href=\"{}\">Open the incident</a></p></body></html>",
        html_escape(&headline(m)),
        html_escape(m.service_name),
        m.incident.severity.as_str(),
        m.kind.as_str(),
        html_escape(&m.incident.description),
        html_escape(&m.html_url)
    );
    Email {
        subject,
        text,
        html,
        message_id: format!("<{}@{host}>", m.delivery),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::ids::{IncidentId, ServiceId, TeamId};
    use crate::incident::IncidentStatus;
    use crate::Severity;

    fn incident() -> Incident {
        let t = DateTime::from_timestamp(1_800_000_000, 0).expect("instant");
        Incident {
            id: IncidentId::new(),
            number: 42,
            service_id: ServiceId::new(),
            team_id: TeamId::new(),
            alert_source: crate::SourceKind::Kapacitor,
            dedup_key: "cpu:host=a".into(),
            status: IncidentStatus::Triggered,
            severity: Severity::Critical,
            title: "CPU <!channel> high\r\nBcc: x@evil".into(),
            description: "<script>".into(),
            tags: BTreeMap::new(),
            event_count: 1,
            created_at: t,
            updated_at: t,
            acknowledged_at: None,
            acknowledged_by: None,
            resolved_at: None,
            resolved_by: None,
        }
    }

    fn message(inc: &Incident) -> Message<'_> {
        Message {
            delivery: NotificationId::new(),
            kind: NotificationKind::Triggered,
            occurred_at: inc.created_at,
            incident: inc,
            service_name: "checkout",
            html_url: "https://tocsin.example/incidents/x".into(),
            step: 0,
            loop_: 0,
        }
    }

    #[test]
    fn the_webhook_body_has_the_documented_shape() {
        let inc = incident();
        let m = message(&inc);
        let v: Value = serde_json::from_slice(&webhook_body(&m)).expect("JSON");
        assert_eq!(v["event"]["id"], m.delivery.to_string());
        assert_eq!(v["event"]["event_type"], "incident.triggered");
        assert_eq!(v["event"]["data"]["incident"]["number"], 42);
        assert_eq!(v["event"]["data"]["incident"]["html_url"], m.html_url);
        assert_eq!(v["event"]["data"]["step"], 0);
        assert_eq!(v["event"]["data"]["loop"], 0);
    }

    #[test]
    fn signatures_verify_and_name_every_secret() {
        let body = b"{\"a\":1}";
        let header = signature(&["old", "new"], body);
        assert_eq!(header.matches("v1=").count(), 2);
        assert!(verify("old", body, &header) && verify("new", body, &header));
        assert!(!verify("other", body, &header));
        assert!(!verify("new", b"{\"a\":2}", &header));
        // RFC 4231 test case 2.
        assert_eq!(
            hex_hmac(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn slack_and_email_escape_what_the_alert_wrote() {
        let inc = incident();
        let m = message(&inc);
        let slack: Value = serde_json::from_slice(&slack_body(&m)).expect("JSON");
        let text = slack["text"].as_str().expect("text");
        assert!(!text.contains("<!channel>") && text.contains("&lt;!channel&gt;"));
        assert!(slack["blocks"].as_array().is_some_and(|b| b.len() == 2));
        let e = email(&m, "tocsin.example");
        assert!(e.subject.starts_with("[Tocsin #42] CPU"));
        assert!(!e.subject.contains('\n') && !e.subject.contains('\r'));
        assert!(e.html.contains("&lt;script&gt;") && !e.html.contains("<script>"));
        assert_eq!(e.message_id, format!("<{}@tocsin.example>", m.delivery));
    }
}
