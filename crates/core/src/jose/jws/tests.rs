use serde_json::{json, Value};

use super::*;
use crate::jose::b64url_encode;
use crate::jose::test_support::{valid_claims, TestKey};

const NOW: i64 = 1_714_564_800;

fn segment(value: &Value) -> String {
    b64url_encode(value.to_string().as_bytes())
}

/// Builds `header.payload.signature` from raw segment text.
fn raw_token(header: &str, payload: &str) -> String {
    format!("{header}.{payload}.{}", b64url_encode(&[7u8; 64]))
}

fn invalid_message(token: &str) -> String {
    match parse_compact(token) {
        Err(TokenError::Invalid(message)) => message,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn with_header(header: Value) -> String {
    raw_token(&segment(&header), &segment(&valid_claims(NOW)))
}

fn with_claims(claims: Value) -> String {
    raw_token(&segment(&json!({"alg": "ES256"})), &segment(&claims))
}

#[test]
fn parses_header_claims_and_signing_input() {
    let key = TestKey::es256();
    let token = key.token(Some("kid-1"), &valid_claims(NOW));
    let jws = parse_compact(&token).unwrap();

    assert_eq!(jws.header().alg, Algorithm::ES256);
    assert_eq!(jws.header().kid.as_deref(), Some("kid-1"));
    assert_eq!(jws.header().typ.as_deref(), Some("JWT"));
    let claims = jws.claims();
    assert_eq!(claims.iss.as_deref(), Some("https://issuer.example.com"));
    assert_eq!(claims.sub.as_deref(), Some("system:serviceaccount:ns:sa"));
    assert_eq!(claims.aud, ["sts.aliyuncs.com"]);
    assert_eq!(claims.exp, Some(NOW + 3600));
    assert_eq!(claims.iat, Some(NOW - 60));
    assert_eq!(claims.nbf, Some(NOW - 60));
    assert_eq!(claims.jti.as_deref(), Some("jti-1"));

    let last_dot = token.rfind('.').unwrap();
    assert_eq!(jws.signing_input(), &token.as_bytes()[..last_dot]);
    assert_eq!(jws.signature().len(), 64);
}

#[test]
fn rejects_empty_and_oversized_tokens() {
    assert_eq!(invalid_message(""), "the token is empty");
    let long = "a".repeat(MAX_TOKEN_CHARS + 1);
    assert!(invalid_message(&long).contains("longer than 20000"));
}

#[test]
fn accepts_token_at_maximum_length() {
    let key = TestKey::ed25519();
    let base = key.token(None, &valid_claims(NOW));
    let mut claims = valid_claims(NOW);
    let filler_len = MAX_TOKEN_CHARS - base.len();
    // Each 3 bytes of JSON add 4 base64 characters; trim until the token fits exactly or just under.
    let mut filler = (filler_len * 3 / 4).saturating_sub(20);
    loop {
        claims["pad"] = json!("x".repeat(filler));
        let token = key.token(None, &claims);
        if token.len() > MAX_TOKEN_CHARS {
            claims["pad"] = json!("x".repeat(filler - 1));
            let token = key.token(None, &claims);
            assert!(token.len() <= MAX_TOKEN_CHARS);
            assert!(parse_compact(&token).is_ok());
            break;
        }
        filler += 1;
    }
}

#[test]
fn rejects_wrong_segment_counts() {
    assert!(invalid_message("a.b").contains("the token has 2"));
    assert!(invalid_message("a.b.c.d").contains("the token has 4"));
    // A compact JWE has five segments.
    assert!(invalid_message("a.b.c.d.e").contains("the token has 5"));
}

#[test]
fn rejects_non_base64url_segments() {
    let header = segment(&json!({"alg": "ES256"}));
    let payload = segment(&valid_claims(NOW));
    let signature = b64url_encode(&[1u8; 64]);
    assert!(invalid_message(&format!("{header}=.{payload}.{signature}")).contains("header segment"));
    assert!(invalid_message(&format!("{header}.{payload}=.{signature}")).contains("payload segment"));
    assert!(invalid_message(&format!("{header}.{payload}.{signature}=")).contains("signature segment"));
    assert!(invalid_message(&format!("{header}.{payload}.a+b/")).contains("signature segment"));
    // The credential SDKs send the token file unchanged, trailing newline included.
    assert!(invalid_message(&format!("{header}.{payload}.{signature}\n")).contains("signature segment"));
}

#[test]
fn rejects_empty_signature() {
    let token = format!("{}.{}.", segment(&json!({"alg": "ES256"})), segment(&valid_claims(NOW)));
    assert_eq!(invalid_message(&token), "the signature segment is empty");
}

#[test]
fn rejects_bad_headers() {
    let payload = segment(&valid_claims(NOW));
    assert!(invalid_message(&raw_token(&b64url_encode(b"{not json"), &payload)).contains("header is not valid"));
    assert!(invalid_message(&raw_token(&segment(&json!(["ES256"])), &payload)).contains("header is not a JSON object"));
    assert!(invalid_message(&raw_token(&b64url_encode(br#"{"alg":"ES256","alg":"none"}"#), &payload))
        .contains("header contains a member name twice"));
    assert_eq!(invalid_message(&with_header(json!({"typ": "JWT"}))), "the header has no alg member");
    assert_eq!(invalid_message(&with_header(json!({"alg": 256}))), "the alg header member is not a string");
    assert_eq!(
        invalid_message(&with_header(json!({"alg": "ES256", "kid": 1}))),
        "the kid header member is not a string"
    );
    assert_eq!(
        invalid_message(&with_header(json!({"alg": "ES256", "typ": []}))),
        "the typ header member is not a string"
    );
}

#[test]
fn rejects_disallowed_algorithms() {
    assert_eq!(
        invalid_message(&with_header(json!({"alg": "HS256"}))),
        "algorithm HS256 is not allowed; sign with RS256, PS256, ES256 or EdDSA"
    );
    assert!(invalid_message(&with_header(json!({"alg": "none"}))).contains("algorithm none is not allowed"));
    assert!(invalid_message(&with_header(json!({"alg": "ES512"}))).contains("not allowed"));
}

#[test]
fn rejects_crit_with_any_value() {
    for crit in [json!(["exp"]), json!([]), json!(null), json!("b64")] {
        let message = invalid_message(&with_header(json!({"alg": "ES256", "crit": crit})));
        assert!(message.contains("crit"), "{message}");
    }
}

#[test]
fn rejects_oversized_header() {
    let header = json!({"alg": "ES256", "x": "y".repeat(MAX_HEADER_BYTES)});
    assert!(invalid_message(&with_header(header)).contains("larger than 8192 bytes"));
}

#[test]
fn ignores_embedded_key_members() {
    let header = json!({
        "alg": "ES256",
        "jwk": {"kty": "oct", "k": "AAAA"},
        "jku": "https://attacker.example/jwks",
        "x5u": "https://attacker.example/cert",
        "x5c": ["AAAA"],
    });
    let jws = parse_compact(&with_header(header)).unwrap();
    assert_eq!(jws.header().alg, Algorithm::ES256);
    assert_eq!(jws.header().kid, None);
}

#[test]
fn rejects_bad_payloads() {
    let header = segment(&json!({"alg": "ES256"}));
    assert!(invalid_message(&raw_token(&header, &b64url_encode(b"[1]"))).contains("payload is not a JSON object"));
    assert!(invalid_message(&raw_token(&header, &b64url_encode(b"eyJ"))).contains("payload is not valid"));
    assert!(invalid_message(&raw_token(&header, &b64url_encode(br#"{"aud":"a","aud":"b"}"#)))
        .contains("payload contains a member name twice"));
}

#[test]
fn audience_may_be_string_or_array() {
    let mut claims = valid_claims(NOW);
    claims["aud"] = json!(["a", "b"]);
    assert_eq!(parse_compact(&with_claims(claims.clone())).unwrap().claims().aud, ["a", "b"]);
    claims["aud"] = json!([]);
    assert!(parse_compact(&with_claims(claims.clone())).unwrap().claims().aud.is_empty());
    claims.as_object_mut().unwrap().remove("aud");
    assert!(parse_compact(&with_claims(claims)).unwrap().claims().aud.is_empty());
}

#[test]
fn rejects_claims_of_wrong_type() {
    let cases = [
        ("iss", json!(1), "the iss claim is not a string"),
        ("sub", json!(null), "the sub claim is not a string"),
        ("jti", json!({}), "the jti claim is not a string"),
        ("aud", json!(5), "the aud claim is not a string or an array of strings"),
        ("aud", json!(["ok", 5]), "the aud claim is not a string or an array of strings"),
        ("exp", json!("1714564800"), "the exp claim is not a number"),
        ("nbf", json!(true), "the nbf claim is not a number"),
        ("iat", json!(null), "the iat claim is not a number"),
    ];
    for (name, value, expected) in cases {
        let mut claims = valid_claims(NOW);
        claims[name] = value;
        assert_eq!(invalid_message(&with_claims(claims)), expected, "{name}");
    }
}

#[test]
fn numeric_dates_accept_floats_rounded_down() {
    let mut claims = valid_claims(NOW);
    claims["exp"] = json!(1_714_568_400.999);
    claims["iat"] = json!(-0.5);
    let jws = parse_compact(&with_claims(claims)).unwrap();
    assert_eq!(jws.claims().exp, Some(1_714_568_400));
    assert_eq!(jws.claims().iat, Some(-1));
}

#[test]
fn numeric_dates_out_of_range_are_invalid() {
    for value in [json!(1e300), json!(u64::MAX), json!(253_402_300_800_i64), json!(-1e16)] {
        let mut claims = valid_claims(NOW);
        claims["exp"] = value.clone();
        assert_eq!(invalid_message(&with_claims(claims)), "the exp claim is not a valid NumericDate", "{value}");
    }
}

#[test]
fn messages_do_not_echo_token_text() {
    let secret_looking = "c2VjcmV0LXBheWxvYWQtdGV4dA";
    let token = format!("{}.{secret_looking}!.sig", segment(&json!({"alg": "ES256"})));
    assert!(!invalid_message(&token).contains(secret_looking));
}
