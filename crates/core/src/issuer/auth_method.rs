//! Client authentication methods of the token endpoint (RFC 6749 section 2.3, OpenID Connect Core 9).

use std::fmt;
use std::str::FromStr;

/// Method by which a client proves its identity to the token, introspection and revocation endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// `Authorization: Basic base64(client_id:client_secret)`.
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// A client assertion JWT signed with HS256, whose key is the client secret.
    ClientSecretJwt,
    /// A client assertion JWT signed with RS256 or ES256 by a key in the client's registered JWKS.
    PrivateKeyJwt,
}

impl AuthMethod {
    /// Every method, in the order discovery lists them.
    pub const ALL: [AuthMethod; 4] = [
        AuthMethod::ClientSecretBasic,
        AuthMethod::ClientSecretPost,
        AuthMethod::ClientSecretJwt,
        AuthMethod::PrivateKeyJwt,
    ];

    /// Returns the registered name, for example `client_secret_basic`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::ClientSecretJwt => "client_secret_jwt",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
        }
    }

    /// Tells whether the method needs a client secret.
    pub fn uses_secret(self) -> bool {
        !matches!(self, AuthMethod::PrivateKeyJwt)
    }
}

impl FromStr for AuthMethod {
    type Err = ();

    /// Parses a registered name exactly (case-sensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AuthMethod::ALL.into_iter().find(|method| method.as_str() == s).ok_or(())
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for method in AuthMethod::ALL {
            assert_eq!(method.as_str().parse::<AuthMethod>(), Ok(method));
        }
        assert!("Client_Secret_Basic".parse::<AuthMethod>().is_err());
        assert!("none".parse::<AuthMethod>().is_err());
    }

    #[test]
    fn only_private_key_jwt_needs_no_secret() {
        assert!(AuthMethod::ClientSecretJwt.uses_secret());
        assert!(!AuthMethod::PrivateKeyJwt.uses_secret());
    }
}
