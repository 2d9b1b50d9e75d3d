//! From a message to what a sender puts on the wire, per kind of destination; and the "send
//! test" message, a synthetic incident sent exactly as a real notification would be, so a
//! person checking a contact method sees what paging will send.

use chrono::{DateTime, Utc};
use tocsin_core::ids::{IncidentId, NotificationId, ServiceId, TeamId};
use tocsin_core::model::Incident;
use tocsin_core::paging::escalation::NotificationKind;
use tocsin_core::paging::message::{self, Message};
use tocsin_core::paging::records::MethodKind;
use tocsin_core::{IncidentStatus, Severity, SourceKind};

use super::{Channel, Outbound};

/// The title of the test message's incident.
pub const TEST_TITLE: &str = "Test notification from Tocsin";

/// Where a notification goes: a contact method's or a channel's kind, target and, for
/// webhooks, signing secrets.
#[derive(Debug, Clone, Copy)]
pub struct Destination<'a> {
    pub kind: MethodKind,
    /// The URL or the address.
    pub target: &'a str,
    pub signing_secret: Option<&'a str>,
}

/// The name a server gives itself in email Message-IDs: its public URL's host.
pub fn mail_host(public_url: &str) -> String {
    url::Url::parse(public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "tocsin".to_owned())
}

/// `m`, prepared for `to`: the bytes `core::paging::message` makes for its kind.
pub fn outbound(to: Destination<'_>, m: &Message<'_>, public_url: &str) -> Outbound {
    let channel = match to.kind {
        MethodKind::Webhook => Channel::Webhook {
            url: to.target.to_owned(),
            body: message::webhook_body(m),
            secrets: to.signing_secret.map(str::to_owned).into_iter().collect(),
        },
        MethodKind::Slack => Channel::Slack {
            url: to.target.to_owned(),
            body: message::slack_body(m),
        },
        MethodKind::Email => Channel::Email {
            to: to.target.to_owned(),
            email: message::email(m, &mail_host(public_url)),
        },
    };
    Outbound {
        delivery: m.delivery,
        channel,
    }
}

/// The synthetic incident of a test message: number 0, nothing wrong.
fn test_incident(now: DateTime<Utc>) -> Incident {
    Incident {
        id: IncidentId::new(),
        number: 0,
        service_id: ServiceId::new(),
        team_id: TeamId::new(),
        alert_source: SourceKind::Kapacitor,
        dedup_key: "tocsin-test".into(),
        status: IncidentStatus::Triggered,
        severity: Severity::Info,
        title: TEST_TITLE.into(),
        description: "Someone asked Tocsin to check this destination. Nothing is wrong.".into(),
        tags: Default::default(),
        event_count: 0,
        created_at: now,
        updated_at: now,
        acknowledged_at: None,
        acknowledged_by: None,
        resolved_at: None,
        resolved_by: None,
    }
}

/// The test message for `to`, with a fresh delivery id.
pub fn test_outbound(to: Destination<'_>, public_url: &str, now: DateTime<Utc>) -> Outbound {
    let incident = test_incident(now);
    let m = Message {
        delivery: NotificationId::new(),
        kind: NotificationKind::Triggered,
        occurred_at: now,
        incident: &incident,
        service_name: "Tocsin",
        html_url: format!("{}/", public_url.trim_end_matches('/')),
        step: 0,
        loop_: 0,
    };
    outbound(to, &m, public_url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_message_is_a_real_message_about_incident_zero() {
        let now = Utc::now();
        let hook = Destination {
            kind: MethodKind::Webhook,
            target: "http://127.0.0.1:9/h",
            signing_secret: Some("s3cret"),
        };
        let out = test_outbound(hook, "https://tocsin.example.com", now);
        let Channel::Webhook { url, body, secrets } = &out.channel else {
            panic!("{out:?}");
        };
        assert_eq!(
            (url.as_str(), secrets.as_slice()),
            ("http://127.0.0.1:9/h", &["s3cret".to_owned()][..])
        );
        let v: serde_json::Value = serde_json::from_slice(body).expect("json");
        assert_eq!(v["event"]["id"], out.delivery.to_string());
        assert_eq!(v["event"]["data"]["incident"]["number"], 0);
        assert_eq!(v["event"]["data"]["incident"]["title"], TEST_TITLE);
        let mail = Destination {
            kind: MethodKind::Email,
            target: "oncall@example.com",
            signing_secret: None,
        };
        let out = test_outbound(mail, "https://tocsin.example.com/", now);
        let Channel::Email { to, email } = &out.channel else {
            panic!("{out:?}");
        };
        assert_eq!(to, "oncall@example.com");
        assert!(email.subject.contains(TEST_TITLE), "{}", email.subject);
        assert!(
            email.message_id.ends_with("@tocsin.example.com>"),
            "{}",
            email.message_id
        );
        let slack = Destination {
            kind: MethodKind::Slack,
            target: "http://127.0.0.1:9/s",
            signing_secret: None,
        };
        assert!(matches!(
            test_outbound(slack, "http://x", now).channel,
            Channel::Slack { .. }
        ));
    }
}
