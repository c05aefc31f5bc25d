use serde_json::{json, Value};
use time::OffsetDateTime;

use super::*;
use crate::jose::test_support::{valid_claims, TestKey, CLIENT_ID, ISSUER};
use crate::jose::{parse_compact, parse_jwks, Algorithm};

const NOW: i64 = 1_714_564_800;

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(NOW).unwrap()
}

fn client_ids() -> Vec<String> {
    vec![String::from("other-app"), String::from(CLIENT_ID)]
}

fn rules(client_ids: &[String]) -> ProviderRules<'_> {
    ProviderRules { issuer_url: ISSUER, client_ids, issuance_limit_hours: 12, leeway_secs: 0 }
}

/// Signs `claims` with a fresh key and runs the full check chain at `NOW`.
fn verify_claims(claims: &Value, leeway_secs: i64) -> Result<VerifiedOidcToken, TokenError> {
    let key = TestKey::es256();
    let jws = parse_compact(&key.token(Some("k1"), claims)).unwrap();
    let ids = client_ids();
    let rules = ProviderRules { leeway_secs, ..rules(&ids) };
    verify(&jws, &key.public_jwk(Some("k1")), &rules, now())
}

fn claims_with(name: &str, value: Value) -> Value {
    let mut claims = valid_claims(NOW);
    claims[name] = value;
    claims
}

fn claims_without(name: &str) -> Value {
    let mut claims = valid_claims(NOW);
    claims.as_object_mut().unwrap().remove(name);
    claims
}

fn expired_message(result: Result<VerifiedOidcToken, TokenError>) -> String {
    match result {
        Err(TokenError::Expired(message)) => message,
        other => panic!("expected Expired, got {other:?}"),
    }
}

#[test]
fn python_vectors_verify_end_to_end() {
    let vectors: Value = serde_json::from_str(include_str!("../../tests/vectors/jose.json")).unwrap();
    let keys = parse_jwks(vectors["jwks"].to_string().as_bytes()).unwrap();
    let now = OffsetDateTime::from_unix_timestamp(vectors["now"].as_i64().unwrap()).unwrap();
    let ids = vec![String::from("sts.aliyuncs.com")];
    let rules = ProviderRules { issuer_url: vectors["issuer"].as_str().unwrap(), ..rules(&ids) };

    for case in vectors["tokens"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let jws = parse_compact(case["token"].as_str().unwrap()).unwrap();
        check_issuer(&jws, rules.issuer_url).unwrap();
        let outcome = select_key(&jws, &keys).map(|key| verify(&jws, key, &rules, now));
        match (case["valid"].as_bool().unwrap(), outcome) {
            (true, Ok(Ok(token))) => {
                assert_eq!(token.subject(), "system:serviceaccount:ns:sa", "{name}");
                assert_eq!(token.issuer(), rules.issuer_url, "{name}");
            }
            (false, Ok(Err(TokenError::InvalidSignature))) => {}
            (false, Err(KeySelectionError::NoFittingKey)) => assert_eq!(name, "RS256 with the EC key id"),
            (valid, other) => panic!("vector {name}: valid={valid}, got {other:?}"),
        }
    }
}

#[test]
fn python_vector_float_claims_round_down() {
    let vectors: Value = serde_json::from_str(include_str!("../../tests/vectors/jose.json")).unwrap();
    let case = vectors["tokens"].as_array().unwrap().iter().find(|c| c["name"] == "float time claims").unwrap();
    let jws = parse_compact(case["token"].as_str().unwrap()).unwrap();
    assert_eq!(jws.claims().iat, Some(1_714_564_800));
    assert_eq!(jws.claims().exp, Some(1_714_568_400));
    assert_eq!(jws.claims().aud, ["sts.aliyuncs.com"]);
}

#[test]
fn python_vector_weak_rsa_key_is_never_selected() {
    let vectors: Value = serde_json::from_str(include_str!("../../tests/vectors/jose.json")).unwrap();
    let keys = parse_jwks(vectors["jwks"].to_string().as_bytes()).unwrap();
    let jws = parse_compact(vectors["weak_rsa_token"].as_str().unwrap()).unwrap();
    assert_eq!(select_key(&jws, &keys), Err(KeySelectionError::UnknownKid));
}

#[test]
fn valid_token_exposes_claims() {
    let token = verify_claims(&claims_with("aud", json!(["x", CLIENT_ID])), 0).unwrap();
    assert_eq!(token.issuer(), ISSUER);
    assert_eq!(token.subject(), "system:serviceaccount:ns:sa");
    assert_eq!(token.audiences(), ["x", CLIENT_ID]);
    assert_eq!(token.expires_at().unix_timestamp(), NOW + 3600);
    assert_eq!(token.issued_at().unix_timestamp(), NOW - 60);
    assert_eq!(token.jti(), Some("jti-1"));
}

#[test]
fn check_issuer_is_exact() {
    let key = TestKey::ed25519();
    let parse = |claims: &Value| parse_compact(&key.token(None, claims)).unwrap();
    assert_eq!(check_issuer(&parse(&valid_claims(NOW)), ISSUER), Ok(()));
    for iss in [json!("https://issuer.example.com/"), json!("HTTPS://issuer.example.com"), json!("")] {
        assert_eq!(check_issuer(&parse(&claims_with("iss", iss)), ISSUER), Err(TokenError::IssuerMismatch));
    }
    assert_eq!(check_issuer(&parse(&claims_without("iss")), ISSUER), Err(TokenError::IssuerMismatch));
}

#[test]
fn verify_rechecks_issuer() {
    let result = verify_claims(&claims_with("iss", json!("https://evil.example.com")), 0);
    assert_eq!(result, Err(TokenError::IssuerMismatch));
}

#[test]
fn select_key_by_kid() {
    let (a, b) = (TestKey::es256(), TestKey::es256());
    let keys = [a.public_jwk(Some("a")), b.public_jwk(Some("b"))];
    let jws = parse_compact(&b.token(Some("b"), &valid_claims(NOW))).unwrap();
    assert_eq!(select_key(&jws, &keys).unwrap().kid(), Some("b"));

    let unknown = parse_compact(&b.token(Some("c"), &valid_claims(NOW))).unwrap();
    assert_eq!(select_key(&unknown, &keys), Err(KeySelectionError::UnknownKid));
    assert_eq!(select_key(&jws, &[]), Err(KeySelectionError::UnknownKid));
}

#[test]
fn select_key_kid_must_fit_algorithm() {
    let ec = TestKey::es256();
    let ed = TestKey::ed25519();
    // Same kid on two keys of different types: the one that fits the alg wins.
    let keys = [ed.public_jwk(Some("shared")), ec.public_jwk(Some("shared"))];
    let jws = parse_compact(&ec.token(Some("shared"), &valid_claims(NOW))).unwrap();
    assert_eq!(select_key(&jws, &keys).unwrap(), &keys[1]);

    let only_ed = [ed.public_jwk(Some("shared"))];
    assert_eq!(select_key(&jws, &only_ed), Err(KeySelectionError::NoFittingKey));
}

#[test]
fn select_key_honours_jwk_alg() {
    let key = TestKey::es256();
    let mut jwk = key.jwk(Some("k"));
    jwk["alg"] = json!("ES384");
    // An ES256 key that declares ES384 can never be used: parsing keeps it, fitting refuses it.
    let keys = parse_jwks(json!({"keys": [jwk]}).to_string().as_bytes()).unwrap();
    assert!(keys.is_empty() || !keys[0].fits(Algorithm::ES256));
    let jws = parse_compact(&key.token(Some("k"), &valid_claims(NOW))).unwrap();
    assert!(select_key(&jws, &keys).is_err());
}

#[test]
fn select_key_without_kid() {
    let (ec, ed) = (TestKey::es256(), TestKey::ed25519());
    let jws = parse_compact(&ec.token(None, &valid_claims(NOW))).unwrap();

    let one_fitting = [ed.public_jwk(Some("ed")), ec.public_jwk(Some("ec"))];
    assert_eq!(select_key(&jws, &one_fitting).unwrap().kid(), Some("ec"));

    let two_fitting = [ec.public_jwk(Some("ec")), TestKey::es256().public_jwk(Some("ec2"))];
    assert_eq!(select_key(&jws, &two_fitting), Err(KeySelectionError::NoKidAmbiguous));

    let none_fitting = [ed.public_jwk(None)];
    assert_eq!(select_key(&jws, &none_fitting), Err(KeySelectionError::NoFittingKey));
}

#[test]
fn signature_failure_comes_first() {
    let key = TestKey::es256();
    // Expired, wrong audience and wrong issuer, but the signature is checked first.
    let mut claims = claims_with("exp", json!(NOW - 10_000));
    claims["aud"] = json!("nobody");
    let token = key.token(None, &claims);
    let jws = parse_compact(&token).unwrap();
    let other = TestKey::es256().public_jwk(None);
    let ids = client_ids();
    assert_eq!(verify(&jws, &other, &rules(&ids), now()), Err(TokenError::InvalidSignature));
}

#[test]
fn tampered_payload_fails_signature() {
    let key = TestKey::ed25519();
    let token = key.token(None, &valid_claims(NOW));
    let parts: Vec<&str> = token.split('.').collect();
    let forged_payload = crate::jose::b64url_encode(claims_with("sub", json!("admin")).to_string().as_bytes());
    let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    let jws = parse_compact(&forged).unwrap();
    let ids = client_ids();
    assert_eq!(verify(&jws, &key.public_jwk(None), &rules(&ids), now()), Err(TokenError::InvalidSignature));
}

#[test]
fn exp_checks() {
    assert_eq!(expired_message(verify_claims(&claims_without("exp"), 0)), "the exp claim is missing");
    assert_eq!(expired_message(verify_claims(&claims_with("exp", json!(NOW - 1)), 0)), "the exp claim is in the past");
    // exp equal to now is already expired (RFC 7519: "on or after").
    assert_eq!(expired_message(verify_claims(&claims_with("exp", json!(NOW)), 0)), "the exp claim is in the past");
    assert!(verify_claims(&claims_with("exp", json!(NOW + 1)), 0).is_ok());
    assert!(verify_claims(&claims_with("exp", json!(NOW - 30)), 60).is_ok());
    assert!(verify_claims(&claims_with("exp", json!(NOW - 60)), 60).is_err());
}

#[test]
fn nbf_checks() {
    assert_eq!(
        expired_message(verify_claims(&claims_with("nbf", json!(NOW + 1)), 0)),
        "the nbf claim is in the future"
    );
    assert!(verify_claims(&claims_with("nbf", json!(NOW)), 0).is_ok());
    assert!(verify_claims(&claims_with("nbf", json!(NOW + 60)), 60).is_ok());
    assert!(verify_claims(&claims_without("nbf"), 0).is_ok());
}

#[test]
fn iat_checks() {
    assert_eq!(expired_message(verify_claims(&claims_without("iat"), 0)), "the iat claim is missing");
    assert_eq!(
        expired_message(verify_claims(&claims_with("iat", json!(NOW + 1)), 0)),
        "the iat claim is in the future"
    );
    assert!(verify_claims(&claims_with("iat", json!(NOW + 30)), 30).is_ok());

    let limit = 12 * 3600;
    assert!(verify_claims(&claims_with("iat", json!(NOW - limit)), 0).is_ok());
    assert_eq!(
        expired_message(verify_claims(&claims_with("iat", json!(NOW - limit - 1)), 0)),
        "the iat claim is older than the IssuanceLimitTime of the OIDC provider"
    );
    assert!(verify_claims(&claims_with("iat", json!(NOW - limit - 60)), 60).is_ok());
}

#[test]
fn negative_leeway_counts_as_zero() {
    assert!(verify_claims(&claims_with("exp", json!(NOW + 1)), -100).is_ok());
    assert!(verify_claims(&claims_with("nbf", json!(NOW)), -100).is_ok());
}

#[test]
fn time_messages_are_distinct_and_hide_values() {
    let messages = [
        expired_message(verify_claims(&claims_without("exp"), 0)),
        expired_message(verify_claims(&claims_with("exp", json!(NOW - 1)), 0)),
        expired_message(verify_claims(&claims_with("nbf", json!(NOW + 5)), 0)),
        expired_message(verify_claims(&claims_without("iat"), 0)),
        expired_message(verify_claims(&claims_with("iat", json!(NOW + 5)), 0)),
        expired_message(verify_claims(&claims_with("iat", json!(NOW - 50_000)), 0)),
    ];
    for (i, message) in messages.iter().enumerate() {
        assert!(!message.chars().any(|c| c.is_ascii_digit()), "{message}");
        for other in &messages[i + 1..] {
            assert_ne!(message, other);
        }
    }
}

#[test]
fn time_checks_come_before_audience() {
    let mut claims = claims_with("exp", json!(NOW - 1));
    claims["aud"] = json!("nobody");
    assert!(matches!(verify_claims(&claims, 0), Err(TokenError::Expired(_))));
}

#[test]
fn audience_checks() {
    assert_eq!(verify_claims(&claims_with("aud", json!("nobody")), 0), Err(TokenError::AudienceNotMatch));
    assert_eq!(verify_claims(&claims_with("aud", json!([])), 0), Err(TokenError::AudienceNotMatch));
    assert_eq!(verify_claims(&claims_without("aud"), 0), Err(TokenError::AudienceNotMatch));
    // Client IDs compare exactly.
    assert_eq!(verify_claims(&claims_with("aud", json!("STS.aliyuncs.com")), 0), Err(TokenError::AudienceNotMatch));
    assert!(verify_claims(&claims_with("aud", json!(["a", "other-app"])), 0).is_ok());
}

#[test]
fn subject_is_required() {
    let missing = verify_claims(&claims_without("sub"), 0);
    assert_eq!(missing, Err(TokenError::Invalid(String::from("the sub claim is missing or empty"))));
    let empty = verify_claims(&claims_with("sub", json!("")), 0);
    assert_eq!(empty, Err(TokenError::Invalid(String::from("the sub claim is missing or empty"))));
}

#[test]
fn token_errors_map_to_oidc_codes() {
    let cases = [
        (TokenError::Invalid(String::from("x")), "AuthenticationFail.OIDCToken.Invalid"),
        (TokenError::IssuerMismatch, "AuthenticationFail.OIDCToken.IssuerNotMatch"),
        (TokenError::InvalidSignature, "AuthenticationFail.OIDCToken.InvalidSignature"),
        (TokenError::Expired(String::from("the exp claim is in the past")), "AuthenticationFail.OIDCToken.Expired"),
        (TokenError::AudienceNotMatch, "AuthenticationFail.OIDCToken.AudienceNotMatch"),
    ];
    for (error, code) in cases {
        let api = error.to_api_error();
        assert_eq!(api.code, code);
        assert_eq!(api.status, 401);
        assert_eq!(ApiError::from(error), api);
    }
    let expired = TokenError::Expired(String::from("the exp claim is in the past")).to_api_error();
    assert!(expired.message.contains("the exp claim is in the past"));
}

#[test]
fn audience_error_hides_client_ids() {
    let message = TokenError::AudienceNotMatch.to_api_error().message;
    assert!(!message.contains(CLIENT_ID));
}

#[test]
fn key_selection_errors_map_to_invalid_signature() {
    for error in [KeySelectionError::UnknownKid, KeySelectionError::NoKidAmbiguous, KeySelectionError::NoFittingKey] {
        let api = error.to_api_error();
        assert_eq!(api.code, "AuthenticationFail.OIDCToken.InvalidSignature");
        assert_eq!(api.status, 401);
        assert!(api.message.contains("JWKS"), "{}", api.message);
    }
    assert!(KeySelectionError::UnknownKid
        .to_api_error()
        .message
        .contains("no key in the issuer's JWKS matches the token's kid"));
}
