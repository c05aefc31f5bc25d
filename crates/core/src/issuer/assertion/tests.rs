use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use serde_json::{json, Value};

use super::*;
use crate::issuer::OAuthErrorCode;
use crate::jose::test_support::TestKey;
use crate::jose::{b64url_encode, parse_jwks};

const CLIENT: &str = "akc-client";
const TOKEN_ENDPOINT: &str = "https://idp.test/api/v2/iauths_system/oauth2/token";
const ISSUER: &str = "https://idp.test/api/v2/iauths_system/oauth2";
const NOW: i64 = 1_800_000_000;

fn rules() -> AssertionRules<'static> {
    AssertionRules {
        client_id: CLIENT,
        audiences: &[ISSUER, TOKEN_ENDPOINT],
        now: OffsetDateTime::from_unix_timestamp(NOW).unwrap(),
        leeway_secs: 60,
    }
}

fn claims() -> Value {
    json!({"iss": CLIENT, "sub": CLIENT, "aud": TOKEN_ENDPOINT, "exp": NOW + 300, "iat": NOW, "jti": "j-1"})
}

fn hs256(secret: &str, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64url_encode(json!({"alg": "HS256", "typ": "JWT"}).to_string().as_bytes()),
        b64url_encode(claims.to_string().as_bytes())
    );
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    format!("{input}.{}", b64url_encode(hmac::sign(&key, input.as_bytes()).as_ref()))
}

fn rs256(pair: &RsaKeyPair, kid: &str, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64url_encode(json!({"alg": "RS256", "kid": kid}).to_string().as_bytes()),
        b64url_encode(claims.to_string().as_bytes())
    );
    let mut signature = vec![0u8; pair.public_modulus_len()];
    pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), input.as_bytes(), &mut signature).unwrap();
    format!("{input}.{}", b64url_encode(&signature))
}

fn rsa_jwk(pair: &RsaKeyPair, kid: &str) -> PublicJwk {
    let public = pair.public_key();
    let jwk = json!({"keys": [{
        "kty": "RSA", "kid": kid,
        "n": b64url_encode(public.modulus().big_endian_without_leading_zero()),
        "e": b64url_encode(public.exponent().big_endian_without_leading_zero()),
    }]});
    parse_jwks(jwk.to_string().as_bytes()).unwrap().remove(0)
}

fn assert_invalid_client(result: Result<VerifiedAssertion, OAuthError>, fragment: &str) {
    let error = result.expect_err("expected invalid_client");
    assert_eq!(error.code, OAuthErrorCode::InvalidClient);
    assert!(error.description.starts_with("client_assertion: "), "{}", error.description);
    assert!(error.description.contains(fragment), "{fragment:?} not in {:?}", error.description);
}

#[test]
fn hs256_verifies_with_matching_secret() {
    let assertion = parse_client_assertion(&hs256("akcs_right", &claims())).unwrap();
    assert_eq!(assertion.method(), AuthMethod::ClientSecretJwt);
    assert_eq!(assertion.subject(), Some(CLIENT));
    let verified = assertion.verify_with_secrets(["akcs_other", "akcs_right"], &rules()).unwrap();
    assert_eq!(verified.jti(), "j-1");
    assert_eq!(verified.replay_until(), NOW + 300 + 60);
    assert_eq!(verified.method(), AuthMethod::ClientSecretJwt);
}

#[test]
fn hs256_rejects_wrong_secret_and_key_path() {
    let assertion = parse_client_assertion(&hs256("akcs_right", &claims())).unwrap();
    assert_invalid_client(assertion.verify_with_secrets(["akcs_wrong"], &rules()), "any active client secret");
    assert_invalid_client(assertion.verify_with_secrets([], &rules()), "any active client secret");
    assert_invalid_client(assertion.verify_with_keys(&[], &rules()), "RS256 and ES256");
}

#[test]
fn es256_verifies_with_registered_key() {
    let key = TestKey::es256();
    let token = key.token(Some("k1"), &claims());
    let assertion = parse_client_assertion(&token).unwrap();
    assert_eq!(assertion.method(), AuthMethod::PrivateKeyJwt);
    let other = TestKey::es256();
    let keys = vec![other.public_jwk(Some("k0")), key.public_jwk(Some("k1"))];
    assert!(assertion.verify_with_keys(&keys, &rules()).is_ok());
    assert_invalid_client(assertion.verify_with_keys(&[other.public_jwk(Some("k1"))], &rules()), "registered");
    assert_invalid_client(assertion.verify_with_keys(&[key.public_jwk(Some("k2"))], &rules()), "registered");
    assert_invalid_client(assertion.verify_with_secrets(["x"], &rules()), "HS256");
}

#[test]
fn rs256_verifies_with_registered_key() {
    let pair = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
    let assertion = parse_client_assertion(&rs256(&pair, "r1", &claims())).unwrap();
    assert!(assertion.verify_with_keys(&[rsa_jwk(&pair, "r1")], &rules()).is_ok());
    let other = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
    assert_invalid_client(assertion.verify_with_keys(&[rsa_jwk(&other, "r1")], &rules()), "registered");
}

#[test]
fn claim_checks_name_the_claim() {
    let cases: Vec<(Value, &str)> = vec![
        (json!({"iss": "someone-else"}), "iss claim"),
        (json!({"sub": "someone-else"}), "sub claim"),
        (json!({"aud": "https://elsewhere.test"}), "aud claim"),
        (json!({"exp": null}), "exp claim is missing"),
        (json!({"exp": NOW - 61}), "exp claim is in the past"),
        (json!({"exp": NOW + 3600 + 61}), "more than 3600 seconds"),
        (json!({"nbf": NOW + 61}), "nbf claim"),
        (json!({"iat": NOW + 61}), "iat claim"),
        (json!({"jti": null}), "jti claim is missing"),
        (json!({"jti": ""}), "1 to 256"),
        (json!({"jti": "j".repeat(257)}), "1 to 256"),
    ];
    for (changes, fragment) in cases {
        let mut claims = claims();
        for (name, value) in changes.as_object().unwrap() {
            if value.is_null() {
                claims.as_object_mut().unwrap().remove(name);
            } else {
                claims[name] = value.clone();
            }
        }
        let assertion = parse_client_assertion(&hs256("s", &claims)).unwrap();
        assert_invalid_client(assertion.verify_with_secrets(["s"], &rules()), fragment);
    }
}

#[test]
fn accepts_leeway_and_issuer_audience() {
    let mut claims = claims();
    claims["exp"] = json!(NOW - 30);
    claims["aud"] = json!(["x", ISSUER]);
    let assertion = parse_client_assertion(&hs256("s", &claims)).unwrap();
    assert!(assertion.verify_with_secrets(["s"], &rules()).is_ok());
}

#[test]
fn parse_rejects_other_algorithms() {
    let key = TestKey::ed25519();
    let error = parse_client_assertion(&key.token(None, &claims())).unwrap_err();
    assert_eq!(error.code, OAuthErrorCode::InvalidClient);
    assert!(error.description.contains("HS256, RS256, ES256"), "{}", error.description);
    assert!(parse_client_assertion(&"a.".repeat(5000)).unwrap_err().description.contains("longer than 8192"));
}
