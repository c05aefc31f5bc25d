use proptest::prelude::*;

use super::*;

const SIGNATURE: &str = "bc33c3a4e6e16b6e9608e81790e96a6a1d9d0b3475ef80349614c511e1b55c35";

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn malformed(value: &str) -> &'static str {
    match parse_authorization(value) {
        Err(SignatureError::MalformedAuthorization(reason)) => reason,
        other => panic!("expected MalformedAuthorization for {value:?}, got {other:?}"),
    }
}

#[test]
fn parses_sdk_header() {
    let header = format!("ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-date,Signature={SIGNATURE}");
    let parsed = parse_authorization(&header).unwrap();
    assert_eq!(parsed.algorithm, "ACS3-HMAC-SHA256");
    assert_eq!(parsed.access_key_id, "testid");
    assert_eq!(parsed.signed_headers, ["host", "x-acs-date"]);
    assert_eq!(parsed.signature, SIGNATURE);
}

#[test]
fn parses_components_in_any_order_with_spaces() {
    let header = format!("ACS3-HMAC-SHA256 Signature={SIGNATURE}, Credential=STS.abc, SignedHeaders=host");
    let parsed = parse_authorization(&header).unwrap();
    assert_eq!(parsed.access_key_id, "STS.abc");
    assert_eq!(parsed.signed_headers, ["host"]);
}

#[test]
fn rejects_other_algorithms() {
    let header = format!("ACS3-HMAC-SM3 Credential=a,SignedHeaders=host,Signature={SIGNATURE}");
    assert_eq!(parse_authorization(&header), Err(SignatureError::UnsupportedAlgorithm(String::from("ACS3-HMAC-SM3"))));
    let odd = format!("<b>x</b> Credential=a,SignedHeaders=host,Signature={SIGNATURE}");
    let Err(SignatureError::UnsupportedAlgorithm(shown)) = parse_authorization(&odd) else { panic!() };
    assert!(!shown.contains('<'));
}

#[test]
fn rejects_malformed_headers() {
    assert!(malformed("ACS3-HMAC-SHA256").contains("expected the algorithm"));
    assert_eq!(malformed("ACS3-HMAC-SHA256 Credential"), "a component has no '='");
    let sig = format!("Signature={SIGNATURE}");
    assert_eq!(malformed(&format!("ACS3-HMAC-SHA256 SignedHeaders=host,{sig}")), "Credential is missing");
    assert_eq!(malformed(&format!("ACS3-HMAC-SHA256 Credential=a,{sig}")), "SignedHeaders is missing");
    assert_eq!(malformed("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host"), "Signature is missing");
    assert_eq!(
        malformed(&format!("ACS3-HMAC-SHA256 Credential=a,Credential=b,SignedHeaders=host,{sig}")),
        "a component appears twice"
    );
    assert!(malformed(&format!("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,{sig},Region=x")).contains("only"));
    assert!(malformed(&format!("ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,{sig}")).contains("Credential"));
    assert!(malformed(&format!("ACS3-HMAC-SHA256 Credential=a b,SignedHeaders=host,{sig}")).contains("Credential"));
}

#[test]
fn rejects_bad_signed_headers() {
    let sig = format!("Signature={SIGNATURE}");
    for list in ["", "host;", "Host", "host;;x-acs-date", "x acs"] {
        let header = format!("ACS3-HMAC-SHA256 Credential=a,SignedHeaders={list},{sig}");
        assert!(malformed(&header).contains("lower-case header names"), "{list}");
    }
    let twice = format!("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;host,{sig}");
    assert_eq!(malformed(&twice), "SignedHeaders lists a header twice");
    let many = (0..65).map(|i| format!("h{i}")).collect::<Vec<_>>().join(";");
    let too_many = format!("ACS3-HMAC-SHA256 Credential=a,SignedHeaders={many},{sig}");
    assert_eq!(malformed(&too_many), "SignedHeaders lists more than 64 headers");
}

#[test]
fn rejects_bad_signatures() {
    for signature in [&SIGNATURE[1..], &SIGNATURE.to_uppercase(), &format!("{}g", &SIGNATURE[1..])] {
        let header = format!("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature={signature}");
        assert_eq!(malformed(&header), "Signature must be 64 lower-case hex digits");
    }
}

#[test]
fn rejects_oversized_header() {
    let header = format!("ACS3-HMAC-SHA256 Credential={}", "a".repeat(MAX_AUTHORIZATION_LEN));
    assert_eq!(parse_authorization(&header), Err(SignatureError::AuthorizationTooLong));
}

#[test]
fn canonical_request_layout() {
    let query = pairs(&[("b", "x y"), ("a", "*~")]);
    let headers = pairs(&[("x-acs-date", "2024-05-01T12:00:00Z"), ("host", " h.example "), ("accept", "a")]);
    let signed = vec![String::from("x-acs-date"), String::from("host")];
    let canonical = canonical_request("POST", "", &query, &headers, &signed, "abc").unwrap();
    assert_eq!(
        canonical,
        "POST\n/\na=%2A~&b=x%20y\nhost:h.example\nx-acs-date:2024-05-01T12:00:00Z\n\nhost;x-acs-date\nabc"
    );
}

#[test]
fn canonical_request_joins_repeated_headers_sorted() {
    let headers = pairs(&[("x-acs-custom", "zeta"), ("x-acs-custom", " alpha")]);
    let canonical = canonical_request("GET", "/", &[], &headers, &[String::from("x-acs-custom")], "p").unwrap();
    assert_eq!(canonical, "GET\n/\n\nx-acs-custom:alpha,zeta\n\nx-acs-custom\np");
}

#[test]
fn canonical_request_needs_every_signed_header() {
    let headers = pairs(&[("host", "h")]);
    let signed = vec![String::from("host"), String::from("x-acs-date")];
    assert_eq!(
        canonical_request("GET", "/", &[], &headers, &signed, "p"),
        Err(SignatureError::MissingSignedHeader(String::from("x-acs-date")))
    );
}

#[test]
fn unsigned_headers_do_not_matter() {
    let signed = vec![String::from("host")];
    let a = canonical_request("GET", "/", &[], &pairs(&[("host", "h")]), &signed, "p").unwrap();
    let b = canonical_request("GET", "/", &[], &pairs(&[("host", "h"), ("x-other", "1")]), &signed, "p").unwrap();
    assert_eq!(a, b);
}

#[test]
fn sha256_of_empty_body() {
    assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

#[test]
fn string_to_sign_prefix() {
    let sts = string_to_sign("x");
    assert_eq!(sts, format!("ACS3-HMAC-SHA256\n{}", sha256_hex(b"x")));
}

#[test]
fn verify_requires_exact_lower_case_hex() {
    let signature = sign("secret", "data");
    assert!(verify("secret", "data", &signature));
    assert!(!verify("secret", "data", &signature.to_uppercase()));
    assert!(!verify("secret", "data", ""));
    assert!(!verify("other", "data", &signature));
}

#[test]
fn signature_error_maps_to_incomplete_signature() {
    let api = SignatureError::MissingSignedHeader(String::from("host")).to_api_error();
    assert_eq!(api.code, "IncompleteSignature");
    assert_eq!(api.status, 400);
    assert!(api.message.contains("host"));
}

proptest! {
    #[test]
    fn sign_then_verify_round_trips(secret in "[A-Za-z0-9]{1,44}", data in any::<String>()) {
        let sts = string_to_sign(&data);
        prop_assert!(verify(&secret, &sts, &sign(&secret, &sts)));
    }

    #[test]
    fn any_changed_signature_byte_fails(
        data in any::<String>(),
        index in any::<prop::sample::Index>(),
        replacement in any::<u8>(),
    ) {
        let sts = string_to_sign(&data);
        let mut bytes = sign("secret", &sts).into_bytes();
        let i = index.index(bytes.len());
        prop_assume!(bytes[i] != replacement);
        bytes[i] = replacement;
        prop_assert!(!verify("secret", &sts, &String::from_utf8_lossy(&bytes)));
    }

    #[test]
    fn any_changed_canonical_byte_fails(
        value in "[ -~]{0,40}",
        index in any::<prop::sample::Index>(),
        replacement in any::<u8>(),
    ) {
        let query = vec![(String::from("Param"), value)];
        let headers = vec![(String::from("host"), String::from("ram.aliyuncs.com"))];
        let canonical = canonical_request("POST", "/", &query, &headers, &[String::from("host")], &sha256_hex(b"")).unwrap();
        let signature = sign("secret", &string_to_sign(&canonical));
        let mut bytes = canonical.into_bytes();
        let i = index.index(bytes.len());
        prop_assume!(bytes[i] != replacement);
        bytes[i] = replacement;
        let changed = String::from_utf8_lossy(&bytes).into_owned();
        prop_assert!(!verify("secret", &string_to_sign(&changed), &signature));
    }

    #[test]
    fn parse_round_trips(
        id in "[A-Za-z0-9.]{1,40}",
        names in proptest::collection::btree_set("[a-z][a-z0-9-]{0,20}", 1..10),
        signature in "[0-9a-f]{64}",
    ) {
        let names: Vec<String> = names.into_iter().collect();
        let header = format!("{ALGORITHM} Credential={id},SignedHeaders={},Signature={signature}", names.join(";"));
        let parsed = parse_authorization(&header).unwrap();
        prop_assert_eq!(parsed.access_key_id, id);
        prop_assert_eq!(parsed.signed_headers, names);
        prop_assert_eq!(parsed.signature, signature);
    }
}
