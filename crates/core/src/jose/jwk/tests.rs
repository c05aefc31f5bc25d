use serde_json::{json, Value};

use super::*;
use crate::jose::test_support::TestKey;
use crate::jose::{b64url_encode, parse_compact};

/// JWKS and tokens made by interop/vectors/make_jose_vectors.py with pyca/cryptography.
fn vectors() -> Value {
    serde_json::from_str(include_str!("../../../tests/vectors/jose.json")).unwrap()
}

fn vector_jwk(kid: &str) -> Value {
    vectors()["jwks"]["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid).unwrap().clone()
}

fn parse_one(jwk: Value) -> Vec<PublicJwk> {
    parse_jwks(json!({ "keys": [jwk] }).to_string().as_bytes()).unwrap()
}

#[test]
fn vector_jwks_keeps_only_public_signing_keys() {
    let keys = parse_jwks(vectors()["jwks"].to_string().as_bytes()).unwrap();
    let kids: Vec<_> = keys.iter().map(|k| k.kid().unwrap()).collect();
    // Skipped: the 1024-bit RSA key, the EC key with "d", the oct key and the "use": "enc" key.
    assert_eq!(kids, ["rsa-1", "ec-256", "ec-384", "ed-1"]);
    assert_eq!(keys[1].alg(), Some(Algorithm::ES256));
    assert_eq!(keys[0].alg(), None);
}

#[test]
fn vector_signatures_verify_as_expected() {
    let vectors = vectors();
    let keys = parse_jwks(vectors["jwks"].to_string().as_bytes()).unwrap();
    for case in vectors["tokens"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let jws = parse_compact(case["token"].as_str().unwrap()).unwrap();
        let key = keys.iter().find(|k| k.kid() == case["kid"].as_str()).unwrap();
        let ok = key.verify(jws.header().alg, jws.signing_input(), jws.signature());
        assert_eq!(ok, case["valid"].as_bool().unwrap(), "vector {name}");
    }
}

#[test]
fn parsed_keys_stay_per_algorithm_across_calls_and_clones() {
    let vectors = vectors();
    let keys = parse_jwks(vectors["jwks"].to_string().as_bytes()).unwrap();
    let rsa = keys.iter().find(|k| k.kid() == Some("rsa-1")).unwrap();
    let token = |name: &str| {
        let case = vectors["tokens"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap();
        parse_compact(case["token"].as_str().unwrap()).unwrap()
    };
    let (pkcs1, pss) = (token("RS256"), token("PS256"));
    let copy = rsa.clone();
    assert_eq!(&copy, rsa);
    for key in [rsa, &copy, rsa] {
        assert!(key.verify(Algorithm::RS256, pkcs1.signing_input(), pkcs1.signature()));
        assert!(!key.verify(Algorithm::PS256, pkcs1.signing_input(), pkcs1.signature()));
        assert!(key.verify(Algorithm::PS256, pss.signing_input(), pss.signature()));
        assert!(!key.verify(Algorithm::RS256, pss.signing_input(), pss.signature()));
        assert!(!key.verify(Algorithm::RS256, b"other input", pkcs1.signature()));
    }
}

#[test]
fn fits_matches_key_type_and_curve() {
    let keys = parse_jwks(vectors()["jwks"].to_string().as_bytes()).unwrap();
    let fitting = |key: &PublicJwk| -> Vec<Algorithm> { Algorithm::ALL.into_iter().filter(|a| key.fits(*a)).collect() };
    use Algorithm::*;
    assert_eq!(fitting(&keys[0]), [RS256, RS384, RS512, PS256, PS384, PS512]);
    assert_eq!(fitting(&keys[1]), [ES256]);
    assert_eq!(fitting(&keys[2]), [ES384]);
    assert_eq!(fitting(&keys[3]), [EdDSA]);
}

#[test]
fn jwk_alg_restricts_fit() {
    let mut jwk = vector_jwk("rsa-1");
    jwk["alg"] = json!("RS256");
    let key = &parse_one(jwk)[0];
    assert!(key.fits(Algorithm::RS256));
    assert!(!key.fits(Algorithm::PS256));
    assert!(!key.fits(Algorithm::RS512));
}

#[test]
fn verify_refuses_algorithm_the_key_does_not_fit() {
    let key = TestKey::es256();
    let message = b"message";
    let signature = key.sign_bytes(message);
    let jwk = key.public_jwk(None);
    assert!(jwk.verify(Algorithm::ES256, message, &signature));
    assert!(!jwk.verify(Algorithm::ES384, message, &signature));
    assert!(!jwk.verify(Algorithm::RS256, message, &signature));
}

#[test]
fn verify_rejects_wrong_length_ecdsa_signature() {
    let key = TestKey::es256();
    let jwk = key.public_jwk(None);
    let mut signature = key.sign_bytes(b"m");
    assert!(jwk.verify(Algorithm::ES256, b"m", &signature));
    signature.push(0);
    assert!(!jwk.verify(Algorithm::ES256, b"m", &signature));
    signature.truncate(63);
    assert!(!jwk.verify(Algorithm::ES256, b"m", &signature));
}

#[test]
fn verify_each_generated_key_type() {
    for key in [TestKey::ed25519(), TestKey::es256(), TestKey::es384()] {
        let jwk = key.public_jwk(Some("k"));
        let signature = key.sign_bytes(b"payload");
        assert!(jwk.verify(key.alg(), b"payload", &signature), "{}", key.alg());
        assert!(!jwk.verify(key.alg(), b"payloaD", &signature), "{}", key.alg());
    }
}

#[test]
fn rsa_modulus_with_leading_zero_is_accepted() {
    let vectors = vectors();
    let mut jwk = vector_jwk("rsa-1");
    let mut n = b64url_decode(jwk["n"].as_str().unwrap()).unwrap();
    n.insert(0, 0);
    jwk["n"] = json!(b64url_encode(&n));
    let key = &parse_one(jwk)[0];
    let case = vectors["tokens"].as_array().unwrap().iter().find(|c| c["name"] == "RS256").unwrap();
    let jws = parse_compact(case["token"].as_str().unwrap()).unwrap();
    assert!(key.verify(Algorithm::RS256, jws.signing_input(), jws.signature()));
}

#[test]
fn weak_rsa_key_is_skipped() {
    assert!(parse_one(vector_jwk("weak-rsa")).is_empty());
}

#[test]
fn private_and_symmetric_keys_are_skipped() {
    assert!(parse_one(vector_jwk("has-private-part")).is_empty());
    assert!(parse_one(vector_jwk("symmetric")).is_empty());
    let mut rsa = vector_jwk("rsa-1");
    rsa["p"] = json!("AQAB");
    assert!(parse_one(rsa).is_empty());
}

#[test]
fn usage_restrictions_are_honoured() {
    let base = TestKey::es256().jwk(Some("k"));
    let with = |member: &str, value: Value| {
        let mut jwk = base.clone();
        jwk[member] = value;
        parse_one(jwk).len()
    };
    assert_eq!(with("use", json!("sig")), 1);
    assert_eq!(with("use", json!("enc")), 0);
    assert_eq!(with("key_ops", json!(["verify"])), 1);
    assert_eq!(with("key_ops", json!(["encrypt"])), 0);
    assert_eq!(with("key_ops", json!("verify")), 0);
    assert_eq!(with("alg", json!("ES256")), 1);
    assert_eq!(with("alg", json!("ECDH-ES")), 0);
    assert_eq!(with("alg", json!("HS256")), 0);
    assert_eq!(with("alg", json!(7)), 0);
    assert_eq!(with("kid", json!(7)), 0);
}

#[test]
fn malformed_ec_keys_are_skipped() {
    let base = TestKey::es256().jwk(None);
    let mut short_x = base.clone();
    let x = b64url_decode(base["x"].as_str().unwrap()).unwrap();
    short_x["x"] = json!(b64url_encode(&x[1..]));
    assert!(parse_one(short_x).is_empty());

    let mut off_curve = base.clone();
    let mut y = b64url_decode(base["y"].as_str().unwrap()).unwrap();
    y[31] ^= 1;
    off_curve["y"] = json!(b64url_encode(&y));
    assert!(parse_one(off_curve).is_empty());

    let mut other_curve = base.clone();
    other_curve["crv"] = json!("P-521");
    assert!(parse_one(other_curve).is_empty());

    let mut padded = base.clone();
    padded["x"] = json!(format!("{}=", base["x"].as_str().unwrap()));
    assert!(parse_one(padded).is_empty());

    let mut no_y = base;
    no_y.as_object_mut().unwrap().remove("y");
    assert!(parse_one(no_y).is_empty());
}

#[test]
fn unsupported_key_types_are_skipped() {
    let mut ed448 = TestKey::ed25519().jwk(None);
    ed448["crv"] = json!("Ed448");
    assert!(parse_one(ed448).is_empty());
    let mut short = TestKey::ed25519().jwk(None);
    short["x"] = json!(b64url_encode(&[1u8; 31]));
    assert!(parse_one(short).is_empty());
    assert!(parse_one(json!({"kty": "XYZ"})).is_empty());
    assert!(parse_one(json!({"n": "AQAB"})).is_empty());
}

#[test]
fn non_object_entries_are_skipped() {
    let good = TestKey::ed25519().jwk(Some("k"));
    let keys = parse_jwks(json!({"keys": [1, "x", null, good]}).to_string().as_bytes()).unwrap();
    assert_eq!(keys.len(), 1);
}

#[test]
fn document_level_errors() {
    assert_eq!(parse_jwks(b"not json"), Err(JwksError::NotJson));
    assert_eq!(parse_jwks(b"[]"), Err(JwksError::MissingKeys));
    assert_eq!(parse_jwks(b"{}"), Err(JwksError::MissingKeys));
    assert_eq!(parse_jwks(br#"{"keys": {}}"#), Err(JwksError::MissingKeys));
    assert_eq!(parse_jwks(&vec![b' '; MAX_JWKS_BYTES + 1]), Err(JwksError::TooLarge));
    let many = json!({ "keys": vec![json!({}); MAX_JWKS_KEYS + 1] });
    assert_eq!(parse_jwks(many.to_string().as_bytes()), Err(JwksError::TooManyKeys(101)));
    let full = json!({ "keys": vec![json!({}); MAX_JWKS_KEYS] });
    assert_eq!(parse_jwks(full.to_string().as_bytes()), Ok(Vec::new()));
}

#[test]
fn jwks_error_maps_to_https_url_invalid() {
    let error = JwksError::TooManyKeys(200).to_api_error();
    assert_eq!(error.code, "AuthenticationFail.OIDCToken.HttpsUrlInvalid");
    assert_eq!(error.status, 401);
    assert!(error.message.contains("200 keys"));
}
