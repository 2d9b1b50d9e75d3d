//! A loopback HTTP receiver: records every request, answers as told.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// How the receiver answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Status(u16),
    /// `302 Found` with this `Location`.
    Redirect(String),
    /// Never answers (until the receiver is dropped).
    Hang,
}

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    /// A header's value as text ("" when absent or not text).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

#[derive(Debug)]
struct Shared {
    answer: Mutex<Answer>,
    received: Mutex<Vec<Received>>,
    arrived: Notify,
}

/// The receiver; its server stops when it is dropped.
#[derive(Debug)]
pub struct HttpReceiver {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

async fn record(
    State(shared): State<Arc<Shared>>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes,
) -> Response {
    shared
        .received
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(Received {
            method,
            uri,
            headers,
            body,
        });
    shared.arrived.notify_waiters();
    let answer = shared
        .answer
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    match answer {
        Answer::Status(code) => StatusCode::from_u16(code)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
        Answer::Redirect(to) => (StatusCode::FOUND, [("location", to)]).into_response(),
        Answer::Hang => std::future::pending().await,
    }
}

impl HttpReceiver {
    /// Start on `127.0.0.1:0`, answering `answer` to every request.
    pub async fn start(answer: Answer) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            answer: Mutex::new(answer),
            received: Mutex::new(Vec::new()),
            arrived: Notify::new(),
        });
        let app = Router::new()
            .fallback(record)
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            // It only ends when aborted; an accept error ends the test's receiver, which the
            // test then sees as a connection failure.
            let _ = axum::serve(listener, app).await;
        });
        Ok(HttpReceiver { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Change the answer to the next requests.
    pub fn answer(&self, answer: Answer) {
        *self
            .shared
            .answer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = answer;
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared
            .received
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Wait (at most `within`) until `n` requests have arrived; all of them, or `None`.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Option<Vec<Received>> {
        tokio::time::timeout(within, async {
            loop {
                let arrived = self.shared.arrived.notified();
                let got = self.received();
                if got.len() >= n {
                    return got;
                }
                arrived.await;
            }
        })
        .await
        .ok()
    }
}

impl Drop for HttpReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
