//! Replay protection for signed requests: each (AccessKeyId, SignatureNonce)
//! pair is accepted once within the timestamp window.

use std::time::Duration;

use moka::sync::Cache;

/// Maximum remembered nonces. Past it the least recently used go first, so a
/// flood larger than this could let an old nonce be accepted again.
// NOTE: nonces live in this process only; several nodes need a shared store for them.
const MAX_NONCES: u64 = 2_000_000;

/// Remembered nonces.
pub struct NonceCache {
    seen: Cache<String, ()>,
}

impl NonceCache {
    /// Remembers each nonce for `window`, which must cover the accepted clock skew on both sides.
    pub fn new(window: Duration) -> Self {
        Self { seen: Cache::builder().max_capacity(MAX_NONCES).time_to_live(window).build() }
    }

    /// Records the nonce and returns `true` when it was not seen before.
    pub fn first_use(&self, access_key_id: &str, nonce: &str) -> bool {
        let key = format!("{access_key_id}\n{nonce}");
        self.seen.entry(key).or_insert(()).is_fresh()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_use_is_rejected() {
        let cache = NonceCache::new(Duration::from_secs(60));
        assert!(cache.first_use("AK", "n1"));
        assert!(!cache.first_use("AK", "n1"));
        assert!(cache.first_use("AK2", "n1"), "nonces are scoped to the AccessKeyId");
    }
}
