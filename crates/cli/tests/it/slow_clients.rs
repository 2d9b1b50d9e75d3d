//! Clients that are slow on purpose or by accident: trickled headers (slowloris), trickled
//! bodies, idle connections beyond the connection limit, and a declared 10 MB body. Raw TCP on
//! loopback, because an HTTP client library will not misbehave on request.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::{alert, Server};

/// The `host:port` of a server.
pub fn addr(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

fn connect(server: &Server) -> TcpStream {
    let s = TcpStream::connect(addr(server)).expect("connect");
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("read timeout");
    s
}

/// Read what the server sends until it closes the connection or `within` passes. Returns the
/// bytes and whether it closed.
fn read_until_closed(s: &mut TcpStream, within: Duration) -> (String, bool) {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&got).into_owned(), true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), true),
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), false)
}

/// Whether the server has closed `s` (without waiting). It may have said something first
/// (hyper answers a header timeout with a bare 408), so read past any bytes to the end.
fn is_closed(s: &TcpStream) -> bool {
    s.set_nonblocking(true).expect("nonblocking");
    let mut buf = [0u8; 1024];
    let closed = loop {
        match (&*s).read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => continue,
            Err(e) => break e.kind() != std::io::ErrorKind::WouldBlock,
        }
    };
    s.set_nonblocking(false).expect("blocking");
    closed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_is_cut_off_and_others_are_served() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start_with(tmp.path(), &["--header-read-timeout", "1"]).await;
    let (svc, url) = server.new_service("slowloris").await;
    let path = url.trim_start_matches(&server.base).to_owned();
    let mut s = connect(&server);
    s.write_all(format!("POST {path} HTTP/1.1\r\nHost: x\r\n").as_bytes())
        .expect("write");
    // Trickle one header byte at a time; the server must hang up on us regardless.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut closed = false;
    let mut trickled = 0;
    while Instant::now() < deadline && !closed {
        if s.write_all(b"X").is_err() {
            closed = true;
            break;
        }
        trickled += 1;
        let (_, c) = read_until_closed(&mut s, Duration::from_millis(200));
        closed = c;
        // Meanwhile everyone else is served.
        let (st, _) = server.get("/api/v1/teams").await;
        assert_eq!(st, 200);
    }
    assert!(closed, "a slowloris connection was kept open for 20 s");
    eprintln!("slowloris: cut off after {trickled} trickled bytes");
    assert!(server.incidents(&svc).await.is_empty());
    let (st, _) = server
        .send(&url, alert("after-slowloris", "CRITICAL"))
        .await;
    assert_eq!(st, 202);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_sent_too_slowly_times_out_with_json() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start_with(tmp.path(), &["--request-timeout", "1"]).await;
    let (svc, url) = server.new_service("slow-body").await;
    let path = url.trim_start_matches(&server.base).to_owned();
    let body = alert("slow", "CRITICAL");
    let mut s = connect(&server);
    s.write_all(
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .expect("write");
    // Half the body, then nothing: the request must be answered 408, not held open.
    s.write_all(&body.as_bytes()[..body.len() / 2])
        .expect("write");
    let (resp, _) = read_until_closed(&mut s, Duration::from_secs(20));
    assert!(resp.starts_with("HTTP/1.1 408"), "{resp}");
    assert!(resp.contains(r#""code":"request_timeout""#), "{resp}");
    assert!(resp.contains(r#""detail":"#), "{resp}");
    assert!(server.incidents(&svc).await.is_empty());
    let (st, _) = server
        .send(&url, alert("after-slow-body", "CRITICAL"))
        .await;
    assert_eq!(st, 202);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_wait_until_one_frees() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start_with(
        tmp.path(),
        &["--max-connections", "2", "--header-read-timeout", "2"],
    )
    .await;
    // Two idle connections that never send a byte take both slots (the server's own keep-alive
    // connection from the start-up check may hold one too: it also times out).
    let idle = [connect(&server), connect(&server)];
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let r = fresh
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(r.status(), 200);
    // It was only served once a slot freed: by then the header timeout had closed an idle one.
    assert!(
        idle.iter().any(is_closed),
        "a third connection was served while two idle ones held both slots"
    );
}

#[tokio::test]
async fn a_declared_10_mb_body_is_refused_unread() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(tmp.path()).await;
    let (svc, url) = server.new_service("huge").await;
    let path = url.trim_start_matches(&server.base).to_owned();
    let mut s = connect(&server);
    s.write_all(
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{\"id\": \"a\", \"details\": \"",
            10 * 1024 * 1024
        )
        .as_bytes(),
    )
    .expect("write");
    let (resp, _) = read_until_closed(&mut s, Duration::from_secs(20));
    assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
    assert!(resp.contains(r#""code":"payload_too_large""#), "{resp}");
    assert!(server.incidents(&svc).await.is_empty());
    let (st, _) = server.get("/readyz").await;
    assert_eq!(st, 200);
}
