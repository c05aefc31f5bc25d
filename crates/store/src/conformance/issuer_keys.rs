//! Conformance cases for issuer signing keys, the assertion replay list and revoked access tokens.

use std::sync::Arc;

use crate::error::{EntityKind, StoreError};
use crate::issuer_model::SigningKeyRecord;
use crate::Store;

/// Returns a signing key fixture that activates at `activate_at_ms`.
pub fn signing_key(kid: &str, activate_at_ms: i64) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: kid.to_owned(),
        algorithm: "ES256".to_owned(),
        private_key_sealed: format!("sealed-{kid}"),
        public_jwk: format!(r#"{{"kid":"{kid}"}}"#),
        created_ms: activate_at_ms,
        activate_at_ms,
        retire_at_ms: None,
        remove_at_ms: None,
    }
}

pub async fn signing_key_first_created_once(store: &dyn Store) {
    assert!(store.list_signing_keys().await.expect("list").is_empty());
    assert!(store
        .create_first_signing_key(&signing_key("k1", 1000))
        .await
        .expect("first"));
    assert!(!store
        .create_first_signing_key(&signing_key("k2", 1000))
        .await
        .expect("second"));
    assert_eq!(
        store.list_signing_keys().await.expect("list"),
        vec![signing_key("k1", 1000)]
    );
}

pub async fn signing_key_rotation_sets_times(store: &dyn Store) {
    store
        .create_first_signing_key(&signing_key("k1", 1000))
        .await
        .expect("first");
    store
        .rotate_signing_key(&signing_key("k2", 5000), 2000, 10_000)
        .await
        .expect("rotate");

    let keys = store.list_signing_keys().await.expect("list");
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].kid, "k1");
    assert_eq!(
        keys[0].retire_at_ms,
        Some(5000),
        "the old key signs until the new one activates"
    );
    assert_eq!(
        keys[0].remove_at_ms,
        Some(15_000),
        "then stays published for the retention"
    );
    assert_eq!(keys[0].private_key_sealed, "sealed-k1");
    assert_eq!(keys[1], signing_key("k2", 5000));
}

pub async fn signing_key_rotation_rejects_pending(store: &dyn Store) {
    store
        .create_first_signing_key(&signing_key("k1", 1000))
        .await
        .expect("first");
    store
        .rotate_signing_key(&signing_key("k2", 5000), 2000, 10_000)
        .await
        .expect("rotate");
    assert_eq!(
        store
            .rotate_signing_key(&signing_key("k3", 9000), 3000, 10_000)
            .await,
        Err(StoreError::Conflict {
            kind: EntityKind::SigningKey,
            name: "k2".into()
        }),
        "k2 is still pending at 3000"
    );
    assert_eq!(
        store.list_signing_keys().await.expect("list").len(),
        2,
        "a rejected rotation changes nothing"
    );
    assert_eq!(
        store
            .rotate_signing_key(&signing_key("k1", 9000), 6000, 10_000)
            .await,
        Err(StoreError::Conflict {
            kind: EntityKind::SigningKey,
            name: "k1".into()
        }),
        "a taken kid conflicts"
    );
    let keys = store.list_signing_keys().await.expect("list");
    assert_eq!(
        keys[1].retire_at_ms, None,
        "the failed insert rolled back the retirement"
    );
}

pub async fn signing_key_rotation_purges_removed(store: &dyn Store) {
    store
        .create_first_signing_key(&signing_key("k1", 1000))
        .await
        .expect("first");
    store
        .rotate_signing_key(&signing_key("k2", 2000), 2000, 1000)
        .await
        .expect("rotate 1");
    store
        .rotate_signing_key(&signing_key("k3", 4000), 3500, 1000)
        .await
        .expect("rotate 2");
    let kids: Vec<String> = store
        .list_signing_keys()
        .await
        .expect("list")
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert_eq!(
        kids,
        ["k2", "k3"],
        "k1 was removable at 3000 and is deleted by the rotation at 3500"
    );
}

pub async fn assertion_jti_used_once(store: &dyn Store) {
    assert!(store
        .use_assertion_jti("akc1", "j1", 2000, 1000)
        .await
        .expect("first use"));
    assert!(!store
        .use_assertion_jti("akc1", "j1", 2000, 1500)
        .await
        .expect("replay"));
    assert!(
        store
            .use_assertion_jti("akc2", "j1", 2000, 1500)
            .await
            .expect("other client"),
        "jti is per client"
    );
    assert!(
        store
            .use_assertion_jti("akc1", "j1", 3000, 2000)
            .await
            .expect("after expiry"),
        "expired records go away"
    );
    assert!(!store
        .use_assertion_jti("akc1", "j1", 3000, 2500)
        .await
        .expect("replay again"));
}

/// Concurrent uses of one assertion: exactly one wins, which keeps the replay check valid across nodes.
pub async fn assertion_jti_race_single_winner(store: Arc<dyn Store>) {
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.use_assertion_jti("akc1", "race", 10_000, 1000).await
        }));
    }
    let mut winners = 0;
    for task in tasks {
        if task.await.expect("task").expect("store call") {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

pub async fn access_token_revocation_expires(store: &dyn Store) {
    assert!(!store
        .is_access_token_revoked("t1", 1000)
        .await
        .expect("check"));
    store
        .revoke_access_token("t1", 2000, 1000)
        .await
        .expect("revoke");
    store
        .revoke_access_token("t1", 9000, 1100)
        .await
        .expect("revoke again");
    assert!(store
        .is_access_token_revoked("t1", 1999)
        .await
        .expect("check"));
    assert!(
        !store
            .is_access_token_revoked("t1", 2000)
            .await
            .expect("check"),
        "the first record's expiry stays"
    );
    assert!(!store
        .is_access_token_revoked("t2", 1500)
        .await
        .expect("check"));
    store
        .revoke_access_token("t2", 5000, 2500)
        .await
        .expect("revoke purges t1");
    assert!(store
        .is_access_token_revoked("t2", 2600)
        .await
        .expect("check"));
}
