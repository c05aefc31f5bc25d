//! Settings of one `akless serve` process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How the listener speaks to clients.
#[derive(Debug, Clone)]
pub enum TlsMode {
    /// HTTPS with a certificate made on first start by a local CA in `DATA_DIR/tls/`.
    LocalCa,
    /// HTTPS with the given PEM certificate chain and private key.
    Files {
        /// PEM file with the server certificate first, then any intermediates.
        cert: PathBuf,
        /// PEM file with the private key (PKCS#8, PKCS#1 or SEC1).
        key: PathBuf,
    },
    /// Plain HTTP, for use behind a TLS-terminating proxy or in tests.
    PlainHttp,
}

/// Settings of one server process.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Folder with the SQLite database, `master.key`, `root-credentials` and `tls/`.
    pub data_dir: PathBuf,
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Listener transport.
    pub tls: TlsMode,
    /// Extra PEM roots trusted for outbound HTTPS to OIDC issuers (system roots stay trusted).
    pub trust_ca_file: Option<PathBuf>,
    /// Permit issuer hosts on loopback, private or link-local addresses.
    pub allow_private_issuers: bool,
    /// Clock leeway for `exp`, `nbf` and `iat` checks of OIDC tokens.
    pub token_leeway: Duration,
    /// Maximum clock difference accepted on signed requests.
    pub max_request_skew: Duration,
    /// How long fetched JWKS stay cached.
    pub jwks_cache_ttl: Duration,
    /// Minimum time between two refreshes of one issuer's JWKS caused by unknown `kid`s.
    pub jwks_refresh_cooldown: Duration,
    /// Maximum request body size in bytes.
    pub max_body_bytes: usize,
}

impl ServerConfig {
    /// Returns settings with the documented defaults for `data_dir`.
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            tls: TlsMode::LocalCa,
            trust_ca_file: None,
            allow_private_issuers: false,
            token_leeway: Duration::from_secs(60),
            max_request_skew: Duration::from_secs(15 * 60),
            jwks_cache_ttl: Duration::from_secs(600),
            jwks_refresh_cooldown: Duration::from_secs(30),
            max_body_bytes: 64 * 1024,
        }
    }
}
