//! The OAuth 2.0 M2M token issuer, the part that Alibaba Cloud IDaaS plays.
//!
//! Endpoints, all below the issuer URL `{public URL}/api/v2/iauths_system/oauth2`:
//! - `GET  /.well-known/openid-configuration`: discovery metadata;
//! - `GET  /jwks`: the published signing keys;
//! - `POST /token`: `grant_type=client_credentials`, see [`token`];
//! - `POST /introspect` (RFC 7662) and `POST /revoke` (RFC 7009), see [`introspect`].
//!
//! The listener serves these at the fixed path `/api/v2/iauths_system/oauth2` whatever path the
//! public URL has, so a reverse proxy that adds a path prefix must strip it.
//!
//! Tokens from this issuer pass akless's own AssumeRoleWithOIDC once the issuer URL is registered as an
//! OIDC provider with the fingerprint of the certificate chain the listener serves.

pub mod cache;
mod client_auth;
mod form;
mod introspect;
pub mod keys;
mod response;
mod token;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use akless_core::issuer::{issuer_url, AuthMethod, ClientSecretKey, ISSUER_PATH};
use akless_core::seal::MasterKey;
use akless_core::timefmt::unix_millis;
use akless_store::Store;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use self::cache::ClientCache;
use self::keys::{KeyError, SigningKeys, RELOAD_INTERVAL};
use crate::state::AppState;

pub use self::token::AUDIT_ACTION;

/// Path of the discovery document below the issuer URL.
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
/// Path of the JWKS below the issuer URL.
pub const JWKS_PATH: &str = "/jwks";
/// Path of the token endpoint below the issuer URL.
pub const TOKEN_PATH: &str = "/token";
/// Path of the introspection endpoint below the issuer URL.
pub const INTROSPECTION_PATH: &str = "/introspect";
/// Path of the revocation endpoint below the issuer URL.
pub const REVOCATION_PATH: &str = "/revoke";
/// Maximum length of a public URL, so the issuer URL stays within the 255 characters of an IssuerUrl.
pub const MAX_PUBLIC_URL_CHARS: usize = 255 - ISSUER_PATH.len();

/// Failure to start the issuer.
#[derive(Debug, thiserror::Error)]
pub enum IssuerError {
    /// The configured public URL is not usable.
    #[error("invalid public URL {url:?}: {reason}")]
    InvalidPublicUrl {
        /// The URL as configured.
        url: String,
        /// The broken rule and its fix.
        reason: String,
    },
    /// The signing keys could not be loaded or created.
    #[error("cannot load the issuer signing keys: {0}")]
    Keys(#[from] KeyError),
}

/// The absolute URLs of the issuer and its endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerUrls {
    /// The issuer URL, the `iss` of every token.
    pub issuer: String,
    /// The discovery document.
    pub discovery: String,
    /// The JWKS.
    pub jwks_uri: String,
    /// The token endpoint.
    pub token_endpoint: String,
    /// The introspection endpoint.
    pub introspection_endpoint: String,
    /// The revocation endpoint.
    pub revocation_endpoint: String,
}

impl IssuerUrls {
    /// Builds the URLs below `{public_url}/api/v2/iauths_system/oauth2`.
    pub fn new(public_url: &str) -> Self {
        let issuer = issuer_url(public_url);
        Self {
            discovery: format!("{issuer}{DISCOVERY_PATH}"),
            jwks_uri: format!("{issuer}{JWKS_PATH}"),
            token_endpoint: format!("{issuer}{TOKEN_PATH}"),
            introspection_endpoint: format!("{issuer}{INTROSPECTION_PATH}"),
            revocation_endpoint: format!("{issuer}{REVOCATION_PATH}"),
            issuer,
        }
    }
}

/// Checks a configured public URL and returns it without trailing slashes.
///
/// It must be an absolute `http` or `https` URL with a host, without user information, query or
/// fragment, and at most [`MAX_PUBLIC_URL_CHARS`] characters. OIDC providers accept only `https`
/// issuers, so an `http` URL suits a TLS-terminating proxy setup only if the proxy's URL is configured.
pub fn check_public_url(text: &str) -> Result<String, IssuerError> {
    let fail = |reason: &str| IssuerError::InvalidPublicUrl {
        url: text.chars().take(300).collect(),
        reason: reason.to_owned(),
    };
    let trimmed = text.trim_end_matches('/');
    if trimmed.len() > MAX_PUBLIC_URL_CHARS {
        return Err(fail(&format!("it must be at most {MAX_PUBLIC_URL_CHARS} characters")));
    }
    let url = url::Url::parse(trimmed).map_err(|e| fail(&format!("{e}; use a URL such as https://idp.example.com")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(fail("the scheme must be https (or http behind a TLS proxy)"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(fail("the URL has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() || url.fragment().is_some() {
        return Err(fail("the URL must not contain user information, a query or a fragment"));
    }
    Ok(trimmed.to_owned())
}

/// Returns the public URL that a server without `--public-url` uses: its scheme and bound address,
/// with an unspecified address (0.0.0.0 or ::) replaced by loopback.
pub fn default_public_url(tls: bool, addr: SocketAddr) -> String {
    let scheme = if tls { "https" } else { "http" };
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        let loopback = if addr.is_ipv4() { [127, 0, 0, 1].into() } else { std::net::Ipv6Addr::LOCALHOST.into() };
        addr.set_ip(loopback);
    }
    format!("{scheme}://{addr}")
}

/// Settings the issuer starts with.
pub struct IssuerSettings {
    /// The checked public URL without trailing slash.
    pub public_url: String,
    /// The store.
    pub store: Arc<dyn Store>,
    /// The master key, which seals signing keys and derives client secrets.
    pub master_key: MasterKey,
    /// How long cached clients stay valid without an invalidation.
    pub cache_ttl: Duration,
    /// Clock leeway for client assertions, in seconds.
    pub leeway_secs: i64,
}

/// The running issuer. Cloning is cheap and clones share everything.
#[derive(Clone)]
pub struct Issuer {
    inner: Arc<Inner>,
}

struct Inner {
    urls: IssuerUrls,
    store: Arc<dyn Store>,
    secrets: ClientSecretKey,
    clients: ClientCache,
    keys: SigningKeys,
    leeway_secs: i64,
    reload_keys: Notify,
}

impl Issuer {
    /// Loads the signing keys, creating the first one on a new database.
    pub async fn start(settings: IssuerSettings) -> Result<Self, IssuerError> {
        let now_ms = unix_millis(OffsetDateTime::now_utc());
        let keys = SigningKeys::load(settings.store.clone(), settings.master_key.clone(), now_ms).await?;
        let urls = IssuerUrls::new(&settings.public_url);
        tracing::info!(issuer = %urls.issuer, "token issuer ready");
        Ok(Self {
            inner: Arc::new(Inner {
                urls,
                secrets: ClientSecretKey::new(&settings.master_key),
                clients: ClientCache::new(settings.store.clone(), settings.cache_ttl),
                store: settings.store,
                keys,
                leeway_secs: settings.leeway_secs,
                reload_keys: Notify::new(),
            }),
        })
    }

    /// Returns the issuer and endpoint URLs.
    pub fn urls(&self) -> &IssuerUrls {
        &self.inner.urls
    }

    /// Returns the store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// Returns the client secret derivation key.
    pub fn secrets(&self) -> &ClientSecretKey {
        &self.inner.secrets
    }

    /// Returns the client cache.
    pub fn clients(&self) -> &ClientCache {
        &self.inner.clients
    }

    /// Returns the signing keys.
    pub fn keys(&self) -> &SigningKeys {
        &self.inner.keys
    }

    /// Returns the clock leeway for client assertions, in seconds.
    pub fn leeway_secs(&self) -> i64 {
        self.inner.leeway_secs
    }

    /// Drops cached clients and wakes the refresh task to reload the signing keys. Call it after every
    /// issuer write and on change notifications from other nodes.
    pub fn invalidate(&self) {
        self.inner.clients.invalidate();
        self.inner.reload_keys.notify_one();
    }

    /// Starts the task that reloads the signing keys every [`RELOAD_INTERVAL`] and after
    /// [`Issuer::invalidate`]. The task owns a clone of the issuer, so the caller aborts it on shutdown.
    pub fn start_key_refresh(&self) -> JoinHandle<()> {
        let issuer = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(RELOAD_INTERVAL) => {}
                    _ = issuer.inner.reload_keys.notified() => {}
                }
                if let Err(error) = issuer.inner.keys.reload().await {
                    tracing::warn!(%error, "reloading the issuer signing keys failed; keeping the loaded ones");
                }
            }
        })
    }

    /// Returns the discovery document.
    pub fn discovery_document(&self) -> Value {
        let urls = self.urls();
        let methods: Vec<&str> = AuthMethod::ALL.iter().map(|m| m.as_str()).collect();
        let assertion_algs = ["HS256", "RS256", "ES256"];
        json!({
            "issuer": urls.issuer,
            "jwks_uri": urls.jwks_uri,
            "token_endpoint": urls.token_endpoint,
            "introspection_endpoint": urls.introspection_endpoint,
            "revocation_endpoint": urls.revocation_endpoint,
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": methods,
            "token_endpoint_auth_signing_alg_values_supported": assertion_algs,
            "introspection_endpoint_auth_methods_supported": methods,
            "introspection_endpoint_auth_signing_alg_values_supported": assertion_algs,
            "revocation_endpoint_auth_methods_supported": methods,
            "revocation_endpoint_auth_signing_alg_values_supported": assertion_algs,
            "subject_types_supported": ["public"],
        })
    }
}

/// Returns the routes of the issuer endpoints at the fixed path [`ISSUER_PATH`].
pub fn router() -> Router<AppState> {
    Router::new()
        .route(&format!("{ISSUER_PATH}{DISCOVERY_PATH}"), get(discovery))
        .route(&format!("{ISSUER_PATH}{JWKS_PATH}"), get(jwks))
        .route(&format!("{ISSUER_PATH}{TOKEN_PATH}"), post(token::handle))
        .route(&format!("{ISSUER_PATH}{INTROSPECTION_PATH}"), post(introspect::introspect))
        .route(&format!("{ISSUER_PATH}{REVOCATION_PATH}"), post(introspect::revoke))
}

async fn discovery(axum::extract::State(state): axum::extract::State<AppState>) -> axum::response::Response {
    response::public_json(state.issuer().discovery_document())
}

async fn jwks(axum::extract::State(state): axum::extract::State<AppState>) -> axum::response::Response {
    let now_ms = unix_millis(OffsetDateTime::now_utc());
    response::public_json(state.issuer().keys().jwks(now_ms))
}

/// Request IDs in the form of the OpenAPI endpoint's: an upper-case UUID.
use crate::rpc::dispatch::new_request_id;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_below_issuer() {
        let urls = IssuerUrls::new("https://idp.example.com/");
        assert_eq!(urls.issuer, "https://idp.example.com/api/v2/iauths_system/oauth2");
        assert_eq!(urls.token_endpoint, "https://idp.example.com/api/v2/iauths_system/oauth2/token");
        assert_eq!(
            urls.discovery,
            "https://idp.example.com/api/v2/iauths_system/oauth2/.well-known/openid-configuration"
        );
    }

    #[test]
    fn public_url_rules() {
        assert_eq!(check_public_url("https://idp.example.com/").unwrap(), "https://idp.example.com");
        assert_eq!(check_public_url("https://127.0.0.1:8443").unwrap(), "https://127.0.0.1:8443");
        for bad in
            ["idp.example.com", "ftp://idp.example.com", "https://u@idp.example.com", "https://idp.example.com/?a=1"]
        {
            assert!(check_public_url(bad).is_err(), "{bad}");
        }
        assert!(check_public_url(&format!("https://{}.com", "a".repeat(MAX_PUBLIC_URL_CHARS))).is_err());
    }

    #[test]
    fn default_public_url_uses_loopback_for_unspecified() {
        assert_eq!(default_public_url(true, "0.0.0.0:8443".parse().unwrap()), "https://127.0.0.1:8443");
        assert_eq!(default_public_url(false, "[::]:80".parse().unwrap()), "http://[::1]:80");
        assert_eq!(default_public_url(true, "10.0.0.5:443".parse().unwrap()), "https://10.0.0.5:443");
    }
}
