//! The accept loop: HTTP/1.1 over hyper with the connection limits axum's own `serve` lacks.
//!
//! `axum::serve` sets no timer, so a client that trickles its headers (slowloris) or never
//! sends any holds a connection for ever. Here every connection gets hyper's header read
//! timeout, and a semaphore caps how many are served at once: past the cap we stop accepting
//! and new connections wait in the kernel's queue instead of costing memory. So that one client
//! cannot take every slot (idle sockets held until the header timeout), each client address
//! may hold only so many at once; past that its new connections are closed as soon as they
//! are accepted, logged and counted. HTTP/1.1 only:
//! Kapacitor, curl and reverse proxies all speak it, and HTTP/2 would need its own limits.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::response::Response;
use axum::routing::future::RouteFuture;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tower::Service;

use crate::limits::{client_key, LimitsConfig};
use crate::telemetry::Metrics;

/// Serve `app` until `shutdown` completes, then let in-flight connections finish.
pub async fn run(
    listener: TcpListener, app: Router, limits: &LimitsConfig, metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_client = Arc::new(PerClient::new(limits.max_connections_per_client));
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
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = stop_tx.closed() => break,
        };
        let Some(client_slot) = per_client.enter(client_key(peer.ip())) else {
            metrics.count_connection_refused();
            if per_client.should_warn() {
                tracing::warn!(client = %peer.ip(), max = per_client.max,
                    "connection refused: this client holds too many (counted in tocsin_connections_refused_total)");
            }
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(WithPeer {
            app: app.clone(),
            peer,
        });
        let stop = stop_tx.clone();
        let done = done_rx.clone();
        tokio::spawn(async move {
            connection(stream, service, header_timeout, &stop).await;
            // Only now, with the socket closed, may another connection take the slot.
            drop(client_slot);
            drop(permit);
            drop(done);
        });
    }
    drop(done_rx);
    drop(listener);
    done_tx.closed().await;
    Ok(())
}

/// Connections held per client address.
struct PerClient {
    max: usize,
    held: Mutex<HashMap<IpAddr, usize>>,
    /// Unix seconds of the last refusal warning, so a flood logs once a second.
    last_warning: AtomicU64,
}

impl PerClient {
    fn new(max: usize) -> Self {
        Self {
            max: max.max(1),
            held: Mutex::new(HashMap::new()),
            last_warning: AtomicU64::new(0),
        }
    }

    /// A slot for one more connection from `ip`, released when dropped; `None` past the cap.
    fn enter(self: &Arc<Self>, ip: IpAddr) -> Option<ClientSlot> {
        // A poisoned lock means a panic elsewhere; serving is worth more than this limit.
        if let Ok(mut held) = self.held.lock() {
            let n = held.entry(ip).or_insert(0);
            if *n >= self.max {
                return None;
            }
            *n += 1;
        }
        Some(ClientSlot {
            owner: self.clone(),
            ip,
        })
    }

    fn should_warn(&self) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        self.last_warning.swap(now, Ordering::Relaxed) != now
    }
}

struct ClientSlot {
    owner: Arc<PerClient>,
    ip: IpAddr,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        if let Ok(mut held) = self.owner.held.lock() {
            if let Some(n) = held.get_mut(&self.ip) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    held.remove(&self.ip);
                }
            }
        }
    }
}

/// The router, with the client's address put in every request, where handlers that limit per
/// client (sign-in) find it as `ConnectInfo<SocketAddr>`.
#[derive(Clone)]
struct WithPeer {
    app: Router,
    peer: SocketAddr,
}

impl Service<Request<Incoming>> for WithPeer {
    type Response = Response;
    type Error = Infallible;
    type Future = RouteFuture<Infallible>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Service::<Request<Incoming>>::poll_ready(&mut self.app, cx)
    }

    fn call(&mut self, mut req: Request<Incoming>) -> Self::Future {
        req.extensions_mut().insert(ConnectInfo(self.peer));
        self.app.call(req)
    }
}

/// Serve one connection to its end; the socket is closed when this returns.
async fn connection(
    stream: tokio::net::TcpStream, service: TowerToHyperService<WithPeer>,
    header_timeout: Duration, stop: &watch::Sender<()>,
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
