//! Strict decoding of JOSE segments: unpadded base64url and duplicate-free JSON objects.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

/// Decodes base64url without padding (RFC 7515 section 2).
///
/// Rejects padding, whitespace, the standard alphabet's `+` and `/`, and non-zero
/// trailing bits, so every byte string has exactly one accepted encoding.
pub(crate) fn b64url_decode(segment: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(segment).ok()
}

/// Encodes bytes as base64url without padding.
pub(crate) fn b64url_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The defect that makes a JOSE JSON segment unacceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ObjectError {
    NotJson,
    NotObject,
    DuplicateMember,
}

impl fmt::Display for ObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObjectError::NotJson => "is not valid UTF-8 JSON",
            ObjectError::NotObject => "is not a JSON object",
            ObjectError::DuplicateMember => "contains a member name twice",
        })
    }
}

/// Parses a JSON object and rejects duplicate member names.
///
/// RFC 7515 section 4 requires rejecting duplicates; accepting them would let two
/// parsers disagree on which `alg` or `aud` a token carries.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, ObjectError> {
    // One pass with a visitor that receives every member, because `Value` keeps only the last duplicate.
    // The pass fails for invalid JSON, non-objects and duplicates alike, so a failure is classified below.
    if let Ok(unique) = serde_json::from_slice::<UniqueObject>(bytes) {
        return Ok(unique.0);
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|_| ObjectError::NotJson)?;
    if !value.is_object() {
        return Err(ObjectError::NotObject);
    }
    Err(ObjectError::DuplicateMember)
}

struct UniqueObject(Map<String, Value>);

impl<'de> Deserialize<'de> for UniqueObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct UniqueVisitor;

        impl<'de> Visitor<'de> for UniqueVisitor {
            type Value = UniqueObject;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object without duplicate member names")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<UniqueObject, A::Error> {
                let mut map = Map::new();
                while let Some((key, value)) = access.next_entry::<String, Value>()? {
                    if map.contains_key(&key) {
                        return Err(de::Error::custom("duplicate member name"));
                    }
                    map.insert(key, value);
                }
                Ok(UniqueObject(map))
            }
        }

        deserializer.deserialize_map(UniqueVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn base64url_rejects_padding_and_standard_alphabet() {
        assert_eq!(b64url_decode("YQ"), Some(b"a".to_vec()));
        assert_eq!(b64url_decode("YQ=="), None);
        assert_eq!(b64url_decode("-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(b64url_decode("+/8"), None);
        assert_eq!(b64url_decode("YQ "), None);
        assert_eq!(b64url_decode(""), Some(Vec::new()));
    }

    #[test]
    fn base64url_rejects_non_zero_trailing_bits() {
        // "YR" decodes to 'a' only if the 4 spare bits are ignored.
        assert_eq!(b64url_decode("YR"), None);
        // A length of 1 mod 4 is never a valid encoding.
        assert_eq!(b64url_decode("YWJjZ"), None);
    }

    #[test]
    fn parse_object_accepts_plain_object() {
        let map = parse_object(br#"{"a":1,"b":{"a":2}}"#).unwrap();
        assert_eq!(map.len(), 2);
        assert_eq!(map["a"], Value::from(1));
    }

    #[test]
    fn parse_object_rejects_duplicates() {
        assert_eq!(parse_object(br#"{"alg":"ES256","alg":"none"}"#), Err(ObjectError::DuplicateMember));
    }

    #[test]
    fn parse_object_rejects_non_objects() {
        assert_eq!(parse_object(b"[1,2]"), Err(ObjectError::NotObject));
        assert_eq!(parse_object(b"\"x\""), Err(ObjectError::NotObject));
        assert_eq!(parse_object(b"{"), Err(ObjectError::NotJson));
        assert_eq!(parse_object(b"{} {}"), Err(ObjectError::NotJson));
        assert_eq!(parse_object(b"\xff"), Err(ObjectError::NotJson));
    }

    proptest! {
        #[test]
        fn base64url_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let encoded = b64url_encode(&bytes);
            prop_assert!(!encoded.contains('='));
            prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            prop_assert_eq!(b64url_decode(&encoded), Some(bytes));
        }

        #[test]
        fn base64url_rejects_padded_form(bytes in proptest::collection::vec(any::<u8>(), 1..64)) {
            let padded = base64::engine::general_purpose::URL_SAFE.encode(&bytes);
            prop_assume!(padded.ends_with('='));
            prop_assert_eq!(b64url_decode(&padded), None);
        }
    }
}
