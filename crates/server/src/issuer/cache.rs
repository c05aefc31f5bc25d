//! In-memory view of issuer clients with their active secrets, parsed JWKS and grants, so the token
//! endpoint reads no database for a known client.
//!
//! Entries, including "no such client", load on first use. The whole cache is dropped after every
//! issuer write through this node and on every change notification of a shared store, and a
//! generation counter stops a load that began before a write from caching what it read. The TTL
//! bounds staleness when a notification is lost.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use akless_core::issuer::{client_jwks, AuthMethod};
use akless_core::jose::PublicJwk;
use akless_store::{ClientRecord, GrantFilter, Store, StoreError, MAX_PAGE_ITEMS};
use moka::future::Cache;

/// Maximum cached client entries; the least recently used go first.
const CACHE_CAPACITY: u64 = 100_000;

/// One active secret of a client.
pub struct ActiveSecret {
    /// The secret's ID.
    pub secret_id: String,
    /// The seed the secret derives from.
    pub seed: String,
}

/// A client ready for the token path.
pub struct CachedClient {
    /// The stored client.
    pub record: ClientRecord,
    /// Allowed authentication methods, parsed.
    pub methods: Vec<AuthMethod>,
    /// Secrets that are not revoked.
    pub secrets: Vec<ActiveSecret>,
    /// Registered public keys for `private_key_jwt`.
    pub keys: Vec<PublicJwk>,
    /// Granted permissions by resource server identifier (audience).
    pub grants: HashMap<String, Vec<String>>,
}

/// Cache of clients in front of the store.
pub struct ClientCache {
    store: Arc<dyn Store>,
    clients: Cache<String, Option<Arc<CachedClient>>>,
    generation: AtomicU64,
}

impl ClientCache {
    /// Creates an empty cache over `store` whose entries live at most `ttl`.
    pub fn new(store: Arc<dyn Store>, ttl: Duration) -> Self {
        Self {
            store,
            clients: Cache::builder().max_capacity(CACHE_CAPACITY).time_to_live(ttl).build(),
            generation: AtomicU64::new(0),
        }
    }

    /// Drops every cached entry; call after each issuer write.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.clients.invalidate_all();
    }

    /// Returns the client with this ID, or `None` when it does not exist.
    pub async fn client(&self, client_id: &str) -> Result<Option<Arc<CachedClient>>, StoreError> {
        if let Some(hit) = self.clients.get(client_id).await {
            return Ok(hit);
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let loaded = self.load(client_id).await?.map(Arc::new);
        if self.generation.load(Ordering::SeqCst) == generation {
            self.clients.insert(client_id.to_owned(), loaded.clone()).await;
        }
        Ok(loaded)
    }

    async fn load(&self, client_id: &str) -> Result<Option<CachedClient>, StoreError> {
        let Some(record) = self.store.get_client(client_id).await? else {
            return Ok(None);
        };
        let methods = record
            .auth_methods
            .iter()
            .filter_map(|name| {
                let parsed = name.parse::<AuthMethod>().ok();
                if parsed.is_none() {
                    tracing::error!(client_id, method = %name, "a stored authentication method is unknown; ignoring it");
                }
                parsed
            })
            .collect();
        let secrets = self
            .store
            .list_client_secrets(client_id)
            .await?
            .into_iter()
            .filter(|secret| secret.revoked_ms.is_none())
            .map(|secret| ActiveSecret { secret_id: secret.secret_id, seed: secret.seed })
            .collect();
        let keys = if record.jwks.is_empty() {
            Vec::new()
        } else {
            // The JWKS passed the same check when it was set, so a failure means the store was edited by hand.
            client_jwks(&record.jwks).unwrap_or_else(|error| {
                tracing::error!(client_id, error = %error.message, "a stored client JWKS no longer parses; ignoring it");
                Vec::new()
            })
        };

        let filter = GrantFilter { client_id: Some(client_id.to_owned()), resource_server: None };
        let mut grants = HashMap::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self.store.list_grants(&filter, marker.as_deref(), MAX_PAGE_ITEMS).await?;
            for grant in page.items {
                if let Some(server) = self.store.get_resource_server(&grant.resource_server).await? {
                    grants.insert(server.identifier, grant.permissions);
                }
            }
            match page.next_marker {
                Some(next) => marker = Some(next),
                None => break,
            }
        }
        Ok(Some(CachedClient { record, methods, secrets, keys, grants }))
    }
}
