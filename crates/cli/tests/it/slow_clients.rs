//! Clients that are slow on purpose or by accident: trickled headers (slowloris), trickled
//! bodies, idle connections beyond the connection limit, one client holding every connection,
//! and a declared 10 MB body on any route. Raw TCP on loopback, because an HTTP client library
//! will not misbehave on request.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::{alert, metric, Server};

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

/// A connection from another loopback address (`127.0.0.2`…), as a second client.
async fn connect_from(server: &Server, ip: &str) -> TcpStream {
    let sock = tokio::net::TcpSocket::new_v4().expect("socket");
    sock.bind(format!("{ip}:0").parse().expect("ip"))
        .expect("bind");
    let s = sock
        .connect(addr(server).parse().expect("addr"))
        .await
        .expect("connect");
    let s = s.into_std().expect("std");
    s.set_nonblocking(false).expect("blocking");
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
    // The rest of the body is never read, so the client is told not to reuse the connection.
    assert!(
        resp.to_ascii_lowercase()
            .contains("\r\nconnection: close\r\n"),
        "{resp}"
    );
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
    let fresh = fresh_client(Duration::from_secs(30));
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
    assert!(
        resp.to_ascii_lowercase()
            .contains("\r\nconnection: close\r\n"),
        "{resp}"
    );
    assert!(resp.contains(r#""code":"payload_too_large""#), "{resp}");
    assert!(server.incidents(&svc).await.is_empty());
    let (st, _) = server.get("/readyz").await;
    assert_eq!(st, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_cannot_hold_every_connection() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start_with(
        tmp.path(),
        &[
            "--max-connections",
            "8",
            "--max-connections-per-client",
            "4",
        ],
    )
    .await;
    // A hog at 127.0.0.2 opens eight idle connections, enough for every slot.
    let mut hog = Vec::new();
    for _ in 0..8 {
        hog.push(connect_from(&server, "127.0.0.2").await);
    }
    // Everyone else is still served at once (not after the 30 s header timeout).
    let fresh = fresh_client(Duration::from_secs(5));
    let r = fresh
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("served while a hog holds its connections");
    assert_eq!(r.status(), 200);
    // The hog's connections past its four were closed, and that was counted and logged.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut closed = 0;
    while Instant::now() < deadline {
        closed = hog.iter().filter(|s| is_closed(s)).count();
        if closed >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        closed, 4,
        "of the hog's 8 connections, {closed} were closed"
    );
    assert_eq!(
        metric(&server, "tocsin_connections_refused_total").await,
        "tocsin_connections_refused_total 4"
    );
    assert!(server
        .log()
        .contains("connection refused: this client holds too many"));
    // Once the hog lets go, it may connect again.
    drop(hog);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let s = connect_from(&server, "127.0.0.2").await;
        std::thread::sleep(Duration::from_millis(100));
        if !is_closed(&s) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the hog's slots were never freed"
        );
    }
}

#[tokio::test]
async fn a_declared_oversize_body_is_refused_unread_on_every_route() {
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start(tmp.path()).await;
    for path in [
        "/api/v1/session",
        "/api/v1/teams",
        "/healthz",
        "/no/such/route",
    ] {
        let mut s = connect(&server);
        s.write_all(
            format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{{\"username\": \"",
                256 * 1024 + 1
            )
            .as_bytes(),
        )
        .expect("write");
        let (resp, _) = read_until_closed(&mut s, Duration::from_secs(20));
        assert!(resp.starts_with("HTTP/1.1 413"), "{path}: {resp}");
        assert!(
            resp.contains(r#""code":"payload_too_large""#),
            "{path}: {resp}"
        );
    }
    let (st, _) = server.get("/readyz").await;
    assert_eq!(st, 200);
}

/// A client that opens a new connection for every request, so it needs a free slot.
fn fresh_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(timeout)
        .build()
        .expect("client")
}
