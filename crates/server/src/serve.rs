//! The listener: accepts TCP connections, runs TLS when configured, and serves
//! the router over HTTP/1.1 and HTTP/2 until shut down.
//!
//! Every connection is bounded in time and number: the TLS handshake and the
//! request headers each have a timeout, at most [`MAX_CONNECTIONS`] are open at
//! once (further clients wait in the kernel's accept queue), and connections
//! still open when the drain timeout ends are aborted, so a slow client can
//! neither exhaust file descriptors nor hold up shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// Connection metadata handed to handlers through request extensions.
#[derive(Debug, Clone, Copy)]
pub struct ConnInfo {
    /// Peer address.
    pub peer: SocketAddr,
    /// Whether the connection runs TLS.
    pub tls: bool,
}

/// Maximum open connections; clients beyond it wait until one closes.
pub const MAX_CONNECTIONS: usize = 1024;
/// Time a TLS handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Time a client has to send a request's headers, on a new or a kept-alive connection.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Time open connections get to finish after a shutdown request; the rest are aborted.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// A running listener.
pub struct Listener {
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Listener {
    /// Starts serving `router` on `listener`, with TLS when `tls` is given.
    pub fn start(listener: TcpListener, tls: Option<Arc<rustls::ServerConfig>>, router: Router) -> std::io::Result<Self> {
        let local_addr = listener.local_addr()?;
        let (stop, stopped) = watch::channel(false);
        let acceptor = tls.map(TlsAcceptor::from);
        let task = tokio::spawn(accept_loop(listener, acceptor, router, stopped));
        Ok(Self { local_addr, stop, task })
    }

    /// Returns the bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, lets open connections finish within the drain timeout, and waits for the listener task.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::warn!(%error, "listener task failed");
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    router: Router,
    mut stopped: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut connections = JoinSet::new();
    loop {
        // Reap finished connection tasks so the set does not grow.
        while connections.try_join_next().is_some() {}

        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            _ = stopped.changed() => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let acceptor = acceptor.clone();
        let watcher = graceful.watcher();
        connections.spawn(async move {
            let _permit = permit;
            let info = ConnInfo { peer, tls: acceptor.is_some() };
            let Some(acceptor) = acceptor else {
                serve_connection(stream, router, info, watcher).await;
                return;
            };
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(stream)) => serve_connection(stream, router, info, watcher).await,
                Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }

    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await.is_err() {
        tracing::warn!(open = connections.len(), "connections still open after the drain timeout were aborted");
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

async fn serve_connection<S>(
    stream: S,
    router: Router,
    info: ConnInfo,
    watcher: hyper_util::server::graceful::Watcher,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = router.map_request(move |mut req: http::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(info);
        req
    });
    let mut builder = ConnBuilder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
    builder.http2().timer(TokioTimer::new()).keep_alive_interval(Some(Duration::from_secs(30)));
    let conn = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    if let Err(error) = watcher.watch(conn.into_owned()).await {
        tracing::debug!(peer = %info.peer, %error, "connection ended with an error");
    }
}
