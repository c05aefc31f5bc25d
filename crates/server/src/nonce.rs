//! Replay protection for signed requests: each (AccessKeyId, SignatureNonce)
//! pair is accepted once within the timestamp window.
//!
//! Every node remembers the nonces it saw in memory, and a nonce new to this
//! node is also recorded in the store, whose primary key lets exactly one node
//! accept it. Recording in the store also keeps a restart from reopening the
//! window for a captured request.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use akless_store::{Store, StoreError};
use moka::sync::Cache;
use tokio::task::JoinHandle;

/// Maximum nonces remembered in memory. Past it the least recently used go
/// first, so on a store that only this node uses, a flood larger than this
/// could let an old nonce be accepted again. A shared store has no such limit.
const MAX_NONCES: u64 = 2_000_000;

/// Time between two deletions of expired nonce records from a shared store.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// Remembered nonces.
pub struct NonceCache {
    seen: Cache<String, ()>,
    window: Duration,
    shared: Option<Arc<dyn Store>>,
}

impl NonceCache {
    /// Remembers each nonce in memory for `window`, which must cover the accepted clock skew on both sides.
    pub fn new(window: Duration) -> Self {
        Self { seen: Cache::builder().max_capacity(MAX_NONCES).time_to_live(window).build(), window, shared: None }
    }

    /// Like [`NonceCache::new`], and also records nonces in `store`.
    pub fn for_store(window: Duration, store: &Arc<dyn Store>) -> Self {
        let mut cache = Self::new(window);
        cache.shared = Some(Arc::clone(store));
        cache
    }

    /// Records the nonce and returns `true` when neither this node nor, through the store, any other node
    /// or an earlier run saw it within the window. Fails only when the store fails.
    pub async fn first_use(&self, access_key_id: &str, nonce: &str) -> Result<bool, StoreError> {
        let key = format!("{access_key_id}\n{nonce}");
        if !self.seen.entry(key.clone()).or_insert(()).is_fresh() {
            return Ok(false);
        }
        let Some(store) = &self.shared else {
            return Ok(true);
        };
        let now_ms = now_ms();
        let window_ms = i64::try_from(self.window.as_millis()).unwrap_or(i64::MAX);
        store.first_use_nonce(key.as_bytes(), now_ms, now_ms.saturating_add(window_ms)).await
    }
}

/// Starts a task that deletes expired nonce records from `store` every [`PURGE_INTERVAL`], or returns
/// `None` for a store that only this node uses, whose server checks nonces in memory.
pub fn start_purge(store: Arc<dyn Store>) -> Option<JoinHandle<()>> {
    Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PURGE_INTERVAL);
        loop {
            ticks.tick().await;
            match store.purge_expired_nonces(now_ms()).await {
                Ok(deleted) => tracing::debug!(deleted, "purged expired nonce records"),
                Err(error) => tracing::warn!(%error, "purging expired nonce records failed; retrying later"),
            }
        }
    }))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn second_use_is_rejected() {
        let cache = NonceCache::new(Duration::from_secs(60));
        assert!(cache.first_use("AK", "n1").await.expect("in-memory check"));
        assert!(!cache.first_use("AK", "n1").await.expect("in-memory check"));
        assert!(cache.first_use("AK2", "n1").await.expect("in-memory check"), "nonces are scoped to the AccessKeyId");
    }

    #[tokio::test]
    async fn shared_store_sees_other_node() {
        let dir = tempfile::tempdir().expect("temp dir");
        let sqlite = akless_store::SqliteStore::open(&dir.path().join("nonces.db")).await.expect("open store");
        let store: Arc<dyn Store> = Arc::new(sqlite);
        // A SQLite store is not shared, so build the shared form directly to exercise the store path.
        let node = |store: &Arc<dyn Store>| NonceCache {
            shared: Some(Arc::clone(store)),
            ..NonceCache::new(Duration::from_secs(60))
        };
        let (node_a, node_b) = (node(&store), node(&store));
        assert!(node_a.first_use("AK", "n1").await.expect("store check"));
        assert!(!node_b.first_use("AK", "n1").await.expect("store check"), "node B must see node A's nonce");
        assert!(node_b.first_use("AK", "n2").await.expect("store check"));
    }
}
