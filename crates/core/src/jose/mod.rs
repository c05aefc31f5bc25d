//! JOSE for OIDC ID tokens: compact JWS parsing, the algorithm allow-list and JWKS public keys.
//!
//! Signatures are checked with aws-lc-rs only. Keys come only from the issuer's JWKS;
//! key material inside a token header is never used.

mod algorithm;
mod codec;
mod jwk;
mod jws;

#[cfg(test)]
pub(crate) mod test_support;

pub use algorithm::{Algorithm, AlgorithmNotAllowed};
pub use jwk::{parse_jwks, JwksError, PublicJwk, MAX_JWKS_BYTES, MAX_JWKS_KEYS, MIN_RSA_BITS};
pub use jws::{parse_compact, JwsHeader, UnverifiedJws, MAX_HEADER_BYTES, MAX_TOKEN_CHARS};

pub(crate) use codec::{b64url_decode, b64url_encode, parse_object};
