//! The listener: accepts TCP connections, runs TLS when configured, and serves
//! the router over HTTP/1.1 and HTTP/2 until shut down.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
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

/// Time a TLS handshake may take before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Time open connections get to finish after a shutdown request.
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
        let (stop, mut stopped) = watch::channel(false);
        let acceptor = tls.map(TlsAcceptor::from);
        let task = tokio::spawn(async move {
            let graceful = GracefulShutdown::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let (stream, peer) = match accepted {
                            Ok(pair) => pair,
                            Err(error) => {
                                tracing::warn!(%error, "accept failed");
                                tokio::time::sleep(Duration::from_millis(50)).await;
                                continue;
                            }
                        };
                        let _ = stream.set_nodelay(true);
                        let router = router.clone();
                        let acceptor = acceptor.clone();
                        let watcher = graceful.watcher();
                        tokio::spawn(async move {
                            let info = ConnInfo { peer, tls: acceptor.is_some() };
                            let service = router.map_request(move |mut req: http::Request<hyper::body::Incoming>| {
                                req.extensions_mut().insert(info);
                                req
                            });
                            let hyper_service = TowerToHyperService::new(service);
                            let builder = ConnBuilder::new(TokioExecutor::new());
                            match acceptor {
                                Some(acceptor) => {
                                    let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                                        Ok(Ok(stream)) => stream,
                                        Ok(Err(error)) => {
                                            tracing::debug!(%peer, %error, "TLS handshake failed");
                                            return;
                                        }
                                        Err(_) => {
                                            tracing::debug!(%peer, "TLS handshake timed out");
                                            return;
                                        }
                                    };
                                    let conn = builder.serve_connection(TokioIo::new(stream), hyper_service);
                                    if let Err(error) = watcher.watch(conn.into_owned()).await {
                                        tracing::debug!(%peer, %error, "connection ended with an error");
                                    }
                                }
                                None => {
                                    let conn = builder.serve_connection(TokioIo::new(stream), hyper_service);
                                    if let Err(error) = watcher.watch(conn.into_owned()).await {
                                        tracing::debug!(%peer, %error, "connection ended with an error");
                                    }
                                }
                            }
                        });
                    }
                    _ = stopped.changed() => break,
                }
            }
            drop(listener);
            if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await.is_err() {
                tracing::warn!("open connections did not finish within the drain timeout");
            }
        });
        Ok(Self { local_addr, stop, task })
    }

    /// Returns the bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, lets open connections finish, and waits for the listener task.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::warn!(%error, "listener task failed");
        }
    }
}
