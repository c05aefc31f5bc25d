//! The issuer key fetcher against a real HTTPS test issuer on 127.0.0.1.

mod cache;
mod documents;
mod tls;

use akless_core::jose::PublicJwk;
use akless_server::jwks::{FetchConfig, JwksCache};

use crate::testkit::issuer::TestIssuer;

const HTTPS_URL_INVALID: &str = "AuthenticationFail.OIDCToken.HttpsUrlInvalid";

/// Builds a config that trusts the issuer's root CA and allows loopback, because every test issuer
/// runs on 127.0.0.1.
fn config_for(issuer: &TestIssuer) -> FetchConfig {
    FetchConfig {
        extra_roots: vec![issuer.root_certificate()],
        allow_private_issuers: true,
        ..FetchConfig::default()
    }
}

fn cache_for(issuer: &TestIssuer) -> JwksCache {
    JwksCache::new(config_for(issuer)).expect("cache")
}

/// Returns the sorted key ids of a key set.
fn kids(keys: &[PublicJwk]) -> Vec<String> {
    let mut kids: Vec<String> = keys
        .iter()
        .filter_map(|k| k.kid().map(str::to_string))
        .collect();
    kids.sort();
    kids
}
