//! Public signing keys from an issuer's JWKS (RFC 7517), and signature checks with them.

use std::fmt;
use std::sync::{Arc, OnceLock};

use aws_lc_rs::signature::{self, ParsedPublicKey, RsaParameters, RsaPublicKeyComponents, VerificationAlgorithm};
use serde_json::{Map, Value};

use super::codec::b64url_decode;
use super::Algorithm;
use crate::error::ApiError;

/// Maximum JWKS document size; real issuers publish a few KiB.
pub const MAX_JWKS_BYTES: usize = 512 * 1024;
/// Maximum number of entries in `keys`.
pub const MAX_JWKS_KEYS: usize = 100;
/// Minimum RSA modulus size; smaller keys are skipped.
pub const MIN_RSA_BITS: usize = 2048;
/// Maximum RSA modulus size, the upper bound of the aws-lc-rs verification algorithms.
pub const MAX_RSA_BITS: usize = 8192;

/// Members that only private or symmetric keys have; a JWKS entry with any of them is skipped.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// An error that rejects a whole JWKS document. Single unusable keys are skipped instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    #[error("the JWKS document is larger than {MAX_JWKS_BYTES} bytes")]
    TooLarge,
    #[error("the JWKS document is not valid JSON")]
    NotJson,
    #[error("the JWKS document is not a JSON object with a \"keys\" array")]
    MissingKeys,
    #[error("the JWKS document has {0} keys; at most {MAX_JWKS_KEYS} are accepted")]
    TooManyKeys(usize),
}

impl JwksError {
    /// Maps the error to `AuthenticationFail.OIDCToken.HttpsUrlInvalid`: the issuer's keys cannot be used.
    pub fn to_api_error(&self) -> ApiError {
        ApiError::oidc_https_url_invalid(self)
    }
}

/// The key type and public components of one JWK.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KeyMaterial {
    /// Big-endian modulus and exponent without leading zero bytes.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// Uncompressed SEC1 point `0x04 || x || y` on P-256.
    EcP256(Vec<u8>),
    /// Uncompressed SEC1 point `0x04 || x || y` on P-384.
    EcP384(Vec<u8>),
    /// The 32-byte Ed25519 public key.
    Ed25519(Vec<u8>),
}

/// One usable public signing key from a JWKS.
///
/// Equality compares the key ID, the JWK `alg` and the key material; the parsed forms are a cache.
#[derive(Debug, Clone)]
pub struct PublicJwk {
    kid: Option<String>,
    alg: Option<Algorithm>,
    material: KeyMaterial,
    parsed: Arc<ParsedKeys>,
}

impl PartialEq for PublicJwk {
    fn eq(&self, other: &Self) -> bool {
        self.kid == other.kid && self.alg == other.alg && self.material == other.material
    }
}

impl Eq for PublicJwk {}

/// Number of [`Algorithm`] variants, one parsed-key slot each.
const ALGORITHM_SLOTS: usize = 9;

/// The key in the form aws-lc-rs verifies with, per algorithm, parsed on first use and shared by clones.
///
/// Parsing costs a large share of a verification (for RSA it builds the key and its Montgomery
/// context), so a cached JWKS keeps its parsed keys instead of parsing the components on every call.
#[derive(Default)]
struct ParsedKeys {
    slots: [OnceLock<Option<ParsedPublicKey>>; ALGORITHM_SLOTS],
}

impl fmt::Debug for ParsedKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedKeys").finish_non_exhaustive()
    }
}

fn slot(alg: Algorithm) -> usize {
    match alg {
        Algorithm::RS256 => 0,
        Algorithm::RS384 => 1,
        Algorithm::RS512 => 2,
        Algorithm::PS256 => 3,
        Algorithm::PS384 => 4,
        Algorithm::PS512 => 5,
        Algorithm::ES256 => 6,
        Algorithm::ES384 => 7,
        Algorithm::EdDSA => 8,
    }
}

impl PublicJwk {
    /// Returns the key ID (`kid`), if the issuer set one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Returns the JWK's own `alg`, if the issuer set one.
    pub fn alg(&self) -> Option<Algorithm> {
        self.alg
    }

    /// Tells whether this key may check a signature made with `alg`.
    ///
    /// The key type and curve must match the algorithm, and a JWK `alg`, when present,
    /// must equal it, so an RSA key published for RS256 never checks a PS256 token.
    pub fn fits(&self, alg: Algorithm) -> bool {
        if self.alg.is_some_and(|own| own != alg) {
            return false;
        }
        matches!(
            (&self.material, alg),
            (
                KeyMaterial::Rsa { .. },
                Algorithm::RS256
                    | Algorithm::RS384
                    | Algorithm::RS512
                    | Algorithm::PS256
                    | Algorithm::PS384
                    | Algorithm::PS512,
            ) | (KeyMaterial::EcP256(_), Algorithm::ES256)
                | (KeyMaterial::EcP384(_), Algorithm::ES384)
                | (KeyMaterial::Ed25519(_), Algorithm::EdDSA)
        )
    }

    /// Checks `signature` over `message` with `alg`; false when the key does not fit `alg`.
    ///
    /// ECDSA signatures must be the fixed-width `r || s` form of RFC 7518 section 3.4
    /// (64 bytes for ES256, 96 for ES384); DER-encoded signatures fail.
    pub fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        if !self.fits(alg) {
            return false;
        }
        let expected_len = match alg {
            Algorithm::ES256 => Some(64),
            Algorithm::ES384 => Some(96),
            _ => None,
        };
        if expected_len.is_some_and(|len| signature.len() != len) {
            return false;
        }
        self.parsed_key(alg).is_some_and(|key| key.verify_sig(message, signature).is_ok())
    }

    /// Returns the key parsed for `alg`, parsing it on the first call; `None` when it does not parse.
    fn parsed_key(&self, alg: Algorithm) -> Option<&ParsedPublicKey> {
        self.parsed.slots[slot(alg)].get_or_init(|| parse_for(&self.material, alg)).as_ref()
    }
}

/// Parses `material` for `alg`, which [`PublicJwk::fits`] has matched to the key type.
fn parse_for(material: &KeyMaterial, alg: Algorithm) -> Option<ParsedPublicKey> {
    match material {
        KeyMaterial::Rsa { n, e } => RsaPublicKeyComponents { n: n.as_slice(), e: e.as_slice() }
            .to_parsed_public_key(rsa_parameters(alg)?)
            .ok(),
        KeyMaterial::EcP256(point) => ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point).ok(),
        KeyMaterial::EcP384(point) => ParsedPublicKey::new(&signature::ECDSA_P384_SHA384_FIXED, point).ok(),
        KeyMaterial::Ed25519(public) => ParsedPublicKey::new(&signature::ED25519, public).ok(),
    }
}

/// Returns the aws-lc-rs parameters for an RSA algorithm; PSS uses a salt as long as the hash (RFC 7518 section 3.5).
fn rsa_parameters(alg: Algorithm) -> Option<&'static RsaParameters> {
    match alg {
        Algorithm::RS256 => Some(&signature::RSA_PKCS1_2048_8192_SHA256),
        Algorithm::RS384 => Some(&signature::RSA_PKCS1_2048_8192_SHA384),
        Algorithm::RS512 => Some(&signature::RSA_PKCS1_2048_8192_SHA512),
        Algorithm::PS256 => Some(&signature::RSA_PSS_2048_8192_SHA256),
        Algorithm::PS384 => Some(&signature::RSA_PSS_2048_8192_SHA384),
        Algorithm::PS512 => Some(&signature::RSA_PSS_2048_8192_SHA512),
        Algorithm::ES256 | Algorithm::ES384 | Algorithm::EdDSA => None,
    }
}

/// Parses a JWKS document and returns its usable public signing keys, in document order.
///
/// Entries are skipped, not rejected, when they are symmetric (`oct`) or carry private
/// members, have a `use` other than `sig`, `key_ops` without `verify`, an `alg` outside
/// the allow-list, an unsupported key type or curve, an RSA modulus outside 2048..=8192
/// bits, or components that do not form a valid key. The result may be empty.
pub fn parse_jwks(json: &[u8]) -> Result<Vec<PublicJwk>, JwksError> {
    if json.len() > MAX_JWKS_BYTES {
        return Err(JwksError::TooLarge);
    }
    let document: Value = serde_json::from_slice(json).map_err(|_| JwksError::NotJson)?;
    let keys = document.get("keys").and_then(Value::as_array).ok_or(JwksError::MissingKeys)?;
    if keys.len() > MAX_JWKS_KEYS {
        return Err(JwksError::TooManyKeys(keys.len()));
    }
    Ok(keys.iter().filter_map(Value::as_object).filter_map(parse_key).collect())
}

/// Parses one JWKS entry; `None` means the entry is not a usable public signing key.
fn parse_key(jwk: &Map<String, Value>) -> Option<PublicJwk> {
    if PRIVATE_MEMBERS.iter().any(|member| jwk.contains_key(*member)) {
        return None;
    }
    let kid = match jwk.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return None,
    };
    let alg = match jwk.get("alg") {
        None => None,
        Some(Value::String(name)) => Some(name.parse::<Algorithm>().ok()?),
        Some(_) => return None,
    };
    match jwk.get("use") {
        None => {}
        Some(Value::String(usage)) if usage == "sig" => {}
        Some(_) => return None,
    }
    if let Some(ops) = jwk.get("key_ops") {
        let ops = ops.as_array()?;
        if !ops.iter().any(|op| op.as_str() == Some("verify")) {
            return None;
        }
    }

    let (material, parsed_as, parsed_key) = match string_member(jwk, "kty")? {
        "RSA" => rsa_material(jwk)?,
        "EC" => ec_material(jwk)?,
        "OKP" => okp_material(jwk)?,
        _ => return None,
    };
    // The parse that validated the key fills its slot, so the common algorithm never parses again.
    let parsed = ParsedKeys::default();
    let _ = parsed.slots[slot(parsed_as)].set(Some(parsed_key));
    Some(PublicJwk { kid, alg, material, parsed: Arc::new(parsed) })
}

/// Key material, the algorithm it was parsed for while being validated, and that parsed key.
type Validated = (KeyMaterial, Algorithm, ParsedPublicKey);

fn string_member<'a>(jwk: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    jwk.get(name).and_then(Value::as_str)
}

fn bytes_member(jwk: &Map<String, Value>, name: &str) -> Option<Vec<u8>> {
    b64url_decode(string_member(jwk, name)?)
}

fn strip_leading_zeros(mut bytes: Vec<u8>) -> Vec<u8> {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    bytes.drain(..zeros);
    bytes
}

fn rsa_material(jwk: &Map<String, Value>) -> Option<Validated> {
    // RFC 7518 forbids leading zeros, but some issuers add one; the value is the same integer.
    let n = strip_leading_zeros(bytes_member(jwk, "n")?);
    let e = strip_leading_zeros(bytes_member(jwk, "e")?);
    let first = *n.first()?;
    let bits = n.len() * 8 - first.leading_zeros() as usize;
    if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) || e.is_empty() {
        return None;
    }
    let components = RsaPublicKeyComponents { n: n.as_slice(), e: e.as_slice() };
    let parsed = components.to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256).ok()?;
    Some((KeyMaterial::Rsa { n, e }, Algorithm::RS256, parsed))
}

fn ec_material(jwk: &Map<String, Value>) -> Option<Validated> {
    let (size, algorithm, alg): (usize, &'static dyn VerificationAlgorithm, Algorithm) =
        match string_member(jwk, "crv")? {
            "P-256" => (32, &signature::ECDSA_P256_SHA256_FIXED, Algorithm::ES256),
            "P-384" => (48, &signature::ECDSA_P384_SHA384_FIXED, Algorithm::ES384),
            _ => return None,
        };
    let x = bytes_member(jwk, "x")?;
    let y = bytes_member(jwk, "y")?;
    // RFC 7518 section 6.2.1.2: coordinates are full-length octet strings.
    if x.len() != size || y.len() != size {
        return None;
    }
    let mut point = Vec::with_capacity(1 + 2 * size);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    // Rejects points that are not on the curve.
    let parsed = ParsedPublicKey::new(algorithm, &point).ok()?;
    let material = if size == 32 { KeyMaterial::EcP256(point) } else { KeyMaterial::EcP384(point) };
    Some((material, alg, parsed))
}

fn okp_material(jwk: &Map<String, Value>) -> Option<Validated> {
    if string_member(jwk, "crv")? != "Ed25519" {
        return None;
    }
    let x = bytes_member(jwk, "x")?;
    if x.len() != 32 {
        return None;
    }
    let parsed = ParsedPublicKey::new(&signature::ED25519, &x).ok()?;
    Some((KeyMaterial::Ed25519(x), Algorithm::EdDSA, parsed))
}

#[cfg(test)]
mod tests;
