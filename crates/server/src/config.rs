//! Settings of one `akless serve` process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Transport of the listener.
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

/// URL of a PostgreSQL database (`postgres://user:password@host:port/database`). Debug output hides the
/// password, so logging a configuration never exposes it.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Returns the URL with its password, for connecting.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = String;

    /// Accepts `postgres://` and `postgresql://` URLs.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let url = url::Url::parse(text).map_err(|e| format!("invalid database URL: {e}"))?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(format!(
                "unsupported database URL scheme {:?}; use postgres://user:password@host:port/database",
                url.scheme()
            ));
        }
        Ok(Self(text.to_owned()))
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Ok(mut url) = url::Url::parse(&self.0) else {
            return f.write_str("DatabaseUrl(<redacted>)");
        };
        let password_in_query = url.query_pairs().any(|(key, _)| key.to_ascii_lowercase().contains("password"));
        let password_kept = url.password().is_some() && url.set_password(Some("<redacted>")).is_err();
        if password_in_query || password_kept {
            return f.write_str("DatabaseUrl(<redacted>)");
        }
        write!(f, "DatabaseUrl({url})")
    }
}

/// Settings of one server process.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Folder with `master.key`, `root-credentials`, `tls/` and, without `database_url`, the SQLite
    /// database.
    pub data_dir: PathBuf,
    /// PostgreSQL database shared by every node; `None` uses the SQLite file in `data_dir`.
    pub database_url: Option<DatabaseUrl>,
    /// Master key file; `None` uses `data_dir/master.key`.
    pub master_key_file: Option<PathBuf>,
    /// How long cached providers and roles stay valid. On PostgreSQL this bounds how stale a node's cache
    /// can get when a change notification from another node is lost.
    pub cache_ttl: Duration,
    /// How long audit records are kept before an hourly task deletes them; `None` keeps them forever.
    pub audit_retention: Option<Duration>,
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Base URL clients use to reach this server, which makes the token issuer URL
    /// `{public_url}/api/v2/iauths_system/oauth2`. `None` uses the scheme and bound listen address.
    pub public_url: Option<String>,
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
            database_url: None,
            master_key_file: None,
            cache_ttl: Duration::from_secs(5),
            audit_retention: Some(Duration::from_secs(90 * 24 * 3600)),
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            public_url: None,
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

#[cfg(test)]
mod tests {
    use super::DatabaseUrl;

    #[test]
    fn database_url_debug_hides_password() {
        let url: DatabaseUrl = "postgres://akless:hunter2@db.internal:5432/akless".parse().expect("valid URL");
        let shown = format!("{url:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("db.internal:5432/akless"), "{shown}");

        let url: DatabaseUrl = "postgres://db.internal/akless?password=hunter2".parse().expect("valid URL");
        let shown = format!("{url:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn database_url_scheme_checked() {
        assert!("postgresql://h/db".parse::<DatabaseUrl>().is_ok());
        let error = "mysql://h/db".parse::<DatabaseUrl>().expect_err("mysql is not supported");
        assert!(error.contains("mysql"), "{error}");
        assert!("not a url".parse::<DatabaseUrl>().is_err());
    }
}
