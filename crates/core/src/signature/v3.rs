//! Signature V3, `ACS3-HMAC-SHA256`, sent in the `Authorization` header.
//!
//! ```text
//! Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<a;b;c>,Signature=<hex>
//! CanonicalRequest = METHOD \n URI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HashedPayload
//! StringToSign     = "ACS3-HMAC-SHA256" \n hex(SHA-256(CanonicalRequest))
//! Signature        = hex(HMAC-SHA256(AccessKeySecret, StringToSign))
//! ```

use aws_lc_rs::{constant_time, digest, hmac};

use super::encode::percent_encode;
use super::SignatureError;

/// The only V3 algorithm accepted; ACS3-HMAC-SM3 and ACS3-RSA-SHA256 are not implemented.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";
/// Maximum length of an `Authorization` header value.
pub const MAX_AUTHORIZATION_LEN: usize = 4096;
/// Maximum number of names in SignedHeaders.
pub const MAX_SIGNED_HEADERS: usize = 64;
/// Maximum length of the AccessKeyId in `Credential`.
const MAX_CREDENTIAL_LEN: usize = 128;

/// A parsed V3 `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// Always [`ALGORITHM`].
    pub algorithm: String,
    /// The AccessKeyId from `Credential`.
    pub access_key_id: String,
    /// The lower-case header names from `SignedHeaders`, in the order sent.
    pub signed_headers: Vec<String>,
    /// The 64 lower-case hex digits from `Signature`.
    pub signature: String,
}

/// Parses `ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..`.
///
/// Each of the three components must appear exactly once, in any order. Spaces around
/// a component are ignored. SignedHeaders names must be lower-case HTTP token characters.
pub fn parse_authorization(value: &str) -> Result<Authorization, SignatureError> {
    use SignatureError::MalformedAuthorization as Malformed;

    if value.len() > MAX_AUTHORIZATION_LEN {
        return Err(SignatureError::AuthorizationTooLong);
    }
    let (algorithm, components) = value
        .trim()
        .split_once(' ')
        .ok_or(Malformed("expected the algorithm, a space, then Credential, SignedHeaders and Signature"))?;
    if algorithm != ALGORITHM {
        return Err(SignatureError::UnsupportedAlgorithm(printable_name(algorithm)));
    }

    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for component in components.split(',') {
        let (name, content) = component.trim().split_once('=').ok_or(Malformed("a component has no '='"))?;
        let slot = match name {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => return Err(Malformed("only Credential, SignedHeaders and Signature are allowed")),
        };
        if slot.replace(content).is_some() {
            return Err(Malformed("a component appears twice"));
        }
    }

    let credential = credential.ok_or(Malformed("Credential is missing"))?;
    if credential.is_empty()
        || credential.len() > MAX_CREDENTIAL_LEN
        || !credential.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(Malformed("Credential must be 1 to 128 printable ASCII characters"));
    }
    let signed_headers = parse_signed_headers(signed_headers.ok_or(Malformed("SignedHeaders is missing"))?)?;
    let signature = signature.ok_or(Malformed("Signature is missing"))?;
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(Malformed("Signature must be 64 lower-case hex digits"));
    }

    Ok(Authorization {
        algorithm: ALGORITHM.to_owned(),
        access_key_id: credential.to_owned(),
        signed_headers,
        signature: signature.to_owned(),
    })
}

fn parse_signed_headers(list: &str) -> Result<Vec<String>, SignatureError> {
    use SignatureError::MalformedAuthorization as Malformed;

    let names: Vec<String> = list.split(';').map(str::to_owned).collect();
    if names.len() > MAX_SIGNED_HEADERS {
        return Err(Malformed("SignedHeaders lists more than 64 headers"));
    }
    let is_token_char = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b);
    if names.iter().any(|name| name.is_empty() || !name.bytes().all(is_token_char)) {
        return Err(Malformed("SignedHeaders must be lower-case header names separated by ';'"));
    }
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    if unique.len() != names.len() {
        return Err(Malformed("SignedHeaders lists a header twice"));
    }
    Ok(names)
}

/// Returns `name` for an error message when it is short plain ASCII, otherwise a placeholder.
fn printable_name(name: &str) -> String {
    if !name.is_empty() && name.len() <= 32 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        name.to_owned()
    } else {
        String::from("in the Authorization header")
    }
}

/// Builds the canonical request the way the official SDK signers do.
///
/// - `path` is the request path as sent (already percent-encoded); empty means `/`.
/// - `query` contains decoded parameters. They are sorted by name, then value; values are
///   percent-encoded but names are not, as in alibabacloud-tea-openapi 0.4.6 (names of
///   OpenAPI parameters are unreserved characters, so both readings agree for them).
/// - `headers` contains `(lower-case name, value)` pairs. For each signed header every value
///   with that name is trimmed, the values are sorted and joined with `,`.
/// - `signed_headers` is sorted before use, so its order in the header does not matter.
///
/// Fails with [`SignatureError::MissingSignedHeader`] when a signed header is absent.
/// `hashed_payload` is taken as given; the caller compares it with the SHA-256 of the body.
pub fn canonical_request(
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    signed_headers: &[String],
    hashed_payload: &str,
) -> Result<String, SignatureError> {
    let uri = if path.is_empty() { "/" } else { path };

    let mut sorted_query: Vec<&(String, String)> = query.iter().collect();
    sorted_query.sort();
    let canonical_query = sorted_query
        .iter()
        .map(|(name, value)| format!("{name}={}", percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&");

    let mut names: Vec<&str> = signed_headers.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    let mut canonical_headers = String::new();
    for name in &names {
        let mut values: Vec<&str> = headers
            .iter()
            .filter(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.trim())
            .collect();
        if values.is_empty() {
            return Err(SignatureError::MissingSignedHeader((*name).to_owned()));
        }
        values.sort_unstable();
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(&values.join(","));
        canonical_headers.push('\n');
    }

    Ok(format!("{method}\n{uri}\n{canonical_query}\n{canonical_headers}\n{}\n{hashed_payload}", names.join(";")))
}

/// Returns `"ACS3-HMAC-SHA256\n" + hex(SHA-256(canonical_request))`.
pub fn string_to_sign(canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{}", sha256_hex(canonical_request.as_bytes()))
}

/// Returns the lower-case hex HMAC-SHA256 of `string_to_sign` keyed with the AccessKeySecret.
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    hex::encode(hmac::sign(&key, string_to_sign.as_bytes()))
}

/// Checks a V3 signature in constant time; only the exact lower-case hex form matches.
pub fn verify(secret: &str, string_to_sign: &str, signature_hex: &str) -> bool {
    let expected = sign(secret, string_to_sign);
    constant_time::verify_slices_are_equal(expected.as_bytes(), signature_hex.as_bytes()).is_ok()
}

/// Returns the lower-case hex SHA-256 of `body`, the value of `x-acs-content-sha256`.
pub fn sha256_hex(body: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, body))
}

#[cfg(test)]
mod tests;
