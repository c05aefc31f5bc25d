//! In-memory view of providers and roles with their compiled policies, so the
//! exchange path reads no database and parses no stored JSON per request.
//!
//! Entries load on first use and the whole cache is dropped on every write
//! through this node and, with a shared store, on every change notification
//! from another node. A generation counter stops a load that began before a
//! write from caching what it read. The TTL bounds staleness when a
//! notification is lost.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use akless_core::error::ApiError;
use akless_core::policy::{compile, CompiledPolicy, PolicyKind};
use akless_store::{AdminWriteLock, OidcProviderRecord, RoleRecord, Store, StoreError};
use moka::future::Cache;

/// Maximum cached providers and roles each; the least recently used go first.
const CACHE_CAPACITY: u64 = 200_000;

/// A role with its trust policy and attached permission policies compiled.
pub struct CachedRole {
    /// The stored role.
    pub record: RoleRecord,
    /// The compiled `AssumeRolePolicyDocument`.
    pub trust: CompiledPolicy,
    /// Compiled documents of the attached policies, with their names.
    pub policies: Vec<(String, CompiledPolicy)>,
}

/// Cache of registry entries in front of the store.
pub struct Registry {
    store: Arc<dyn Store>,
    providers: Cache<String, Arc<OidcProviderRecord>>,
    roles: Cache<String, Arc<CachedRole>>,
    generation: AtomicU64,
    write_lock: tokio::sync::Mutex<()>,
}

/// Held while a read-modify-write change runs; dropping it lets the next one start on any node.
pub struct WriteGuard<'a> {
    // Fields drop in declaration order, so the store lock is released before this node's next writer asks for it.
    _store: AdminWriteLock,
    _local: tokio::sync::MutexGuard<'a, ()>,
}

impl Registry {
    /// Creates an empty cache over `store` whose entries live at most `ttl`.
    pub fn new(store: Arc<dyn Store>, ttl: Duration) -> Self {
        Self {
            store,
            providers: Cache::builder().max_capacity(CACHE_CAPACITY).time_to_live(ttl).build(),
            roles: Cache::builder().max_capacity(CACHE_CAPACITY).time_to_live(ttl).build(),
            generation: AtomicU64::new(0),
            write_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// Returns the store behind the cache, for writes and listings.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Serialises read-modify-write changes across every node that shares the store. The local mutex is
    /// taken first, so one node holds at most one database connection waiting for the store's lock.
    pub async fn write_lock(&self) -> Result<WriteGuard<'_>, ApiError> {
        let local = self.write_lock.lock().await;
        let store = self.store.lock_admin_writes().await.map_err(store_failure)?;
        Ok(WriteGuard { _store: store, _local: local })
    }

    /// Drops every cached entry; call after each write.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.providers.invalidate_all();
        self.roles.invalidate_all();
    }

    /// Returns a provider by exact name.
    pub async fn provider(&self, name: &str) -> Result<Option<Arc<OidcProviderRecord>>, StoreError> {
        if let Some(hit) = self.providers.get(name).await {
            return Ok(Some(hit));
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let Some(record) = self.store.get_oidc_provider(name).await? else {
            return Ok(None);
        };
        let record = Arc::new(record);
        if self.generation.load(Ordering::SeqCst) == generation {
            self.providers.insert(name.to_owned(), record.clone()).await;
        }
        Ok(Some(record))
    }

    /// Returns a role by name (case-insensitive) with its policies compiled.
    pub async fn role(&self, name: &str) -> Result<Option<Arc<CachedRole>>, ApiError> {
        let key = name.to_lowercase();
        if let Some(hit) = self.roles.get(&key).await {
            return Ok(Some(hit));
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let Some(loaded) = self.store.get_role_with_policies(name).await.map_err(store_failure)? else {
            return Ok(None);
        };
        let record = loaded.role;
        let trust = compile_stored(&record.trust_policy, PolicyKind::Trust, &record.name)?;
        let mut policies = Vec::with_capacity(loaded.policies.len());
        for policy in loaded.policies {
            let compiled = compile_stored(&policy.document, PolicyKind::Permission, &policy.name)?;
            policies.push((policy.name, compiled));
        }
        let cached = Arc::new(CachedRole { record, trust, policies });
        if self.generation.load(Ordering::SeqCst) == generation {
            self.roles.insert(key, cached.clone()).await;
        }
        Ok(Some(cached))
    }
}

/// Stored documents passed the grammar check on write, so a failure here means the store was edited by hand.
fn compile_stored(document: &str, kind: PolicyKind, owner: &str) -> Result<CompiledPolicy, ApiError> {
    compile(document, kind).map_err(|error| {
        tracing::error!(owner, %error, "a stored policy document no longer compiles");
        ApiError::internal()
    })
}

/// Logs a store failure and returns the generic internal error.
pub fn store_failure(error: StoreError) -> ApiError {
    tracing::error!(%error, "store operation failed");
    ApiError::internal()
}
