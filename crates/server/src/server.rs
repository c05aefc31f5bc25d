//! Starting and stopping one akless server: data directory, state, listener.

use std::net::SocketAddr;
use std::path::PathBuf;

use std::time::Duration;

use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::audit;
use crate::bootstrap::{self, BootstrapError};
use crate::config::{ServerConfig, TlsMode};
use crate::jwks::{FetchConfig, JwksCache};
use crate::registry::Registry;
use crate::rpc::dispatch;
use crate::serve::Listener;
use crate::state::{AppState, StateParts};
use crate::tls::{self, TlsError};

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The data directory could not be opened or set up.
    #[error(transparent)]
    Bootstrap(#[from] BootstrapError),
    /// The listener's TLS settings are invalid.
    #[error(transparent)]
    Tls(#[from] TlsError),
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
    state: Option<AppState>,
    tls: bool,
    ca_file: Option<PathBuf>,
}

impl Server {
    /// Opens the data directory, binds the listener and starts serving.
    pub async fn start(config: ServerConfig) -> Result<Self, ServerError> {
        let data = bootstrap::open(&config.data_dir).await?;
        let tls_config = match &config.tls {
            TlsMode::LocalCa => Some(tls::server_config_from_local_ca(&config.data_dir)?),
            TlsMode::Files { cert, key } => Some(tls::server_config_from_files(cert, key)?),
            TlsMode::PlainHttp => None,
        };
        let ca_file = matches!(config.tls, TlsMode::LocalCa).then(|| config.data_dir.join(tls::CA_CERT_FILE));

        let extra_roots = match &config.trust_ca_file {
            Some(path) => tls::load_certs(path)?,
            None => Vec::new(),
        };
        let jwks = JwksCache::new(FetchConfig {
            extra_roots,
            allow_private_issuers: config.allow_private_issuers,
            cache_ttl: config.jwks_cache_ttl,
            refresh_cooldown: config.jwks_refresh_cooldown,
            timeout: Duration::from_secs(5),
            max_body_bytes: 256 * 1024,
        })
        .map_err(|e| ServerError::Fetch(e.to_string()))?;

        let (audit_sink, audit_task) = audit::start(data.store.clone());
        let state = AppState::new(StateParts {
            account_id: data.account.account_id.clone(),
            root_access_key_id: data.account.root_access_key_id.clone(),
            root_secret: data.root_secret,
            master_key: data.master_key,
            registry: Registry::new(data.store),
            jwks,
            audit: audit_sink,
            config: config.clone(),
        });

        let router = Router::new()
            .route("/", get(dispatch::handle).post(dispatch::handle))
            .fallback(dispatch::not_found)
            .with_state(state.clone());
        let tcp = TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServerError::Bind { addr: config.listen, source })?;
        let tls = tls_config.is_some();
        let listener = Listener::start(tcp, tls_config, router)
            .map_err(|source| ServerError::Bind { addr: config.listen, source })?;
        let server = Self { listener, audit_task, state: Some(state), tls, ca_file };
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

    /// The local CA that signed the listener certificate, when the server made one.
    pub fn ca_file(&self) -> Option<&PathBuf> {
        self.ca_file.as_ref()
    }

    /// The account ID.
    pub fn account_id(&self) -> String {
        self.state.as_ref().map(|s| s.account_id().to_owned()).unwrap_or_default()
    }

    /// Root AccessKeyId and secret, for tests and the quickstart.
    pub fn root_credentials(&self) -> Option<(String, String)> {
        self.state.as_ref().map(|s| (s.root_access_key_id().to_owned(), s.root_secret().to_owned()))
    }

    /// The process state, for tests that inspect caches.
    pub fn state(&self) -> Option<&AppState> {
        self.state.as_ref()
    }

    /// Stops accepting, drains connections, flushes the audit queue.
    pub async fn shutdown(mut self) {
        let url = self.url();
        self.listener.shutdown().await;
        // Dropping the last state handle closes the audit queue, so the writer drains and ends.
        drop(self.state.take());
        if tokio::time::timeout(Duration::from_secs(10), &mut self.audit_task).await.is_err() {
            tracing::warn!("audit writer did not finish within 10 s");
        }
        tracing::info!(%url, "stopped");
    }
}

