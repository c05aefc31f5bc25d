//! The issuer's token signing keys: ES256 (P-256) by default, RS256 (RSA-2048) on request.
//!
//! ES256 is the default because an RSA-2048 signature costs far more CPU than a P-256 one (an
//! estimate, not measured here: about 0.5 ms against tens of microseconds), and the token endpoint
//! signs on every request.
//! The `kid` is the RFC 7638 JWK thumbprint, so it follows from the key and never collides by chance.

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::digest;
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256};
use serde::Serialize;
use serde_json::{json, Value};

use crate::jose::{b64url_encode, parse_jwks, PublicJwk};

/// The algorithms the issuer signs access tokens with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    /// ECDSA on P-256 with SHA-256, fixed-size `r || s` signatures (RFC 7518 section 3.4).
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 and a 2048-bit modulus.
    Rs256,
}

impl SigningAlgorithm {
    /// Returns the JWA name.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::Es256 => "ES256",
            SigningAlgorithm::Rs256 => "RS256",
        }
    }
}

impl FromStr for SigningAlgorithm {
    type Err = ();

    /// Parses `ES256` or `RS256` exactly.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ES256" => Ok(SigningAlgorithm::Es256),
            "RS256" => Ok(SigningAlgorithm::Rs256),
            _ => Err(()),
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Failure to make, load or use a signing key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningKeyError {
    /// Key generation failed in aws-lc-rs, which happens only when the random source fails.
    #[error("generating a {0} signing key failed")]
    Generate(SigningAlgorithm),
    /// The stored PKCS#8 document is not a key of the stated algorithm.
    #[error("the stored private key is not a valid {0} key")]
    InvalidPrivateKey(SigningAlgorithm),
    /// Signing failed in aws-lc-rs, which happens only when the random source fails.
    #[error("signing with key {kid} failed")]
    Sign {
        /// The key that failed.
        kid: String,
    },
}

enum Pair {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

/// A private signing key with its `kid` and public JWK. `Debug` shows only the `kid` and algorithm.
pub struct IssuerSigningKey {
    kid: String,
    alg: SigningAlgorithm,
    pair: Pair,
    public_jwk: Value,
    public_key: PublicJwk,
}

/// A new key with its PKCS#8 document, which the caller seals before storing.
pub struct GeneratedSigningKey {
    /// The usable key.
    pub key: IssuerSigningKey,
    /// The private key as PKCS#8 v1 DER. Never log or store it unsealed.
    pub pkcs8: Vec<u8>,
}

impl IssuerSigningKey {
    /// Generates a key for `alg`.
    pub fn generate(alg: SigningAlgorithm) -> Result<GeneratedSigningKey, SigningKeyError> {
        let pkcs8 = match alg {
            SigningAlgorithm::Es256 => EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                .and_then(|pair| pair.to_pkcs8v1())
                .map(|document| document.as_ref().to_vec()),
            SigningAlgorithm::Rs256 => RsaKeyPair::generate(KeySize::Rsa2048)
                .and_then(|pair| AsDer::<Pkcs8V1Der>::as_der(&pair))
                .map(|document| document.as_ref().to_vec()),
        }
        .map_err(|_| SigningKeyError::Generate(alg))?;
        let key = Self::from_pkcs8(alg, &pkcs8)?;
        Ok(GeneratedSigningKey { key, pkcs8 })
    }

    /// Loads a key from its PKCS#8 document. RSA keys must have a modulus of at least 2048 bits.
    pub fn from_pkcs8(alg: SigningAlgorithm, pkcs8: &[u8]) -> Result<Self, SigningKeyError> {
        let invalid = || SigningKeyError::InvalidPrivateKey(alg);
        let (pair, mut jwk, kid) = match alg {
            SigningAlgorithm::Es256 => {
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8).map_err(|_| invalid())?;
                let point = pair.public_key().as_ref();
                if point.len() != 65 {
                    return Err(invalid());
                }
                let (x, y) = (b64url_encode(&point[1..33]), b64url_encode(&point[33..65]));
                let kid = jwk_thumbprint(&[("crv", "P-256"), ("kty", "EC"), ("x", &x), ("y", &y)]);
                (Pair::Ec(pair), json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y }), kid)
            }
            SigningAlgorithm::Rs256 => {
                let pair = RsaKeyPair::from_pkcs8(pkcs8).map_err(|_| invalid())?;
                if pair.public_modulus_len() < 256 {
                    return Err(invalid());
                }
                let public = pair.public_key();
                let e = b64url_encode(public.exponent().big_endian_without_leading_zero());
                let n = b64url_encode(public.modulus().big_endian_without_leading_zero());
                let kid = jwk_thumbprint(&[("e", &e), ("kty", "RSA"), ("n", &n)]);
                (Pair::Rsa(pair), json!({ "kty": "RSA", "n": n, "e": e }), kid)
            }
        };
        jwk["kid"] = json!(kid);
        jwk["use"] = json!("sig");
        jwk["alg"] = json!(alg.as_str());

        let public_key = parse_jwks(json!({ "keys": [jwk] }).to_string().as_bytes())
            .ok()
            .and_then(|mut keys| keys.pop())
            .ok_or_else(invalid)?;
        Ok(Self { kid, alg, pair, public_jwk: jwk, public_key })
    }

    /// Returns the key ID, the RFC 7638 thumbprint.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Returns the signing algorithm.
    pub fn alg(&self) -> SigningAlgorithm {
        self.alg
    }

    /// Returns the public JWK with `kid`, `use: sig` and `alg`, as published in the JWKS.
    pub fn public_jwk(&self) -> &Value {
        &self.public_jwk
    }

    /// Returns the public key in the form the verifiers of this crate use.
    pub fn public_key(&self) -> &PublicJwk {
        &self.public_key
    }

    /// Signs `claims` as a compact JWS with header `{"alg","kid","typ"}`.
    pub fn sign_compact<C: Serialize + ?Sized>(&self, typ: &str, claims: &C) -> Result<String, SigningKeyError> {
        let failed = || SigningKeyError::Sign { kid: self.kid.clone() };
        let header = json!({ "alg": self.alg.as_str(), "kid": self.kid, "typ": typ });
        // Serializing to bytes skips the `Display` path, which formats through `fmt::Write` byte by byte.
        let header = serde_json::to_vec(&header).map_err(|_| failed())?;
        let claims = serde_json::to_vec(claims).map_err(|_| failed())?;
        let signing_input = format!("{}.{}", b64url_encode(&header), b64url_encode(&claims));
        let rng = SystemRandom::new();
        let signature = match &self.pair {
            Pair::Ec(pair) => pair.sign(&rng, signing_input.as_bytes()).map_err(|_| failed())?.as_ref().to_vec(),
            Pair::Rsa(pair) => {
                let mut signature = vec![0u8; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &rng, signing_input.as_bytes(), &mut signature).map_err(|_| failed())?;
                signature
            }
        };
        Ok(format!("{signing_input}.{}", b64url_encode(&signature)))
    }
}

/// Computes the RFC 7638 thumbprint: base64url(SHA-256) of the required JWK members as JSON without
/// whitespace. `members` must be in lexicographic order, and their values are base64url or fixed
/// names, which need no JSON escaping.
fn jwk_thumbprint(members: &[(&str, &str)]) -> String {
    let body: Vec<String> = members.iter().map(|(name, value)| format!("\"{name}\":\"{value}\"")).collect();
    let json = format!("{{{}}}", body.join(","));
    b64url_encode(digest::digest(&digest::SHA256, json.as_bytes()).as_ref())
}

impl fmt::Debug for IssuerSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuerSigningKey").field("kid", &self.kid).field("alg", &self.alg).finish_non_exhaustive()
    }
}

impl fmt::Debug for GeneratedSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedSigningKey").field("key", &self.key).field("pkcs8", &"<redacted>").finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::{parse_compact, Algorithm};

    #[test]
    fn es256_round_trip_through_pkcs8() {
        let generated = IssuerSigningKey::generate(SigningAlgorithm::Es256).unwrap();
        let loaded = IssuerSigningKey::from_pkcs8(SigningAlgorithm::Es256, &generated.pkcs8).unwrap();
        assert_eq!(loaded.kid(), generated.key.kid());
        assert_eq!(loaded.public_jwk(), generated.key.public_jwk());
        assert_eq!(loaded.public_jwk()["alg"], "ES256");
        assert_eq!(loaded.public_jwk()["use"], "sig");
        assert_eq!(loaded.kid().len(), 43, "base64url SHA-256 thumbprint");
    }

    #[test]
    fn signatures_verify_with_published_key() {
        for (alg, jose_alg) in
            [(SigningAlgorithm::Es256, Algorithm::ES256), (SigningAlgorithm::Rs256, Algorithm::RS256)]
        {
            let key = IssuerSigningKey::generate(alg).unwrap().key;
            let token = key.sign_compact("at+jwt", &json!({"sub": "a", "exp": 1})).unwrap();
            let jws = parse_compact(&token).unwrap();
            assert_eq!(jws.header().alg, jose_alg);
            assert_eq!(jws.header().kid.as_deref(), Some(key.kid()));
            assert_eq!(jws.header().typ.as_deref(), Some("at+jwt"));
            assert!(key.public_key().verify(jose_alg, jws.signing_input(), jws.signature()), "{alg}");
            if alg == SigningAlgorithm::Es256 {
                assert_eq!(jws.signature().len(), 64, "fixed-size ES256 signature");
            }
        }
    }

    #[test]
    fn thumbprint_matches_rfc_7638_example() {
        // The RSA key of RFC 7638 section 3.1, whose thumbprint is NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let thumbprint = jwk_thumbprint(&[("e", "AQAB"), ("kty", "RSA"), ("n", n)]);
        assert_eq!(thumbprint, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn rejects_key_of_other_algorithm() {
        let generated = IssuerSigningKey::generate(SigningAlgorithm::Es256).unwrap();
        assert_eq!(
            IssuerSigningKey::from_pkcs8(SigningAlgorithm::Rs256, &generated.pkcs8).unwrap_err(),
            SigningKeyError::InvalidPrivateKey(SigningAlgorithm::Rs256)
        );
        assert!(IssuerSigningKey::from_pkcs8(SigningAlgorithm::Es256, b"garbage").is_err());
    }

    #[test]
    fn debug_hides_private_key() {
        let generated = IssuerSigningKey::generate(SigningAlgorithm::Es256).unwrap();
        let text = format!("{generated:?}");
        assert!(text.contains("redacted"), "{text}");
        assert!(text.contains(generated.key.kid()), "{text}");
    }
}
