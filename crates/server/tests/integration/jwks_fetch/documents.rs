//! Checks on the discovery document, the JWKS and the HTTP responses that carry them.

use std::time::{Duration, Instant};

use akless_server::jwks::{FetchConfig, FetchError, JwksCache};
use serde_json::json;

use super::{cache_for, config_for, HTTPS_URL_INVALID};
use crate::testkit::issuer::TestIssuer;

#[tokio::test]
async fn http_jwks_uri_rejected() {
    let issuer = TestIssuer::start().await;
    issuer.set_discovery(&json!({"issuer": issuer.url(), "jwks_uri": format!("http://localhost:{}/jwks", issuer.port())}));

    let err = cache_for(&issuer)
        .keys(&issuer.url(), &[issuer.fingerprint()], None)
        .await
        .unwrap_err();

    assert!(
        matches!(err, FetchError::Discovery(ref m) if m.contains("https")),
        "{err:?}"
    );
    assert_eq!(err.to_api_error().code, HTTPS_URL_INVALID);
    assert_eq!(issuer.jwks_hits(), 0);
}

#[tokio::test]
async fn http_issuer_url_rejected() {
    let issuer = TestIssuer::start().await;
    let http_url = format!("http://localhost:{}", issuer.port());

    let err = cache_for(&issuer)
        .keys(&http_url, &[issuer.fingerprint()], None)
        .await
        .unwrap_err();

    assert!(matches!(err, FetchError::InvalidUrl { .. }), "{err:?}");
    assert_eq!(issuer.discovery_hits(), 0);
}

#[tokio::test]
async fn non_200_status_rejected() {
    let issuer = TestIssuer::start().await;
    issuer.set_discovery(&json!({"jwks_uri": format!("{}/missing", issuer.url())}));

    let err = cache_for(&issuer)
        .keys(&issuer.url(), &[issuer.fingerprint()], None)
        .await
        .unwrap_err();

    assert!(
        matches!(err, FetchError::Http { status: 404, ref url } if url.ends_with("/missing")),
        "{err:?}"
    );
}

#[tokio::test]
async fn oversize_body_rejected() {
    let issuer = TestIssuer::start().await;
    let oversize = format!("{{\"keys\":[],\"padding\":\"{}\"}}", "x".repeat(300 * 1024));

    for chunked in [false, true] {
        issuer.set_jwks_body(oversize.clone().into_bytes(), chunked);
        let err = cache_for(&issuer)
            .keys(&issuer.url(), &[issuer.fingerprint()], None)
            .await
            .unwrap_err();
        assert!(
            matches!(err, FetchError::Body(ref m) if m.contains("more than 262144 bytes")),
            "chunked={chunked}: {err:?}"
        );
    }
}

#[tokio::test]
async fn jwks_without_usable_keys_rejected() {
    let issuer = TestIssuer::start().await;
    issuer.set_jwks(&json!({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}]}));

    let err = cache_for(&issuer)
        .keys(&issuer.url(), &[issuer.fingerprint()], None)
        .await
        .unwrap_err();

    assert!(matches!(err, FetchError::NoUsableKeys { .. }), "{err:?}");
}

#[tokio::test]
async fn slow_issuer_times_out() {
    let issuer = TestIssuer::start().await;
    issuer.set_delay(Duration::from_millis(1500));
    let config = FetchConfig {
        timeout: Duration::from_millis(300),
        ..config_for(&issuer)
    };

    let started = Instant::now();
    let err = JwksCache::new(config)
        .expect("cache")
        .keys(&issuer.url(), &[issuer.fingerprint()], None)
        .await
        .unwrap_err();

    assert!(
        matches!(
            err,
            FetchError::Timeout {
                timeout_ms: 300,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}
