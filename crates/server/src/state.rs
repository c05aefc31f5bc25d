//! Shared state of one server process, passed explicitly to every handler.

use std::sync::Arc;

use akless_core::seal::MasterKey;

use crate::audit::AuditSink;
use crate::config::ServerConfig;
use crate::issuer::Issuer;
use crate::jwks::JwksCache;
use crate::nonce::NonceCache;
use crate::registry::Registry;

/// Cheap-to-clone handle to the process state.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: ServerConfig,
    account_id: String,
    root_access_key_id: String,
    root_secret: String,
    master_key: MasterKey,
    registry: Registry,
    jwks: JwksCache,
    nonces: NonceCache,
    audit: AuditSink,
    issuer: Issuer,
}

/// Parts from which the state is built.
pub struct StateParts {
    /// Settings.
    pub config: ServerConfig,
    /// The account ID.
    pub account_id: String,
    /// Root AccessKeyId.
    pub root_access_key_id: String,
    /// Root AccessKey secret.
    pub root_secret: String,
    /// Master key that seals sessions.
    pub master_key: MasterKey,
    /// Registry cache over the store.
    pub registry: Registry,
    /// JWKS cache.
    pub jwks: JwksCache,
    /// Audit queue.
    pub audit: AuditSink,
    /// The M2M token issuer.
    pub issuer: Issuer,
}

impl AppState {
    /// Builds the state.
    pub fn new(parts: StateParts) -> Self {
        let nonces = NonceCache::for_store(parts.config.max_request_skew * 2, parts.registry.store());
        Self {
            inner: Arc::new(Inner {
                config: parts.config,
                account_id: parts.account_id,
                root_access_key_id: parts.root_access_key_id,
                root_secret: parts.root_secret,
                master_key: parts.master_key,
                registry: parts.registry,
                jwks: parts.jwks,
                nonces,
                audit: parts.audit,
                issuer: parts.issuer,
            }),
        }
    }

    /// Settings.
    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }
    /// Returns the account ID.
    pub fn account_id(&self) -> &str {
        &self.inner.account_id
    }
    /// Root AccessKeyId.
    pub fn root_access_key_id(&self) -> &str {
        &self.inner.root_access_key_id
    }
    /// Root AccessKey secret.
    pub fn root_secret(&self) -> &str {
        &self.inner.root_secret
    }
    /// Master key.
    pub fn master_key(&self) -> &MasterKey {
        &self.inner.master_key
    }
    /// Registry cache.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }
    /// JWKS cache.
    pub fn jwks(&self) -> &JwksCache {
        &self.inner.jwks
    }
    /// Replay cache.
    pub fn nonces(&self) -> &NonceCache {
        &self.inner.nonces
    }
    /// Audit queue.
    pub fn audit(&self) -> &AuditSink {
        &self.inner.audit
    }
    /// The M2M token issuer.
    pub fn issuer(&self) -> &Issuer {
        &self.inner.issuer
    }
}
