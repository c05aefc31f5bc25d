//! Conformance cases for replay records of signed requests.

use std::sync::Arc;

use tokio::task::JoinSet;

use crate::Store;

const NOW_MS: i64 = 1_700_000_000_000;
const WINDOW_MS: i64 = 30 * 60 * 1000;

pub async fn nonce_first_use_then_replay(store: &dyn Store) {
    let first = store
        .first_use_nonce(b"LTAIkey\nnonce-1", NOW_MS, NOW_MS + WINDOW_MS)
        .await
        .expect("first use");
    assert!(first, "a new nonce must be accepted");

    let replay = store
        .first_use_nonce(b"LTAIkey\nnonce-1", NOW_MS + 1, NOW_MS + 1 + WINDOW_MS)
        .await
        .expect("replay");
    assert!(!replay, "a nonce seen within its window must be rejected");

    let other_key = store
        .first_use_nonce(b"LTAIother\nnonce-1", NOW_MS + 2, NOW_MS + 2 + WINDOW_MS)
        .await
        .expect("other key");
    assert!(other_key, "the same nonce under another key is new");
}

pub async fn nonce_arbitrary_bytes_accepted(store: &dyn Store) {
    let key = b"LTAIkey\n\0\xff\xfe nonce";
    assert!(store
        .first_use_nonce(key, NOW_MS, NOW_MS + WINDOW_MS)
        .await
        .expect("first use"));
    assert!(!store
        .first_use_nonce(key, NOW_MS, NOW_MS + WINDOW_MS)
        .await
        .expect("replay"));
}

pub async fn nonce_usable_again_after_expiry(store: &dyn Store) {
    assert!(store
        .first_use_nonce(b"k\nn", NOW_MS, NOW_MS + 1000)
        .await
        .expect("first use"));

    let at_expiry = store
        .first_use_nonce(b"k\nn", NOW_MS + 1000, NOW_MS + 2000)
        .await
        .expect("use at expiry");
    assert!(
        at_expiry,
        "a record that expired at or before now no longer blocks the key"
    );

    let before_new_expiry = store
        .first_use_nonce(b"k\nn", NOW_MS + 1999, NOW_MS + 3000)
        .await
        .expect("replay before the renewed expiry");
    assert!(
        !before_new_expiry,
        "the renewed record blocks the key again"
    );
}

pub async fn nonce_purge_removes_only_expired(store: &dyn Store) {
    for (key, expires_ms) in [
        (&b"k\nold-1"[..], NOW_MS - 10),
        (&b"k\nold-2"[..], NOW_MS),
        (&b"k\nlive"[..], NOW_MS + 10),
    ] {
        assert!(store
            .first_use_nonce(key, NOW_MS - 100, expires_ms)
            .await
            .expect("record nonce"));
    }

    let purged = store.purge_expired_nonces(NOW_MS).await.expect("purge");
    assert_eq!(purged, 2, "records expiring at or before now are purged");

    let live_again = store
        .first_use_nonce(b"k\nlive", NOW_MS, NOW_MS + WINDOW_MS)
        .await
        .expect("replay of live nonce");
    assert!(!live_again, "the unexpired record must survive the purge");
    assert_eq!(store.purge_expired_nonces(NOW_MS).await.expect("purge"), 0);
}

pub async fn nonce_race_single_winner(store: Arc<dyn Store>) {
    const RACERS: usize = 12;
    let mut tasks = JoinSet::new();
    for _ in 0..RACERS {
        let store = Arc::clone(&store);
        tasks.spawn(async move {
            store
                .first_use_nonce(b"LTAIkey\nshared-nonce", NOW_MS, NOW_MS + WINDOW_MS)
                .await
        });
    }

    let mut accepted = 0;
    while let Some(joined) = tasks.join_next().await {
        if joined.expect("task panicked").expect("first_use_nonce") {
            accepted += 1;
        }
    }
    assert_eq!(
        accepted, 1,
        "exactly one concurrent use of a nonce may pass"
    );
}

pub async fn schema_version_is_positive(store: &dyn Store) {
    let version = store.schema_version().await.expect("schema_version");
    assert!(version >= 1, "a migrated store reports version {version}");
}
