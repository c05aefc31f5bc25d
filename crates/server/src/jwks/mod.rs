//! Issuer signing keys for AssumeRoleWithOIDC: fetch over pinned HTTPS and cache.
//!
//! Keys are fetched from `{issuer}/.well-known/openid-configuration` → `jwks_uri`. Both requests must
//! pass WebPKI chain and hostname checks and the provider's certificate fingerprint check, and may
//! only reach public addresses unless private issuers are allowed.

mod address;
mod chain;
mod error;
mod fetch;
mod verifier;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use akless_core::jose::{parse_jwks, PublicJwk};
use rustls::pki_types::CertificateDer;

pub use address::{is_public, AddressRejected};
pub use chain::{
    normalize_fingerprint, parse_pem_certificates, sha1_fingerprint, ChainError, ChainInfo,
};
pub use error::FetchError;
pub use fetch::IssuerChains;

use fetch::Fetcher;
use verifier::normalized_fingerprints;

/// Number of cache entries above which idle, expired entries are evicted on insert.
const EVICTION_THRESHOLD: usize = 256;

/// Settings of the issuer key fetcher.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Root CAs trusted in addition to the webpki and system roots, from `--trust-ca-file`.
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Allow issuer hosts on loopback, private, link-local and other non-public addresses.
    pub allow_private_issuers: bool,
    /// How long fetched keys are used without a new fetch.
    pub cache_ttl: Duration,
    /// Minimum time from the end of one fetch attempt for an issuer, successful or not, to the next.
    pub refresh_cooldown: Duration,
    /// Limit for each HTTP request, from connect to the last body byte.
    pub timeout: Duration,
    /// Maximum size of a discovery document or JWKS body.
    pub max_body_bytes: usize,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            extra_roots: Vec::new(),
            allow_private_issuers: false,
            cache_ttl: Duration::from_secs(600),
            refresh_cooldown: Duration::from_secs(30),
            timeout: Duration::from_secs(5),
            max_body_bytes: 256 * 1024,
        }
    }
}

/// Issuer URL plus the normalized, sorted fingerprint set, so keys fetched under one fingerprint
/// list are never served under another.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    issuer_url: String,
    fingerprints: Vec<String>,
}

#[derive(Debug, Default)]
struct EntryState {
    keys: Option<Arc<[PublicJwk]>>,
    fetched_at: Option<Instant>,
    last_attempt: Option<Instant>,
    last_failure: Option<FetchError>,
}

/// One issuer's cached keys. The async mutex makes fetches single-flight: callers that arrive
/// during a fetch wait for it and then read its result.
#[derive(Debug, Default)]
struct Entry {
    state: tokio::sync::Mutex<EntryState>,
    /// The last successfully fetched keys and when, readable without the async mutex, so concurrent
    /// exchanges for one issuer with fresh keys do not queue behind each other.
    fresh: RwLock<Option<(Arc<[PublicJwk]>, Instant)>>,
}

impl Entry {
    /// Returns the keys when they are younger than `ttl` and, if `kid` is given, contain it.
    fn fresh_keys(&self, kid: Option<&str>, ttl: Duration) -> Option<Arc<[PublicJwk]>> {
        let fresh = self
            .fresh
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (keys, fetched_at) = fresh.as_ref()?;
        let usable = fetched_at.elapsed() < ttl
            && kid.is_none_or(|kid| keys.iter().any(|jwk| jwk.kid() == Some(kid)));
        usable.then(|| keys.clone())
    }
}

#[derive(Debug)]
struct Inner {
    config: FetchConfig,
    fetcher: Fetcher,
    entries: Mutex<HashMap<CacheKey, Arc<Entry>>>,
    fetch_count: AtomicU64,
}

/// Cache of issuer signing keys. Cloning is cheap and clones share the cache.
#[derive(Debug, Clone)]
pub struct JwksCache {
    inner: Arc<Inner>,
}

impl JwksCache {
    /// Loads the trust anchors (webpki roots, system roots, `config.extra_roots`) and creates an empty cache.
    pub fn new(config: FetchConfig) -> Result<Self, FetchError> {
        let fetcher = Fetcher::new(&config)?;
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                fetcher,
                entries: Mutex::new(HashMap::new()),
                fetch_count: AtomicU64::new(0),
            }),
        })
    }

    /// Returns the issuer's keys, from the cache while they are younger than `cache_ttl`.
    ///
    /// When `kid` is given and not among fresh cached keys, the keys are fetched again, at most once
    /// per `refresh_cooldown`. Within the cooldown the cached keys are returned, so key selection
    /// reports the unknown `kid`. A fetch replaces the whole key set, so keys that vanished from the
    /// JWKS are dropped. After a failed fetch the same error is returned until the cooldown ends.
    /// Expired keys are never served, even when a new fetch fails.
    pub async fn keys(
        &self,
        issuer_url: &str,
        fingerprints: &[String],
        kid: Option<&str>,
    ) -> Result<Arc<[PublicJwk]>, FetchError> {
        let key = CacheKey {
            issuer_url: issuer_url.to_string(),
            fingerprints: normalized_fingerprints(fingerprints),
        };
        let entry = self.entry(&key);
        // Fresh keys that name the kid are what the locked path below returns too, without a fetch.
        if let Some(keys) = entry.fresh_keys(kid, self.inner.config.cache_ttl) {
            return Ok(keys);
        }
        let mut state = entry.state.lock().await;

        let now = Instant::now();
        let cooling_down = state
            .last_attempt
            .is_some_and(|at| now.duration_since(at) < self.inner.config.refresh_cooldown);
        let fresh = state
            .fetched_at
            .is_some_and(|at| now.duration_since(at) < self.inner.config.cache_ttl);
        match (&state.keys, fresh) {
            (Some(keys), true) => {
                let kid_known = kid.is_none_or(|kid| keys.iter().any(|jwk| jwk.kid() == Some(kid)));
                if kid_known || cooling_down {
                    return Ok(keys.clone());
                }
            }
            _ => {
                if let (true, Some(failure)) = (cooling_down, &state.last_failure) {
                    return Err(failure.clone());
                }
            }
        }

        let result = self.refresh(&key).await;
        let finished = Instant::now();
        state.last_attempt = Some(finished);
        match result {
            Ok(keys) => {
                state.keys = Some(keys.clone());
                state.fetched_at = Some(finished);
                state.last_failure = None;
                *entry
                    .fresh
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) =
                    Some((keys.clone(), finished));
                Ok(keys)
            }
            Err(error) => {
                state.last_failure = Some(error.clone());
                Err(error)
            }
        }
    }

    /// Returns the number of network fetches made so far. One fetch is the discovery GET plus the JWKS GET.
    pub fn fetch_count(&self) -> u64 {
        self.inner.fetch_count.load(Ordering::Relaxed)
    }

    /// Fetches the issuer's discovery document and JWKS without a fingerprint check and returns the
    /// chains both hosts presented, so an operator can see which fingerprint to register.
    ///
    /// Chain, hostname and address checks still apply. Nothing is cached.
    pub async fn inspect_issuer(&self, issuer_url: &str) -> Result<IssuerChains, FetchError> {
        self.inner.fetcher.inspect(issuer_url).await
    }

    /// Drops every cached key set, so the next exchange for each issuer fetches its JWKS again.
    ///
    /// Called when this server rotates its own issuer's signing key: the new key is published at once but
    /// may sign before the unknown-`kid` refresh cooldown has passed.
    pub fn invalidate_all(&self) {
        self.inner.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clear();
    }

    fn entry(&self, key: &CacheKey) -> Arc<Entry> {
        let mut entries = self
            .inner
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(entry) = entries.get(key) {
            return entry.clone();
        }
        if entries.len() >= EVICTION_THRESHOLD {
            let ttl = self.inner.config.cache_ttl;
            entries.retain(|_, entry| !is_evictable(entry, ttl));
        }
        let entry = Arc::new(Entry::default());
        entries.insert(key.clone(), entry.clone());
        entry
    }

    async fn refresh(&self, key: &CacheKey) -> Result<Arc<[PublicJwk]>, FetchError> {
        self.inner.fetch_count.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let result = self.fetch_and_parse(key).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok((jwks_uri, keys)) => tracing::info!(
                issuer = %key.issuer_url,
                jwks_uri = %jwks_uri,
                keys = keys.len(),
                elapsed_ms,
                outcome = "success",
                "fetched issuer keys"
            ),
            Err(error) => tracing::warn!(
                issuer = %key.issuer_url,
                elapsed_ms,
                outcome = "failure",
                error = %error,
                "fetching issuer keys failed"
            ),
        }
        result.map(|(_, keys)| keys)
    }

    async fn fetch_and_parse(
        &self,
        key: &CacheKey,
    ) -> Result<(String, Arc<[PublicJwk]>), FetchError> {
        let fetched = self
            .inner
            .fetcher
            .fetch_jwks(&key.issuer_url, &key.fingerprints)
            .await?;
        let keys = parse_jwks(&fetched.body).map_err(FetchError::Jwks)?;
        if keys.is_empty() {
            return Err(FetchError::NoUsableKeys {
                url: fetched.jwks_uri.to_string(),
            });
        }
        Ok((fetched.jwks_uri.to_string(), keys.into()))
    }
}

/// Returns true when no caller uses the entry and its keys have expired or were never fetched.
fn is_evictable(entry: &Arc<Entry>, ttl: Duration) -> bool {
    if Arc::strong_count(entry) > 1 {
        return false;
    }
    match entry.state.try_lock() {
        Ok(state) => state.fetched_at.is_none_or(|at| at.elapsed() >= ttl),
        Err(_) => false,
    }
}
