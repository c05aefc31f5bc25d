//! Starting and stopping one akless server: data directory, state, listener.

use std::net::SocketAddr;
use std::path::PathBuf;

use std::time::Duration;

use axum::routing::any;
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::audit;
use crate::bootstrap::{self, BootstrapError};
use crate::changes;
use crate::config::{ServerConfig, TlsMode};
use crate::issuer::{self, Issuer, IssuerError, IssuerSettings};
use crate::jwks::{FetchConfig, JwksCache};
use crate::nonce;
use crate::registry::Registry;
use crate::rpc::dispatch;
use crate::serve::Listener;
use crate::state::{AppState, StateParts};
use crate::tls::{self, TlsError};

/// Reasons a server fails to start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The data directory could not be opened or set up.
    #[error(transparent)]
    Bootstrap(#[from] BootstrapError),
    /// The listener's TLS settings are invalid.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The node could not subscribe to changes made through other nodes.
    #[error("cannot listen for changes made through other nodes: {0}")]
    Changes(akless_store::StoreError),
    /// The token issuer could not start.
    #[error(transparent)]
    Issuer(#[from] IssuerError),
    /// The outbound HTTPS client could not be built.
    #[error("cannot set up outbound HTTPS: {0}")]
    Fetch(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The operating-system error.
        source: std::io::Error,
    },
}

/// A running server.
pub struct Server {
    listener: Listener,
    audit_task: JoinHandle<()>,
    /// Tasks that run until shutdown, such as the change feed and the nonce purge.
    background: Vec<JoinHandle<()>>,
    state: Option<AppState>,
    tls: bool,
    ca_file: Option<PathBuf>,
}

impl Server {
    /// Opens the store and data directory, binds the listener and starts serving.
    pub async fn start(config: ServerConfig) -> Result<Self, ServerError> {
        let data = bootstrap::open(&config).await?;
        let tls_config = match &config.tls {
            TlsMode::LocalCa => Some(tls::server_config_from_local_ca(&config.data_dir)?),
            TlsMode::Files { cert, key } => Some(tls::server_config_from_files(cert, key)?),
            TlsMode::PlainHttp => None,
        };
        let ca_file = matches!(config.tls, TlsMode::LocalCa).then(|| config.data_dir.join(tls::CA_CERT_FILE));

        let mut extra_roots = match &config.trust_ca_file {
            Some(path) => tls::load_certs(path)?,
            None => Vec::new(),
        };
        // The server trusts its own local CA for outbound fetches, so an OIDC provider registered for
        // this server's own token issuer can fetch its keys. The CA key never leaves the data directory.
        if let Some(path) = &ca_file {
            extra_roots.extend(tls::load_certs(path)?);
        }
        let jwks = JwksCache::new(FetchConfig {
            extra_roots,
            allow_private_issuers: config.allow_private_issuers,
            cache_ttl: config.jwks_cache_ttl,
            refresh_cooldown: config.jwks_refresh_cooldown,
            timeout: Duration::from_secs(5),
            max_body_bytes: 256 * 1024,
        })
        .map_err(|e| ServerError::Fetch(e.to_string()))?;

        // Bound before the state is built, because the default public URL names the bound port.
        let tcp = TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServerError::Bind { addr: config.listen, source })?;
        let public_url = match &config.public_url {
            Some(url) => issuer::check_public_url(url)?,
            None => issuer::default_public_url(
                tls_config.is_some(),
                tcp.local_addr().map_err(|source| ServerError::Bind { addr: config.listen, source })?,
            ),
        };
        let issuer = Issuer::start(IssuerSettings {
            public_url,
            store: data.store.clone(),
            master_key: data.master_key.clone(),
            cache_ttl: config.cache_ttl,
            leeway_secs: config.token_leeway.as_secs() as i64,
        })
        .await?;

        let (audit_sink, audit_task) = audit::start(data.store.clone());
        let state = AppState::new(StateParts {
            account_id: data.account.account_id.clone(),
            root_access_key_id: data.account.root_access_key_id.clone(),
            root_secret: data.root_secret,
            master_key: data.master_key,
            registry: Registry::new(data.store.clone(), config.cache_ttl),
            jwks,
            audit: audit_sink,
            config: config.clone(),
            issuer: issuer.clone(),
        });

        let router = Router::new()
            .route("/", any(dispatch::handle))
            .merge(issuer::router())
            .fallback(dispatch::not_found)
            .with_state(state.clone());

        // Subscribe before serving, so no request can fill a cache that a missed change makes stale.
        let mut background = Vec::new();
        background.extend(changes::start(&state).await.map_err(ServerError::Changes)?);
        background.extend(audit::start_retention(data.store.clone(), config.audit_retention));
        background.extend(nonce::start_purge(data.store));
        background.push(issuer.start_key_refresh());

        let tls = tls_config.is_some();
        let listener = match Listener::start(tcp, tls_config, router) {
            Ok(listener) => listener,
            Err(source) => {
                background.iter().for_each(JoinHandle::abort);
                return Err(ServerError::Bind { addr: config.listen, source });
            }
        };
        let server = Self { listener, audit_task, background, state: Some(state), tls, ca_file };
        tracing::info!(
            account_id = %server.account_id(),
            data_dir = %config.data_dir.display(),
            "listening on {}",
            server.url()
        );
        Ok(server)
    }

    /// Bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr()
    }

    /// Base URL, `https://…` or `http://…`.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.local_addr())
    }

    /// Returns the local CA that signed the listener certificate, when the server made one.
    pub fn ca_file(&self) -> Option<&PathBuf> {
        self.ca_file.as_ref()
    }

    /// Returns the account ID.
    pub fn account_id(&self) -> String {
        self.state.as_ref().map(|s| s.account_id().to_owned()).unwrap_or_default()
    }

    /// Root AccessKeyId and secret, for tests and the quickstart.
    pub fn root_credentials(&self) -> Option<(String, String)> {
        self.state.as_ref().map(|s| (s.root_access_key_id().to_owned(), s.root_secret().to_owned()))
    }

    /// Returns the process state, for tests that inspect caches.
    pub fn state(&self) -> Option<&AppState> {
        self.state.as_ref()
    }

    /// Stops accepting, drains connections, flushes the audit queue.
    pub async fn shutdown(mut self) {
        let url = self.url();
        self.listener.shutdown().await;
        // Background tasks hold state handles; end them so the state below is the last handle.
        for task in self.background.drain(..) {
            task.abort();
            let _ = task.await;
        }
        // Dropping the last state handle closes the audit queue, so the writer drains and ends.
        drop(self.state.take());
        if tokio::time::timeout(Duration::from_secs(10), &mut self.audit_task).await.is_err() {
            tracing::warn!("audit writer did not finish within 10 s");
        }
        tracing::info!(%url, "stopped");
    }
}

