//! The accept loop: HTTP/1.1 over hyper with the connection limits axum's own `serve` lacks.
//!
//! `axum::serve` sets no timer, so a client that trickles its headers (slowloris) or never
//! sends any holds a connection for ever. Here every connection gets hyper's header read
//! timeout, and a semaphore caps how many are served at once: past the cap we stop accepting
//! and new connections wait in the kernel's queue instead of costing memory. HTTP/1.1 only:
//! Kapacitor, curl and reverse proxies all speak it, and HTTP/2 would need its own limits.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use crate::limits::LimitsConfig;

/// Serve `app` until `shutdown` completes, then let in-flight connections finish.
pub async fn run(
    listener: TcpListener,
    app: Router,
    limits: &LimitsConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let header_timeout = limits.header_read_timeout;
    // Dropping `stop_rx` tells the loop and every connection to wind down; each connection
    // holds a `done_rx` clone, so `done_tx.closed()` resolves once all have finished.
    let (stop_tx, stop_rx) = watch::channel(());
    tokio::spawn(async move {
        shutdown.await;
        drop(stop_rx);
    });
    let (done_tx, done_rx) = watch::channel(());
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = stop_tx.closed() => break,
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = stop_tx.closed() => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let stop = stop_tx.clone();
        let done = done_rx.clone();
        tokio::spawn(async move {
            connection(stream, service, header_timeout, &stop).await;
            // Only now, with the socket closed, may another connection take the slot.
            drop(permit);
            drop(done);
        });
    }
    drop(done_rx);
    drop(listener);
    done_tx.closed().await;
    Ok(())
}

/// Serve one connection to its end; the socket is closed when this returns.
async fn connection(
    stream: tokio::net::TcpStream,
    service: TowerToHyperService<Router>,
    header_timeout: Duration,
    stop: &watch::Sender<()>,
) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        res = conn.as_mut() => {
            if let Err(e) = res {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
        () = stop.closed() => {
            conn.as_mut().graceful_shutdown();
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        }
    }
}
