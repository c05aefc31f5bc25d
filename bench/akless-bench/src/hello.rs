//! `hello`: the cheapest endpoint the akless stack can serve, as the HTTP bound of every scenario.
//!
//! It uses the server's own pieces: `akless_server::serve::Listener` (accept loop, TLS handshake,
//! hyper auto HTTP/1.1 and HTTP/2 with the same timeouts), the listener TLS settings from the data
//! directory's local CA, axum, and a multi-thread tokio runtime. It lives here, not in the server,
//! so the production binary has no unauthenticated debug route.

use std::net::SocketAddr;
use std::path::PathBuf;

use akless_server::serve::Listener;
use anyhow::Context;
use axum::routing::any;
use axum::Router;
use clap::Args;
use tokio::net::TcpListener;

/// Arguments of `hello`.
#[derive(Args)]
pub struct HelloArgs {
    /// The akless data directory whose local CA signs the listener certificate.
    #[arg(long)]
    data_dir: PathBuf,
    /// Loopback address to listen on.
    #[arg(long)]
    listen: SocketAddr,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long)]
    http: bool,
}

/// Serves until SIGTERM.
pub async fn run(args: HelloArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.listen.ip().is_loopback(), "the hello server listens on loopback only");
    let tls = if args.http {
        None
    } else {
        Some(akless_server::tls::server_config_from_local_ca(&args.data_dir).context("listener TLS")?)
    };
    let router = Router::new().route("/", any(|| async { "hello" }));
    let tcp = TcpListener::bind(args.listen).await.context("bind")?;
    let listener = Listener::start(tcp, tls, router)?;
    eprintln!("hello listening on {}", listener.local_addr());
    crate::shutdown_signal().await;
    listener.shutdown().await;
    Ok(())
}
