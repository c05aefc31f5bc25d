//! Registered client JWKS for `private_key_jwt`: checked strictly when set, parsed when used.

use serde_json::Value;

use crate::error::ApiError;
use crate::jose::{parse_jwks, Algorithm, PublicJwk};

/// Maximum size of a client's JWKS document.
pub const MAX_CLIENT_JWKS_BYTES: usize = 16 * 1024;
/// Maximum number of keys in a client's JWKS.
pub const MAX_CLIENT_JWKS_KEYS: usize = 10;

/// Checks a client JWKS document for `SetClientJwks` and returns its keys.
///
/// Every entry must be a public key for RS256 (RSA of 2048 to 8192 bits) or ES256 (EC P-256), with
/// `use` absent or `sig` and no private members. An issuer's JWKS skips unusable entries instead, but
/// here a silently skipped key would make the client's assertions fail later. Key IDs, when set, must be unique. `{"keys":[]}` is accepted and removes every key.
/// Errors are `InvalidParameter.Jwks`.
pub fn client_jwks(document: &str) -> Result<Vec<PublicJwk>, ApiError> {
    let invalid = |rule: String| ApiError::invalid_parameter("Jwks", rule);
    if document.len() > MAX_CLIENT_JWKS_BYTES {
        return Err(invalid(format!(
            "the document must be at most {MAX_CLIENT_JWKS_BYTES} bytes; got {}",
            document.len()
        )));
    }
    let parsed: Value = serde_json::from_str(document)
        .map_err(|_| invalid("it must be a JSON object of the form {\"keys\":[...]}".into()))?;
    let entries = parsed
        .as_object()
        .and_then(|object| object.get("keys"))
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("it must be a JSON object of the form {\"keys\":[...]}".into()))?;
    if entries.len() > MAX_CLIENT_JWKS_KEYS {
        return Err(invalid(format!("at most {MAX_CLIENT_JWKS_KEYS} keys are allowed; got {}", entries.len())));
    }

    let mut keys: Vec<PublicJwk> = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let single = serde_json::json!({ "keys": [entry] }).to_string();
        let key = parse_jwks(single.as_bytes())
            .ok()
            .and_then(|mut parsed| parsed.pop())
            .filter(|key| key.fits(Algorithm::RS256) || key.fits(Algorithm::ES256));
        let Some(key) = key else {
            return Err(invalid(format!(
                "key {} of {} is not a usable RS256 or ES256 public key; use an RSA key of 2048 to 8192 bits or an EC \
                 P-256 key, with use absent or \"sig\", and no private members",
                index + 1,
                entries.len()
            )));
        };
        if let Some(kid) = key.kid() {
            if keys.iter().any(|other| other.kid() == Some(kid)) {
                return Err(invalid(format!(
                    "key {} of {} repeats a kid; give each key its own kid",
                    index + 1,
                    entries.len()
                )));
            }
        }
        keys.push(key);
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::test_support::TestKey;

    #[test]
    fn accepts_es256_keys_and_empty_set() {
        let key = TestKey::es256();
        let document = serde_json::json!({"keys": [key.jwk(Some("a")), TestKey::es256().jwk(Some("b"))]}).to_string();
        let keys = client_jwks(&document).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].kid(), Some("a"));
        assert!(client_jwks(r#"{"keys":[]}"#).unwrap().is_empty());
    }

    #[test]
    fn rejects_unusable_entries() {
        let cases = [
            serde_json::json!({"keys": [TestKey::ed25519().jwk(Some("ed"))]}),
            serde_json::json!({"keys": [TestKey::es384().jwk(Some("p384"))]}),
            serde_json::json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}),
            serde_json::json!({"keys": [TestKey::es256().jwk(None), {"kty": "EC"}]}),
        ];
        for document in cases {
            let error = client_jwks(&document.to_string()).unwrap_err();
            assert_eq!(error.code, "InvalidParameter.Jwks");
            assert!(error.message.contains("not a usable RS256 or ES256 public key"), "{}", error.message);
        }
    }

    #[test]
    fn rejects_private_members_duplicates_and_shape() {
        let mut private = TestKey::es256().jwk(Some("a"));
        private["d"] = serde_json::json!("AAAA");
        assert!(client_jwks(&serde_json::json!({"keys": [private]}).to_string()).is_err());

        let dup = serde_json::json!({"keys": [TestKey::es256().jwk(Some("a")), TestKey::es256().jwk(Some("a"))]});
        assert!(client_jwks(&dup.to_string()).unwrap_err().message.contains("repeats a kid"));

        assert!(client_jwks("[]").unwrap_err().message.contains("{\"keys\":[...]}"));
        assert!(client_jwks(&"x".repeat(MAX_CLIENT_JWKS_BYTES + 1))
            .unwrap_err()
            .message
            .contains("at most 16384 bytes"));
        let many: Vec<Value> = (0..11).map(|i| TestKey::es256().jwk(Some(&format!("k{i}")))).collect();
        assert!(client_jwks(&serde_json::json!({"keys": many}).to_string()).unwrap_err().message.contains("got 11"));
    }
}
