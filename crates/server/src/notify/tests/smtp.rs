//! Email sends against the loopback SMTP server.

use std::time::Duration;

use tocsin_core::ids::NotificationId;
use tocsin_core::paging::delivery::Attempt;
use tocsin_core::paging::message::Email;

use crate::notify::smtp::SmtpConfig;
use crate::notify::testing::{SmtpReceiver, SmtpReply};
use crate::notify::{Channel, NotifyConfig, Outbound, Sender};

const WAIT: Duration = Duration::from_secs(5);

fn sender(url: String) -> Sender {
    Sender::new(&NotifyConfig {
        smtp: Some(SmtpConfig {
            url,
            from: "Tocsin <tocsin@tocsin.test>".into(),
            timeout: Duration::from_secs(5),
        }),
        ..NotifyConfig::default()
    })
    .expect("the senders build")
}

fn email(to: &str) -> Outbound {
    let delivery = NotificationId::new();
    Outbound {
        delivery,
        channel: Channel::Email {
            to: to.into(),
            email: Email {
                subject: "[Tocsin #7] Disk full on db-1".into(),
                text: "Triggered #7 [critical] Disk full on db-1\n".into(),
                html: "<p>Triggered <b>#7</b></p>".into(),
                message_id: format!("<{delivery}@tocsin.test>"),
            },
        },
    }
}

#[tokio::test]
async fn an_email_arrives_with_its_subject_both_parts_and_message_id() {
    let relay = SmtpReceiver::start(SmtpReply::Accept).await.expect("relay");
    let out = email("ada@example.com");
    assert_eq!(sender(relay.url()).send(&out).await, Attempt::Delivered);
    let mails = relay.wait_for(1, WAIT).await.expect("one message");
    let m = &mails[0];
    assert_eq!(m.from, "tocsin@tocsin.test");
    assert_eq!(m.to, ["ada@example.com"]);
    assert!(
        m.data
            .contains("Subject: [Tocsin #7] Disk full on db-1\r\n"),
        "{}",
        m.data
    );
    assert!(
        m.data
            .contains(&format!("Message-ID: <{}@tocsin.test>\r\n", out.delivery)),
        "{}",
        m.data
    );
    assert!(m.data.contains("multipart/alternative"), "{}", m.data);
    let plain = m
        .data
        .find("Content-Type: text/plain")
        .expect("a text part");
    let html = m
        .data
        .find("Content-Type: text/html")
        .expect("an HTML part");
    assert!(
        plain < html,
        "the plain part comes first, as readers prefer the last they can show"
    );
    assert!(
        m.data.contains("Triggered #7 [critical] Disk full on db-1"),
        "{}",
        m.data
    );
    assert!(m.data.contains("<p>Triggered <b>#7</b></p>"), "{}", m.data);
}

#[tokio::test]
async fn a_5xx_is_permanent_and_a_4xx_transient() {
    let relay = SmtpReceiver::start(SmtpReply::RejectRecipient("550 5.1.1 no such user".into()))
        .await
        .expect("relay");
    let s = sender(relay.url());
    let a = s.send(&email("nobody@example.com")).await;
    assert!(
        matches!(&a, Attempt::Permanent(e) if e.contains("550")),
        "{a:?}"
    );
    relay.reply(SmtpReply::RejectData("451 4.3.0 try again later".into()));
    let a = s.send(&email("ada@example.com")).await;
    assert!(
        matches!(&a, Attempt::Transient(e) if e.contains("451")),
        "{a:?}"
    );
    assert!(relay.mails().is_empty());
}

#[tokio::test]
async fn no_relay_is_transient_and_no_smtp_or_a_bad_address_permanent() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let s = sender(format!("smtp://127.0.0.1:{port}"));
    let a = s.send(&email("ada@example.com")).await;
    assert!(matches!(a, Attempt::Transient(_)), "{a:?}");
    let a = s.send(&email("not an address")).await;
    assert!(matches!(a, Attempt::Permanent(_)), "{a:?}");
    let none = Sender::new(&NotifyConfig::default()).expect("the senders build");
    let a = none.send(&email("ada@example.com")).await;
    assert!(
        matches!(&a, Attempt::Permanent(e) if e.contains("--smtp-url")),
        "{a:?}"
    );
}

#[test]
fn bad_smtp_settings_are_refused_at_start() {
    for (url, from) in [
        ("smtps://relay.example:465", "tocsin@example.com"),
        ("not a url", "tocsin@example.com"),
        ("smtp://relay.example", "not an address"),
    ] {
        let built = Sender::new(&NotifyConfig {
            smtp: Some(SmtpConfig {
                url: url.into(),
                from: from.into(),
                timeout: Duration::from_secs(1),
            }),
            ..NotifyConfig::default()
        });
        assert!(built.is_err(), "{url} {from}");
    }
}
