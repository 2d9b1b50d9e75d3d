//! `noop-server`: the ceiling. The same stack as `tocsin serve` (tokio, hyper, axum) and the
//! same Kapacitor decoder, but nothing stored: what an alert costs before Tocsin does its work.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use clap::Parser;
use tocsin_core::SourceKind;

#[derive(Parser)]
#[command(
    name = "noop-server",
    about = "Accept Kapacitor alerts, decode them, answer 202, keep nothing."
)]
struct Args {
    /// Address to listen on (loopback; port 0 picks one, printed on stdout).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
}

async fn accept(body: Bytes) -> (StatusCode, &'static str) {
    match SourceKind::Kapacitor.decode(&body) {
        Ok(events) if !events.is_empty() => (StatusCode::ACCEPTED, r#"{"status":"accepted"}"#),
        _ => (StatusCode::BAD_REQUEST, r#"{"code":"invalid_body"}"#),
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let app = Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .fallback(post(accept));
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        println!("Listening on http://{}", listener.local_addr()?);
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    })
}
