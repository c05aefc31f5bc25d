//! The JWS algorithms akless accepts for OIDC tokens.

use std::fmt;
use std::str::FromStr;

/// A JWS `alg` on the allow-list: RSA PKCS#1 v1.5, RSA-PSS, ECDSA P-256/P-384 and Ed25519.
///
/// `none`, the HMAC family (`HS*`) and every other name are rejected, because an
/// HMAC key would be the public JWKS and `none` carries no signature at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    EdDSA,
}

/// The error for an `alg` value outside the allow-list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("algorithm {shown} is not allowed; sign with RS256, PS256, ES256 or EdDSA")]
pub struct AlgorithmNotAllowed {
    /// The rejected name when it is short and printable, otherwise a placeholder.
    shown: String,
}

impl Algorithm {
    /// Every allowed algorithm, in the order of the JWA registry.
    pub const ALL: [Algorithm; 9] = [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ];

    /// Returns the registered JWA name, for example `"RS256"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::EdDSA => "EdDSA",
        }
    }
}

impl FromStr for Algorithm {
    type Err = AlgorithmNotAllowed;

    /// Parses a JWA name exactly (case-sensitive, as RFC 7515 requires).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::ALL.into_iter().find(|alg| alg.as_str() == s).ok_or_else(|| {
            // The name comes from an untrusted header: echo it only when it is short and plain.
            let printable = !s.is_empty()
                && s.len() <= 16
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'+');
            let shown = if printable { s.to_owned() } else { String::from("in the token header") };
            AlgorithmNotAllowed { shown }
        })
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for alg in Algorithm::ALL {
            assert_eq!(alg.as_str().parse::<Algorithm>(), Ok(alg));
            assert_eq!(alg.to_string(), alg.as_str());
        }
    }

    #[test]
    fn rejects_none_hmac_and_unknown() {
        for name in ["none", "None", "HS256", "HS384", "HS512", "rs256", "ES512", "ES256K", "Ed25519", ""] {
            assert!(name.parse::<Algorithm>().is_err(), "{name} must be rejected");
        }
    }

    #[test]
    fn rejection_message_names_the_algorithm() {
        let err = "HS256".parse::<Algorithm>().unwrap_err();
        assert_eq!(err.to_string(), "algorithm HS256 is not allowed; sign with RS256, PS256, ES256 or EdDSA");
    }

    #[test]
    fn rejection_message_hides_odd_names() {
        let err = "<script>alert(1)</script>".parse::<Algorithm>().unwrap_err();
        assert!(!err.to_string().contains("script"));
        let long = "A".repeat(40);
        assert!(!long.parse::<Algorithm>().unwrap_err().to_string().contains(&long));
    }
}
