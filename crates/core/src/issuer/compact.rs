//! Compact JWS parsing for the issuer's own inputs: client assertions and its own access tokens.
//!
//! The OIDC-token parser in [`crate::jose`] rejects HS256 on purpose, but `client_secret_jwt`
//! assertions use it, so the issuer has this parser with a per-caller algorithm allow-list. It
//! applies the same structural rules: unpadded base64url, JSON objects without repeated members,
//! no `crit`, and header key material (`jwk`, `jku`, `x5u`, `x5c`) ignored.

use serde_json::{Map, Value};

use crate::jose::{b64url_decode, parse_object};
use crate::token::{OidcClaims, TokenError};

/// Maximum decoded header size.
const MAX_HEADER_BYTES: usize = 4 * 1024;

/// A compact JWS that parsed but whose signature is not checked yet.
#[derive(Debug, Clone)]
pub(crate) struct CompactJws {
    /// The `alg` header value, one of the caller's allowed names.
    pub(crate) alg: &'static str,
    pub(crate) kid: Option<String>,
    pub(crate) typ: Option<String>,
    pub(crate) payload: Map<String, Value>,
    pub(crate) claims: OidcClaims,
    pub(crate) signing_input: String,
    pub(crate) signature: Vec<u8>,
}

/// Parses `token` and checks that its `alg` is one of `allowed`. The error text names the
/// defect and never repeats token content.
pub(crate) fn parse(token: &str, max_chars: usize, allowed: &[&'static str]) -> Result<CompactJws, String> {
    if token.is_empty() {
        return Err("it is empty".into());
    }
    if token.len() > max_chars {
        return Err(format!("it is longer than {max_chars} characters"));
    }
    let segments: Vec<&str> = token.split('.').collect();
    let [header_b64, payload_b64, signature_b64] = segments.as_slice() else {
        return Err(format!("a compact JWS has 3 segments separated by '.', but it has {}", segments.len()));
    };

    let header_bytes = b64url_decode(header_b64).ok_or("the header segment is not unpadded base64url")?;
    if header_bytes.len() > MAX_HEADER_BYTES {
        return Err(format!("the header is larger than {MAX_HEADER_BYTES} bytes"));
    }
    let header = parse_object(&header_bytes).map_err(|e| format!("the header {e}"))?;
    if header.contains_key("crit") {
        return Err("the header has a crit member, and no JWS extension is supported".into());
    }
    let alg = match header.get("alg") {
        Some(Value::String(name)) => allowed
            .iter()
            .copied()
            .find(|allowed| *allowed == name)
            .ok_or_else(|| format!("the alg header must be one of {}", allowed.join(", ")))?,
        Some(_) => return Err("the alg header member is not a string".into()),
        None => return Err("the header has no alg member".into()),
    };
    let kid = optional_string(&header, "kid")?;
    let typ = optional_string(&header, "typ")?;

    let payload_bytes = b64url_decode(payload_b64).ok_or("the payload segment is not unpadded base64url")?;
    let payload = parse_object(&payload_bytes).map_err(|e| format!("the payload {e}"))?;
    let claims = OidcClaims::from_payload(&payload).map_err(|error| match error {
        TokenError::Invalid(detail) => detail,
        other => other.to_string(),
    })?;

    let signature = b64url_decode(signature_b64).ok_or("the signature segment is not unpadded base64url")?;
    if signature.is_empty() {
        return Err("the signature segment is empty".into());
    }
    Ok(CompactJws { alg, kid, typ, payload, claims, signing_input: format!("{header_b64}.{payload_b64}"), signature })
}

fn optional_string(header: &Map<String, Value>, name: &str) -> Result<Option<String>, String> {
    match header.get(name) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(format!("the {name} header member is not a string")),
    }
}

/// Returns the string claim `name`, `None` when absent, or an error when it is not a string.
pub(crate) fn string_claim(payload: &Map<String, Value>, name: &str) -> Result<Option<String>, String> {
    match payload.get(name) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(format!("the {name} claim is not a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::b64url_encode;

    fn token(header: &str, payload: &str, signature: &[u8]) -> String {
        format!(
            "{}.{}.{}",
            b64url_encode(header.as_bytes()),
            b64url_encode(payload.as_bytes()),
            b64url_encode(signature)
        )
    }

    #[test]
    fn parses_allowed_algorithm() {
        let jws =
            parse(&token(r#"{"alg":"HS256","kid":"k1"}"#, r#"{"sub":"a","exp":5}"#, b"sig"), 100, &["HS256"]).unwrap();
        assert_eq!(jws.alg, "HS256");
        assert_eq!(jws.kid.as_deref(), Some("k1"));
        assert_eq!(jws.claims.sub.as_deref(), Some("a"));
        assert_eq!(jws.claims.exp, Some(5));
        assert_eq!(jws.signature, b"sig");
    }

    #[test]
    fn rejects_structural_defects() {
        let allowed = &["RS256", "ES256"];
        for (text, fragment) in [
            (String::new(), "empty"),
            ("a.b".to_owned(), "3 segments"),
            (token(r#"{"alg":"none"}"#, "{}", b"s"), "alg header must be one of RS256, ES256"),
            (token(r#"{"alg":"HS256"}"#, "{}", b"s"), "alg header must be one of"),
            (token(r#"{"alg":"RS256","crit":["x"]}"#, "{}", b"s"), "crit"),
            (token(r#"{"alg":"RS256","alg":"RS256"}"#, "{}", b"s"), "twice"),
            (token(r#"{"alg":"RS256"}"#, "[]", b"s"), "payload is not a JSON object"),
            (token(r#"{"alg":"RS256"}"#, r#"{"sub":1}"#, b"s"), "sub claim is not a string"),
            (token(r#"{"alg":"RS256"}"#, "{}", b""), "signature segment is empty"),
        ] {
            let error = parse(&text, 1000, allowed).unwrap_err();
            assert!(error.contains(fragment), "{fragment:?} not in {error:?}");
        }
        assert!(parse(&"a".repeat(101), 100, allowed).unwrap_err().contains("longer than 100"));
    }
}
