//! Webhook and Slack sends against the loopback HTTP receiver.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tocsin_core::ids::NotificationId;
use tocsin_core::paging::delivery::Attempt;
use tocsin_core::paging::message::verify;

use crate::notify::http::USER_AGENT_VALUE;
use crate::notify::testing::{Answer, HttpReceiver};
use crate::notify::{Channel, NotifyConfig, Outbound, Sender};

const WAIT: Duration = Duration::from_secs(5);

fn sender(config: NotifyConfig) -> Sender {
    Sender::new(&config).expect("the senders build")
}

fn webhook(url: String, body: &str) -> Outbound {
    Outbound {
        delivery: NotificationId::new(),
        channel: Channel::Webhook {
            url,
            body: body.as_bytes().to_vec(),
            secrets: vec!["old-secret".into(), "new-secret".into()],
        },
    }
}

async fn receiver(answer: Answer) -> HttpReceiver {
    HttpReceiver::start(answer)
        .await
        .expect("a loopback receiver")
}

fn is_transient(a: &Attempt) -> bool {
    matches!(a, Attempt::Transient(_))
}

#[tokio::test]
async fn a_2xx_is_delivered_signed_with_every_header_and_the_same_id_on_retry() {
    let rx = receiver(Answer::Status(204)).await;
    let s = sender(NotifyConfig::default());
    let out = webhook(rx.url("/hooks/tocsin?x=1"), r#"{"event":{"id":"e"}}"#);
    assert_eq!(s.send(&out).await, Attempt::Delivered);
    assert_eq!(s.send(&out).await, Attempt::Delivered);
    let got = rx.wait_for(2, WAIT).await.expect("two requests");
    for r in &got {
        assert_eq!(r.method, "POST");
        assert_eq!(r.uri, "/hooks/tocsin?x=1");
        assert_eq!(r.header("content-type"), "application/json");
        assert_eq!(r.header("user-agent"), USER_AGENT_VALUE);
        assert!(USER_AGENT_VALUE.starts_with("Tocsin/"));
        assert_eq!(r.header("x-tocsin-delivery"), out.delivery.to_string());
        assert_eq!(&r.body[..], br#"{"event":{"id":"e"}}"#);
        let sig = r.header("x-tocsin-signature");
        assert_eq!(sig.matches("v1=").count(), 2, "{sig}");
        assert!(verify("old-secret", &r.body, sig) && verify("new-secret", &r.body, sig));
        assert!(!verify("another-secret", &r.body, sig));
    }
}

#[tokio::test]
async fn slack_posts_are_not_signed() {
    let rx = receiver(Answer::Status(200)).await;
    let out = Outbound {
        delivery: NotificationId::new(),
        channel: Channel::Slack {
            url: rx.url("/services/T/B/X"),
            body: br#"{"text":"hi"}"#.to_vec(),
        },
    };
    assert_eq!(
        sender(NotifyConfig::default()).send(&out).await,
        Attempt::Delivered
    );
    let got = rx.wait_for(1, WAIT).await.expect("one request");
    assert_eq!(got[0].header("x-tocsin-signature"), "");
    assert_eq!(got[0].header("x-tocsin-delivery"), out.delivery.to_string());
}

#[tokio::test]
async fn a_500_is_transient_and_a_410_permanent() {
    let rx = receiver(Answer::Status(500)).await;
    let s = sender(NotifyConfig::default());
    let out = webhook(rx.url("/"), "{}");
    assert!(is_transient(&s.send(&out).await));
    rx.answer(Answer::Status(410));
    assert!(matches!(s.send(&out).await, Attempt::Permanent(_)));
    rx.answer(Answer::Status(200));
    assert_eq!(s.send(&out).await, Attempt::Delivered);
    assert_eq!(rx.received().len(), 3);
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let elsewhere = receiver(Answer::Status(200)).await;
    let rx = receiver(Answer::Redirect(elsewhere.url("/stolen"))).await;
    let a = sender(NotifyConfig::default())
        .send(&webhook(rx.url("/"), "{}"))
        .await;
    assert!(is_transient(&a), "{a:?}");
    assert_eq!(rx.received().len(), 1);
    assert!(elsewhere.received().is_empty(), "the redirect was followed");
}

#[tokio::test]
async fn a_refused_connection_is_transient() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let a = sender(NotifyConfig::default())
        .send(&webhook(format!("http://127.0.0.1:{port}/"), "{}"))
        .await;
    assert!(
        matches!(&a, Attempt::Transient(e) if e.contains("connect")),
        "{a:?}"
    );
}

#[tokio::test]
async fn a_hanging_receiver_times_out_while_another_is_served_at_once() {
    let timeout = Duration::from_millis(1500);
    let s = Arc::new(sender(NotifyConfig {
        connect_timeout: timeout,
        total_timeout: timeout,
        per_destination: 2,
        ..NotifyConfig::default()
    }));
    let hanging = receiver(Answer::Hang).await;
    let prompt = receiver(Answer::Status(200)).await;
    // More sends to the hanging receiver than its destination may have in flight.
    let stuck: Vec<_> = (0..3)
        .map(|_| {
            let (s, out) = (Arc::clone(&s), webhook(hanging.url("/"), "{}"));
            tokio::spawn(async move { s.send(&out).await })
        })
        .collect();
    hanging
        .wait_for(2, WAIT)
        .await
        .expect("the receiver holds two");
    let start = Instant::now();
    let a = s.send(&webhook(prompt.url("/"), "{}")).await;
    let took = start.elapsed();
    assert_eq!(a, Attempt::Delivered);
    assert!(took < timeout / 3, "the prompt receiver waited {took:?}");
    let mut timed_out = 0;
    for t in stuck {
        let a = t.await.expect("the send task");
        assert!(is_transient(&a), "{a:?}");
        timed_out +=
            usize::from(matches!(&a, Attempt::Transient(e) if e.contains("did not answer")));
    }
    assert!(timed_out >= 2, "{timed_out} timed out");
}

#[tokio::test]
async fn metadata_and_link_local_addresses_are_refused_without_connecting() {
    let s = sender(NotifyConfig::default());
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]:8080/",
        // The same address as an IPv4-mapped IPv6 literal, and as one decimal number (the
        // URL parser reads it as 169.254.169.254, as browsers do).
        "http://[::ffff:169.254.169.254]/",
        "http://2852039166/",
    ] {
        let start = Instant::now();
        let a = s.send(&webhook(url.into(), "{}")).await;
        assert!(
            matches!(&a, Attempt::Permanent(e) if e.contains("link-local")),
            "{url}: {a:?}"
        );
        assert!(start.elapsed() < Duration::from_secs(1), "{url} was tried");
    }
    // https is spoken: to a plain-HTTP receiver the handshake fails, a transient failure
    // (the receiver may be fixed), not a refusal of the scheme.
    let plain = receiver(Answer::Status(200)).await;
    let https = s
        .send(&webhook(
            format!("https://127.0.0.1:{}/", plain.addr().port()),
            "{}",
        ))
        .await;
    assert!(matches!(https, Attempt::Transient(_)), "{https:?}");
    for url in ["ftp://example.com/", "not a url"] {
        let a = s.send(&webhook(url.into(), "{}")).await;
        assert!(matches!(a, Attempt::Permanent(_)), "{url}: {a:?}");
    }
}

#[tokio::test]
async fn deny_private_refuses_loopback_literals_and_names_that_resolve_to_it() {
    let rx = receiver(Answer::Status(200)).await;
    let port = rx.addr().port();
    let literal = format!("http://127.0.0.1:{port}/");
    let name = format!("http://localhost:{port}/");
    let open = sender(NotifyConfig::default());
    // Without the flag both reach the receiver: the refusals below are the policy's doing.
    assert_eq!(
        open.send(&webhook(literal.clone(), "{}")).await,
        Attempt::Delivered
    );
    assert_eq!(
        open.send(&webhook(name.clone(), "{}")).await,
        Attempt::Delivered
    );
    assert_eq!(rx.received().len(), 2);

    let closed = sender(NotifyConfig {
        deny_private_targets: true,
        ..NotifyConfig::default()
    });
    let a = closed.send(&webhook(literal, "{}")).await;
    assert!(
        matches!(&a, Attempt::Permanent(e) if e.contains("127.0.0.1")),
        "{a:?}"
    );
    // `localhost` is a name: refused by the resolver, on its resolved address.
    let a = closed.send(&webhook(name, "{}")).await;
    assert!(
        matches!(&a, Attempt::Permanent(e) if e.contains("deny-private")),
        "{a:?}"
    );
    let a = closed
        .send(&webhook(format!("http://[::1]:{port}/"), "{}"))
        .await;
    assert!(
        matches!(&a, Attempt::Permanent(e) if e.contains("deny-private")),
        "{a:?}"
    );
    assert_eq!(rx.received().len(), 2, "a refused destination was called");
}

/// A raw receiver that answers `200` with a declared 100 MB body, sends `sent` bytes of it and
/// then stalls: what a hostile or broken receiver does to a sender that reads answers whole.
async fn stalling_answer(sent: usize) -> (String, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        let Ok((mut conn, _)) = listener.accept().await else {
            return;
        };
        let mut buf = [0u8; 4096];
        let _ = conn.read(&mut buf).await;
        let head = "HTTP/1.1 200 OK\r\ncontent-length: 100000000\r\n\r\n";
        let _ = conn.write_all(head.as_bytes()).await;
        let _ = conn.write_all(&vec![b'x'; sent]).await;
        std::future::pending::<()>().await;
    });
    (url, task)
}

#[tokio::test]
async fn an_answer_is_read_only_up_to_the_cap() {
    let timeout = Duration::from_secs(3);
    let s = sender(NotifyConfig {
        total_timeout: timeout,
        max_response_bytes: 64 * 1024,
        ..NotifyConfig::default()
    });
    // Past the cap, the sender stops reading and has its answer at once…
    let (url, task) = stalling_answer(256 * 1024).await;
    let start = Instant::now();
    assert_eq!(s.send(&webhook(url, "{}")).await, Attempt::Delivered);
    assert!(
        start.elapsed() < timeout / 3,
        "waited {:?}",
        start.elapsed()
    );
    task.abort();
    // …below it, it waits for more, but never past the total timeout, and a 2xx given is kept.
    let (url, task) = stalling_answer(10).await;
    let start = Instant::now();
    assert_eq!(s.send(&webhook(url, "{}")).await, Attempt::Delivered);
    let took = start.elapsed();
    assert!(
        took >= timeout - Duration::from_millis(100) && took < timeout * 2,
        "{took:?}"
    );
    task.abort();
}
