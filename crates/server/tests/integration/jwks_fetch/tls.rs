//! TLS chain, hostname, fingerprint and address checks of the fetch.

use akless_core::jose::parse_compact;
use akless_core::token::select_key;
use akless_server::jwks::{FetchConfig, FetchError, JwksCache};
use rustls::pki_types::CertificateDer;
use serde_json::json;

use super::{cache_for, config_for, kids, HTTPS_URL_INVALID};
use crate::testkit::issuer::{ChainMode, IssuerOptions, TestIssuer, TestPki};

#[tokio::test]
async fn fetch_with_intermediate_fingerprint() {
    let issuer = TestIssuer::start().await;
    let cache = cache_for(&issuer);

    let keys = cache
        .keys(
            &issuer.url(),
            &[issuer.pki().intermediate_fingerprint()],
            None,
        )
        .await
        .expect("keys");

    assert_eq!(kids(&keys), vec!["ec-1", "ed-1", "rsa-1"]);
    assert_eq!(cache.fetch_count(), 1);
    assert_eq!(issuer.discovery_hits(), 1);
    assert_eq!(issuer.jwks_hits(), 1);
}

#[tokio::test]
async fn fetch_with_root_fingerprint_when_root_sent() {
    let options = IssuerOptions {
        chain: ChainMode::ToRoot,
        ..IssuerOptions::default()
    };
    let issuer = TestIssuer::start_with(options).await;

    let keys = cache_for(&issuer)
        .keys(&issuer.url(), &[issuer.pki().root_fingerprint()], None)
        .await;
    assert_eq!(
        kids(&keys.expect("root fingerprint accepted")),
        vec!["ec-1", "ed-1", "rsa-1"]
    );

    let intermediate_only = cache_for(&issuer)
        .keys(
            &issuer.url(),
            &[issuer.pki().intermediate_fingerprint()],
            None,
        )
        .await;
    assert!(
        matches!(
            intermediate_only,
            Err(FetchError::FingerprintMismatch { .. })
        ),
        "the last presented certificate is the root: {intermediate_only:?}"
    );
}

#[tokio::test]
async fn leaf_only_chain_pins_leaf() {
    let options = IssuerOptions {
        chain: ChainMode::LeafOnly,
        ..IssuerOptions::default()
    };
    let issuer = TestIssuer::start_with(options).await;
    let config = FetchConfig {
        extra_roots: vec![issuer.pki().intermediate.clone()],
        ..config_for(&issuer)
    };
    let cache = JwksCache::new(config).expect("cache");

    let leaf = cache
        .keys(&issuer.url(), &[issuer.pki().leaf_fingerprint()], None)
        .await;
    assert!(leaf.is_ok(), "{leaf:?}");

    let intermediate = cache
        .keys(
            &issuer.url(),
            &[issuer.pki().intermediate_fingerprint()],
            None,
        )
        .await;
    assert!(
        matches!(intermediate, Err(FetchError::FingerprintMismatch { .. })),
        "{intermediate:?}"
    );
}

#[tokio::test]
async fn fingerprint_accepts_colon_upper_case_form() {
    let issuer = TestIssuer::start().await;
    let fingerprint = issuer.fingerprint();
    let colon_form: Vec<String> = fingerprint
        .as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8_lossy(pair).to_uppercase())
        .collect();

    let keys = cache_for(&issuer)
        .keys(&issuer.url(), &[colon_form.join(":")], None)
        .await;

    assert!(keys.is_ok(), "{keys:?}");
}

#[tokio::test]
async fn fetched_keys_verify_jsonwebtoken_tokens() {
    let issuer = TestIssuer::start().await;
    let keys = cache_for(&issuer)
        .keys(&issuer.url(), &[issuer.fingerprint()], None)
        .await
        .expect("keys");
    let claims = json!({"iss": issuer.url(), "sub": "user-1", "aud": "client-1", "iat": 1_700_000_000, "exp": 4_000_000_000u64});

    for (alg, kid) in [("RS256", "rsa-1"), ("ES256", "ec-1"), ("EdDSA", "ed-1")] {
        let token = issuer.sign_token(alg, kid, &claims);
        let jws = parse_compact(&token).expect("compact JWS");
        let key = select_key(&jws, &keys).expect("key by kid");

        assert_eq!(key.kid(), Some(kid));
        assert!(
            key.verify(jws.header().alg, jws.signing_input(), jws.signature()),
            "{alg} signature must verify"
        );
        let mut tampered = jws.signature().to_vec();
        tampered[0] ^= 1;
        assert!(
            !key.verify(jws.header().alg, jws.signing_input(), &tampered),
            "{alg} tampered signature"
        );
    }
}

#[tokio::test]
async fn wrong_fingerprint_rejected() {
    let issuer = TestIssuer::start().await;
    let registered = issuer.pki().root_fingerprint();

    let err = cache_for(&issuer)
        .keys(&issuer.url(), std::slice::from_ref(&registered), None)
        .await
        .unwrap_err();

    assert!(
        matches!(err, FetchError::FingerprintMismatch { .. }),
        "{err:?}"
    );
    let api = err.to_api_error();
    assert_eq!(api.code, HTTPS_URL_INVALID);
    assert_eq!(api.status, 401);
    assert!(
        api.message.contains("fingerprint check failed"),
        "{}",
        api.message
    );
    assert!(
        api.message
            .contains(&issuer.pki().intermediate_fingerprint()),
        "presented fingerprint: {}",
        api.message
    );
    assert!(
        !api.message.contains(&registered),
        "registered fingerprints stay private: {}",
        api.message
    );
    assert_eq!(
        issuer.discovery_hits(),
        0,
        "no request may pass a rejected handshake"
    );
}

#[tokio::test]
async fn no_registered_fingerprint_rejected() {
    let issuer = TestIssuer::start().await;

    let err = cache_for(&issuer)
        .keys(&issuer.url(), &[], None)
        .await
        .unwrap_err();

    assert!(
        matches!(err, FetchError::FingerprintMismatch { ref detail, .. } if detail.contains("no registered")),
        "{err:?}"
    );
}

#[tokio::test]
async fn appended_registered_certificate_rejected() {
    // The chain leaf → intermediate → root verifies, and the server appends an unrelated CA
    // certificate whose fingerprint is registered. It must not satisfy the fingerprint check.
    let unrelated = TestPki::new(&["unrelated.test"]);
    let options = IssuerOptions {
        appended: vec![unrelated.root.clone()],
        ..IssuerOptions::default()
    };
    let issuer = TestIssuer::start_with(options).await;

    let err = cache_for(&issuer)
        .keys(&issuer.url(), &[unrelated.root_fingerprint()], None)
        .await
        .unwrap_err();

    assert!(
        matches!(err, FetchError::FingerprintMismatch { ref detail, .. } if detail.contains("does not issue")),
        "{err:?}"
    );
}

#[tokio::test]
async fn untrusted_chain_rejected() {
    let issuer = TestIssuer::start().await;
    let config = FetchConfig {
        allow_private_issuers: true,
        ..FetchConfig::default()
    };

    let err = JwksCache::new(config)
        .expect("cache")
        .keys(&issuer.url(), &[issuer.fingerprint()], None)
        .await
        .unwrap_err();

    assert!(
        matches!(err, FetchError::Tls { ref detail, .. } if detail.contains("trusted root")),
        "{err:?}"
    );
    let api = err.to_api_error();
    assert_eq!(api.code, HTTPS_URL_INVALID);
    assert!(
        api.message
            .contains("chain or hostname verification failed"),
        "{}",
        api.message
    );
    assert!(api.message.contains("--trust-ca-file"), "{}", api.message);
}

#[tokio::test]
async fn hostname_mismatch_rejected() {
    let options = IssuerOptions {
        leaf_names: vec!["other.test".to_string()],
        ..IssuerOptions::default()
    };
    let issuer = TestIssuer::start_with(options).await;

    let err = cache_for(&issuer)
        .keys(&issuer.url(), &[issuer.fingerprint()], None)
        .await
        .unwrap_err();

    assert!(
        matches!(err, FetchError::Tls { ref detail, .. } if detail.contains("not valid for the name localhost")),
        "{err:?}"
    );
}

#[tokio::test]
async fn private_address_rejected_by_default() {
    let issuer = TestIssuer::start().await;
    let config = FetchConfig {
        allow_private_issuers: false,
        ..config_for(&issuer)
    };
    let cache = JwksCache::new(config).expect("cache");

    for url in [issuer.ip_url(), issuer.url()] {
        let err = cache
            .keys(&url, &[issuer.fingerprint()], None)
            .await
            .unwrap_err();
        assert!(
            matches!(err, FetchError::AddressNotAllowed { .. }),
            "{url}: {err:?}"
        );
        let api = err.to_api_error();
        assert_eq!(api.code, HTTPS_URL_INVALID);
        assert!(
            api.message.contains("--allow-private-issuers"),
            "{}",
            api.message
        );
    }
    assert_eq!(issuer.discovery_hits(), 0);
}

#[tokio::test]
async fn stopped_issuer_fails_with_connect_error() {
    let issuer = TestIssuer::start().await;
    let (url, fingerprint) = (issuer.url(), issuer.fingerprint());
    let cache = cache_for(&issuer);
    issuer.stop().await;

    let err = cache.keys(&url, &[fingerprint], None).await.unwrap_err();

    assert!(matches!(err, FetchError::Connect { .. }), "{err:?}");
}

#[tokio::test]
async fn inspect_issuer_reports_presented_chain() {
    let issuer = TestIssuer::start().await;

    let chains = cache_for(&issuer)
        .inspect_issuer(&issuer.url())
        .await
        .expect("chains");

    assert_eq!(chains.jwks_uri, format!("{}/jwks", issuer.url()));
    assert_eq!(
        chains.discovery.subjects,
        vec!["CN=localhost", "CN=akless test intermediate CA"]
    );
    assert_eq!(
        chains.discovery.last_fingerprint(),
        Some(issuer.fingerprint().as_str())
    );
    assert_eq!(chains.jwks, chains.discovery);
}

#[test]
fn invalid_extra_root_rejected() {
    let config = FetchConfig {
        extra_roots: vec![CertificateDer::from(b"not a certificate".to_vec())],
        ..FetchConfig::default()
    };

    let err = JwksCache::new(config).unwrap_err();

    assert!(
        matches!(err, FetchError::InvalidRootCertificate { index: 0, .. }),
        "{err:?}"
    );
    assert_eq!(err.to_api_error().code, "InternalError");
}
