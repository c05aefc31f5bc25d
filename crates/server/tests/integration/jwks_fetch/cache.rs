//! Caching, single-flight refresh and cooldown of `JwksCache`.

use std::sync::Arc;
use std::time::Duration;

use akless_server::jwks::{FetchConfig, FetchError, JwksCache};

use super::{cache_for, config_for, kids};
use crate::testkit::issuer::{KeyKind, TestIssuer};

#[tokio::test]
async fn cache_hit_makes_no_fetch() {
    let issuer = TestIssuer::start().await;
    let cache = cache_for(&issuer);
    let fingerprints = [issuer.fingerprint()];

    cache
        .keys(&issuer.url(), &fingerprints, None)
        .await
        .expect("first fetch");
    let again = cache
        .keys(&issuer.url(), &fingerprints, Some("ec-1"))
        .await
        .expect("cache hit");
    cache
        .clone()
        .keys(&issuer.url(), &fingerprints, None)
        .await
        .expect("cache hit through a clone");

    assert_eq!(kids(&again), vec!["ec-1", "ed-1", "rsa-1"]);
    assert_eq!(cache.fetch_count(), 1);
    assert_eq!(issuer.jwks_hits(), 1);
}

#[tokio::test]
async fn expired_cache_fetched_again() {
    let issuer = TestIssuer::start().await;
    let config = FetchConfig {
        cache_ttl: Duration::from_millis(200),
        ..config_for(&issuer)
    };
    let cache = JwksCache::new(config).expect("cache");
    let fingerprints = [issuer.fingerprint()];

    cache
        .keys(&issuer.url(), &fingerprints, None)
        .await
        .expect("first fetch");
    tokio::time::sleep(Duration::from_millis(300)).await;
    cache
        .keys(&issuer.url(), &fingerprints, None)
        .await
        .expect("second fetch");

    assert_eq!(cache.fetch_count(), 2);
    assert_eq!(issuer.jwks_hits(), 2);
}

#[tokio::test]
async fn expired_keys_not_served_after_failure() {
    let issuer = TestIssuer::start().await;
    let config = FetchConfig {
        cache_ttl: Duration::from_millis(200),
        ..config_for(&issuer)
    };
    let cache = JwksCache::new(config).expect("cache");
    let fingerprints = [issuer.fingerprint()];
    cache
        .keys(&issuer.url(), &fingerprints, None)
        .await
        .expect("first fetch");

    issuer.set_jwks_body(b"not json".to_vec(), false);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let result = cache.keys(&issuer.url(), &fingerprints, None).await;

    assert!(matches!(result, Err(FetchError::Jwks(_))), "{result:?}");
    assert_eq!(cache.fetch_count(), 2);
}

#[tokio::test]
async fn unknown_kid_single_refresh_for_concurrent_callers() {
    let issuer = TestIssuer::start().await;
    let config = FetchConfig {
        refresh_cooldown: Duration::from_millis(100),
        ..config_for(&issuer)
    };
    let cache = JwksCache::new(config).expect("cache");
    let fingerprints = vec![issuer.fingerprint()];
    cache
        .keys(&issuer.url(), &fingerprints, None)
        .await
        .expect("first fetch");

    issuer.add_key(KeyKind::Rsa2048, "rsa-2");
    issuer.publish_keys(&["rsa-1", "ec-1", "ed-1", "rsa-2"]);
    issuer.set_delay(Duration::from_millis(200));
    tokio::time::sleep(Duration::from_millis(150)).await;

    let url = Arc::new(issuer.url());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (cache, url, fingerprints) = (cache.clone(), url.clone(), fingerprints.clone());
        tasks.spawn(async move { cache.keys(&url, &fingerprints, Some("rsa-2")).await });
    }
    while let Some(joined) = tasks.join_next().await {
        let keys = joined.expect("task").expect("keys");
        assert!(
            keys.iter().any(|k| k.kid() == Some("rsa-2")),
            "every caller sees the new key"
        );
    }

    assert_eq!(cache.fetch_count(), 2);
    assert_eq!(issuer.jwks_hits(), 2);
}

#[tokio::test]
async fn cooldown_limits_unknown_kid_refresh() {
    let issuer = TestIssuer::start().await;
    let config = FetchConfig {
        refresh_cooldown: Duration::from_millis(1000),
        ..config_for(&issuer)
    };
    let cache = JwksCache::new(config).expect("cache");
    let fingerprints = [issuer.fingerprint()];
    cache
        .keys(&issuer.url(), &fingerprints, None)
        .await
        .expect("first fetch");

    let within = cache
        .keys(&issuer.url(), &fingerprints, Some("ghost"))
        .await
        .expect("cached keys");
    assert_eq!(kids(&within), vec!["ec-1", "ed-1", "rsa-1"]);
    assert_eq!(
        cache.fetch_count(),
        1,
        "no refresh inside the cooldown after the first fetch"
    );

    tokio::time::sleep(Duration::from_millis(1200)).await;
    cache
        .keys(&issuer.url(), &fingerprints, Some("ghost"))
        .await
        .expect("refreshed keys");
    assert_eq!(cache.fetch_count(), 2, "the cooldown has passed");

    cache
        .keys(&issuer.url(), &fingerprints, Some("ghost"))
        .await
        .expect("cached keys");
    assert_eq!(
        cache.fetch_count(),
        2,
        "no second refresh inside the cooldown"
    );
    assert_eq!(issuer.jwks_hits(), 2);
}

#[tokio::test]
async fn vanished_keys_dropped() {
    let issuer = TestIssuer::start().await;
    let config = FetchConfig {
        refresh_cooldown: Duration::ZERO,
        ..config_for(&issuer)
    };
    let cache = JwksCache::new(config).expect("cache");
    let fingerprints = [issuer.fingerprint()];
    cache
        .keys(&issuer.url(), &fingerprints, None)
        .await
        .expect("first fetch");

    issuer.add_key(KeyKind::EcP256, "ec-2");
    issuer.publish_keys(&["ec-1", "ec-2"]);
    let keys = cache
        .keys(&issuer.url(), &fingerprints, Some("ec-2"))
        .await
        .expect("refreshed keys");

    assert_eq!(kids(&keys), vec!["ec-1", "ec-2"]);
    let again = cache
        .keys(&issuer.url(), &fingerprints, None)
        .await
        .expect("cached keys");
    assert_eq!(
        kids(&again),
        vec!["ec-1", "ec-2"],
        "the cache holds the new set only"
    );
}

#[tokio::test]
async fn changed_fingerprint_set_not_reusing_cache() {
    let issuer = TestIssuer::start().await;
    let cache = cache_for(&issuer);
    let good = issuer.fingerprint();
    let other = issuer.pki().root_fingerprint();

    cache
        .keys(&issuer.url(), &[good.clone(), other.clone()], None)
        .await
        .expect("first fetch");
    cache
        .keys(&issuer.url(), &[other.clone(), good.clone()], None)
        .await
        .expect("same set, other order");
    assert_eq!(cache.fetch_count(), 1, "the set is order-independent");

    cache
        .keys(&issuer.url(), std::slice::from_ref(&good), None)
        .await
        .expect("new set");
    assert_eq!(cache.fetch_count(), 2, "a new set fetches again");

    let err = cache.keys(&issuer.url(), &[other], None).await.unwrap_err();
    assert!(
        matches!(err, FetchError::FingerprintMismatch { .. }),
        "keys fetched under another set: {err:?}"
    );
    assert_eq!(cache.fetch_count(), 3);
}

#[tokio::test]
async fn failure_repeated_during_cooldown() {
    let issuer = TestIssuer::start().await;
    let cache = cache_for(&issuer);
    issuer.set_jwks_body(b"not json".to_vec(), false);

    let first = cache
        .keys(&issuer.url(), &[issuer.fingerprint()], None)
        .await
        .unwrap_err();
    issuer.publish_keys(&["rsa-1"]);
    let second = cache
        .keys(&issuer.url(), &[issuer.fingerprint()], None)
        .await
        .unwrap_err();

    assert!(matches!(first, FetchError::Jwks(_)), "{first:?}");
    assert_eq!(second.to_string(), first.to_string());
    assert_eq!(cache.fetch_count(), 1);
    assert_eq!(issuer.jwks_hits(), 1);
}
