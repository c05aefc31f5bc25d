//! RPC signature V1: `Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))`.
//!
//! StringToSign is `METHOD & %2F & percent_encode(canonical query)`, where the canonical
//! query is every parameter except `Signature`, sorted by name (byte order), each name and
//! value percent-encoded and joined as `k=v` with `&`.

use aws_lc_rs::{constant_time, hmac};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::encode::{percent_encode, percent_encode_space_as_plus};

/// The parameter that carries the signature and is left out of the signed set.
pub const SIGNATURE_PARAM: &str = "Signature";

/// Builds the StringToSign from all query and form parameters as received (decoded).
///
/// A parameter named `Signature` is skipped. Parameters with the same name are ordered by value.
pub fn string_to_sign(method: &str, params: &[(String, String)]) -> String {
    string_to_sign_with(method, params, percent_encode)
}

fn string_to_sign_with(method: &str, params: &[(String, String)], encode: fn(&str) -> String) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().filter(|(name, _)| name != SIGNATURE_PARAM).collect();
    sorted.sort();
    let canonical =
        sorted.iter().map(|(name, value)| format!("{}={}", encode(name), encode(value))).collect::<Vec<_>>().join("&");
    format!("{method}&%2F&{}", percent_encode(&canonical))
}

/// Returns `Base64(HMAC-SHA1(secret + "&", string_to_sign))`.
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, format!("{secret}&").as_bytes());
    STANDARD.encode(hmac::sign(&key, string_to_sign.as_bytes()))
}

/// Checks a V1 `Signature` in constant time.
///
/// Also accepts the signature credentials-python computes, which encodes a space as `+`
/// (Python `quote_plus`); that variant is tried only when some parameter contains a space.
pub fn verify(secret: &str, method: &str, params: &[(String, String)], signature: &str) -> bool {
    let standard = sign(secret, &string_to_sign(method, params));
    if constant_time::verify_slices_are_equal(standard.as_bytes(), signature.as_bytes()).is_ok() {
        return true;
    }
    let has_space = params.iter().any(|(name, value)| name.contains(' ') || value.contains(' '));
    if !has_space {
        return false;
    }
    let quirk = sign(secret, &string_to_sign_with(method, params, percent_encode_space_as_plus));
    constant_time::verify_slices_are_equal(quirk.as_bytes(), signature.as_bytes()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn string_to_sign_sorts_encodes_and_skips_signature() {
        let p = params(&[("b", "x y"), ("Signature", "ignored"), ("a", "1*~")]);
        assert_eq!(string_to_sign("GET", &p), "GET&%2F&a%3D1%252A~%26b%3Dx%2520y");
    }

    #[test]
    fn string_to_sign_orders_by_bytes() {
        let p = params(&[("a", "1"), ("B", "2"), ("_", "3")]);
        // Upper-case letters sort before '_', which sorts before lower-case letters.
        assert_eq!(string_to_sign("POST", &p), "POST&%2F&B%3D2%26_%3D3%26a%3D1");
    }

    #[test]
    fn verify_rejects_other_secret_method_and_params() {
        let p = params(&[("Action", "GetCallerIdentity"), ("Nonce", "n1")]);
        let signature = sign("secret", &string_to_sign("GET", &p));
        assert!(verify("secret", "GET", &p, &signature));
        assert!(!verify("secret2", "GET", &p, &signature));
        assert!(!verify("secret", "POST", &p, &signature));
        assert!(!verify("secret", "GET", &params(&[("Action", "GetCallerIdentity"), ("Nonce", "n2")]), &signature));
        assert!(!verify("secret", "GET", &p, ""));
    }

    #[test]
    fn space_as_plus_variant_only_when_spaces_exist() {
        let p = params(&[("RoleSessionName", "my session")]);
        let quirk = sign("s", &string_to_sign_with("GET", &p, percent_encode_space_as_plus));
        assert!(verify("s", "GET", &p, &quirk));
        let no_space = params(&[("RoleSessionName", "my+session")]);
        let plus_signed = sign("s", &string_to_sign("GET", &no_space));
        assert!(verify("s", "GET", &no_space, &plus_signed));
        assert!(!verify("s", "GET", &p, &plus_signed));
    }

    fn arb_params() -> impl Strategy<Value = Vec<(String, String)>> {
        proptest::collection::vec(("[A-Za-z0-9._ -]{1,12}", any::<String>()), 0..8)
    }

    proptest! {
        #[test]
        fn sign_then_verify_round_trips(p in arb_params(), secret in "[A-Za-z0-9]{1,44}") {
            let signature = sign(&secret, &string_to_sign("POST", &p));
            prop_assert!(verify(&secret, "POST", &p, &signature));
        }

        #[test]
        fn any_changed_signature_byte_fails(
            p in arb_params(),
            index in any::<prop::sample::Index>(),
            replacement in any::<u8>(),
        ) {
            let signature = sign("secret", &string_to_sign("GET", &p));
            let mut bytes = signature.clone().into_bytes();
            let i = index.index(bytes.len());
            prop_assume!(bytes[i] != replacement);
            bytes[i] = replacement;
            let changed = String::from_utf8_lossy(&bytes).into_owned();
            prop_assert!(!verify("secret", "GET", &p, &changed));
        }

        #[test]
        fn any_changed_string_to_sign_byte_fails(
            p in arb_params(),
            index in any::<prop::sample::Index>(),
            replacement in any::<u8>(),
        ) {
            let sts = string_to_sign("GET", &p);
            let signature = sign("secret", &sts);
            let mut bytes = sts.into_bytes();
            let i = index.index(bytes.len());
            prop_assume!(bytes[i] != replacement);
            bytes[i] = replacement;
            let changed = String::from_utf8_lossy(&bytes).into_owned();
            prop_assert_ne!(sign("secret", &changed), signature);
        }
    }
}
