//! Compact JWS parsing (RFC 7515 section 7.1) for OIDC ID tokens, before any signature check.

use serde_json::Value;

use super::codec::{b64url_decode, parse_object};
use super::Algorithm;
use crate::token::{OidcClaims, TokenError};

/// Maximum token length in characters, the STS limit on `OIDCToken`.
pub const MAX_TOKEN_CHARS: usize = 20_000;
/// Maximum decoded size of the protected header.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// The protected header members akless reads.
///
/// `jwk`, `jku`, `x5u` and `x5c` are ignored on purpose: keys come only from the
/// issuer's JWKS, never from the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwsHeader {
    pub alg: Algorithm,
    pub kid: Option<String>,
    pub typ: Option<String>,
}

/// A compact JWS that parsed cleanly but whose signature is NOT yet checked.
///
/// Nothing in it may be trusted until [`crate::token::verify`] succeeds.
#[derive(Debug, Clone)]
pub struct UnverifiedJws {
    header: JwsHeader,
    claims: OidcClaims,
    signing_input: String,
    signature: Vec<u8>,
}

impl UnverifiedJws {
    /// Returns the parsed protected header.
    pub fn header(&self) -> &JwsHeader {
        &self.header
    }

    /// Returns the claims as the token states them; unchecked, and required claims may be missing.
    pub fn claims(&self) -> &OidcClaims {
        &self.claims
    }

    /// Returns `BASE64URL(header) || '.' || BASE64URL(payload)`, the bytes the signature covers.
    pub fn signing_input(&self) -> &[u8] {
        self.signing_input.as_bytes()
    }

    /// Returns the decoded signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
}

/// Parses a compact JWS: three base64url segments, an allowed `alg`, and a JSON object payload.
///
/// Every rejection is [`TokenError::Invalid`]. Rejected are tokens over 20,000 characters,
/// padded or non-URL-safe base64, and headers over 8 KiB. A `crit` header member is rejected
/// because no JWS extension is supported. Header and payload must be JSON objects without
/// repeated members, and claims must have the right JSON type.
/// The signature and the claim values are not checked here.
pub fn parse_compact(token: &str) -> Result<UnverifiedJws, TokenError> {
    if token.is_empty() {
        return Err(invalid("the token is empty"));
    }
    if token.len() > MAX_TOKEN_CHARS {
        return Err(invalid(format!("the token is longer than {MAX_TOKEN_CHARS} characters")));
    }
    let segments: Vec<&str> = token.split('.').collect();
    let [header_b64, payload_b64, signature_b64] = segments.as_slice() else {
        return Err(invalid(format!(
            "a compact JWS has 3 segments separated by '.', but the token has {}",
            segments.len()
        )));
    };

    let header_bytes =
        b64url_decode(header_b64).ok_or_else(|| invalid("the header segment is not unpadded base64url"))?;
    if header_bytes.len() > MAX_HEADER_BYTES {
        return Err(invalid(format!("the header is larger than {MAX_HEADER_BYTES} bytes")));
    }
    let header = parse_header(&header_bytes)?;

    let payload_bytes =
        b64url_decode(payload_b64).ok_or_else(|| invalid("the payload segment is not unpadded base64url"))?;
    let payload = parse_object(&payload_bytes).map_err(|e| invalid(format!("the payload {e}")))?;
    let claims = OidcClaims::from_payload(&payload)?;

    let signature =
        b64url_decode(signature_b64).ok_or_else(|| invalid("the signature segment is not unpadded base64url"))?;
    if signature.is_empty() {
        return Err(invalid("the signature segment is empty"));
    }

    Ok(UnverifiedJws { header, claims, signing_input: format!("{header_b64}.{payload_b64}"), signature })
}

fn parse_header(bytes: &[u8]) -> Result<JwsHeader, TokenError> {
    let header = parse_object(bytes).map_err(|e| invalid(format!("the header {e}")))?;
    if header.contains_key("crit") {
        return Err(invalid("the header has a crit member, and no JWS extension is supported"));
    }
    let alg = match header.get("alg") {
        Some(Value::String(name)) => name.parse::<Algorithm>().map_err(|e| invalid(e.to_string()))?,
        Some(_) => return Err(invalid("the alg header member is not a string")),
        None => return Err(invalid("the header has no alg member")),
    };
    Ok(JwsHeader { alg, kid: optional_string(&header, "kid")?, typ: optional_string(&header, "typ")? })
}

fn optional_string(header: &serde_json::Map<String, Value>, name: &str) -> Result<Option<String>, TokenError> {
    match header.get(name) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(invalid(format!("the {name} header member is not a string"))),
    }
}

fn invalid(message: impl Into<String>) -> TokenError {
    TokenError::Invalid(message.into())
}

#[cfg(test)]
mod tests;
