//! The OAuth 2.0 machine-to-machine token issuer: the part that Alibaba Cloud IDaaS plays.
//!
//! Clients authenticate with a client secret or a signed client assertion, ask for
//! `<audience identifier>|<permission>` scopes of one resource server, and receive a JWT access
//! token (RFC 9068 shape) signed with the issuer's ES256 or RS256 key. akless's own
//! AssumeRoleWithOIDC accepts these tokens like those of any other OIDC issuer.
//!
//! This module contains the pure parts: name and limit rules, scope grammar and resolution, client
//! secrets, client assertion checks, signing keys and access-token building. The HTTP endpoints,
//! caches and storage live in the server and store crates.

mod access_token;
mod assertion;
mod auth_method;
mod compact;
mod jwks;
mod oauth_error;
pub mod rules;
mod scope;
mod secret;
mod signing_key;

pub use access_token::{
    issue_access_token, parse_access_token, token_response, AccessTokenRequest, ActiveAccessToken, IssuedAccessToken,
    UnverifiedAccessToken, ACCESS_TOKEN_TYPE, MAX_ACCESS_TOKEN_CHARS,
};
pub use assertion::{
    parse_client_assertion, AssertionRules, ClientAssertion, VerifiedAssertion, CLIENT_ASSERTION_TYPE,
    MAX_ASSERTION_CHARS, MAX_ASSERTION_LIFETIME_SECS, MAX_JTI_CHARS,
};
pub use auth_method::AuthMethod;
pub use jwks::{client_jwks, MAX_CLIENT_JWKS_BYTES, MAX_CLIENT_JWKS_KEYS};
pub use oauth_error::{OAuthError, OAuthErrorCode};
pub use scope::{parse_scope, PermissionSelection, ScopeRequest, MAX_SCOPE_CHARS, MAX_SCOPE_VALUES};
pub use secret::{
    new_client_id, new_secret_id, ClientSecretKey, GeneratedSecret, CLIENT_SECRET_PREFIX, MAX_CLIENT_SECRET_CHARS,
};
pub use signing_key::{GeneratedSigningKey, IssuerSigningKey, SigningAlgorithm, SigningKeyError};

/// Path of the issuer below the public URL, the same path as an IDaaS instance's issuer.
pub const ISSUER_PATH: &str = "/api/v2/iauths_system/oauth2";

/// Returns the issuer URL for a public base URL: the base without trailing slashes, then [`ISSUER_PATH`].
pub fn issuer_url(public_url: &str) -> String {
    format!("{}{ISSUER_PATH}", public_url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_url_appends_path() {
        assert_eq!(issuer_url("https://127.0.0.1:8443"), "https://127.0.0.1:8443/api/v2/iauths_system/oauth2");
        assert_eq!(issuer_url("https://idp.example.com/"), "https://idp.example.com/api/v2/iauths_system/oauth2");
    }
}
