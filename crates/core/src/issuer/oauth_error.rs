//! OAuth 2.0 error responses of the token, introspection and revocation endpoints
//! (RFC 6749 section 5.2, RFC 7009 section 2.2.1).

use std::fmt;

/// The `error` codes the issuer endpoints return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorCode {
    /// A parameter is missing, repeated, malformed or of unsupported form.
    InvalidRequest,
    /// Client authentication failed: unknown client, wrong secret, bad assertion, or a method the client may not use.
    InvalidClient,
    /// The client has no grant on the resource server that the scope names.
    InvalidGrant,
    /// The authenticated client may not do this, for example revoke a token issued to another client.
    UnauthorizedClient,
    /// The `grant_type` is not `client_credentials`.
    UnsupportedGrantType,
    /// The scope is missing, malformed, names an unknown audience or permission, or exceeds the grant.
    InvalidScope,
    /// The revocation endpoint cannot revoke this token type.
    UnsupportedTokenType,
    /// The server failed; details go to the log, never to the client.
    ServerError,
    /// The server cannot serve the request now, for example when the store is unreachable.
    TemporarilyUnavailable,
}

impl OAuthErrorCode {
    /// Returns the registered `error` value, for example `invalid_client`.
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthErrorCode::InvalidRequest => "invalid_request",
            OAuthErrorCode::InvalidClient => "invalid_client",
            OAuthErrorCode::InvalidGrant => "invalid_grant",
            OAuthErrorCode::UnauthorizedClient => "unauthorized_client",
            OAuthErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthErrorCode::InvalidScope => "invalid_scope",
            OAuthErrorCode::UnsupportedTokenType => "unsupported_token_type",
            OAuthErrorCode::ServerError => "server_error",
            OAuthErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }

    /// Returns the HTTP status: 401 for `invalid_client` (RFC 6749 section 5.2), 500 and 503 for
    /// server faults, 400 for everything else.
    pub fn status(self) -> u16 {
        match self {
            OAuthErrorCode::InvalidClient => 401,
            OAuthErrorCode::ServerError => 500,
            OAuthErrorCode::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

/// One OAuth error: the code and an `error_description` that names the field and the fix.
///
/// Descriptions never contain a secret, an assertion or a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// The `error` value.
    pub code: OAuthErrorCode,
    /// The `error_description` value: what failed, on which field, and what to do.
    pub description: String,
}

impl OAuthError {
    /// Builds an error from its parts.
    pub fn new(code: OAuthErrorCode, description: impl Into<String>) -> Self {
        Self { code, description: description.into() }
    }

    /// `invalid_request` for a parameter that is absent or empty.
    pub fn missing(field: &str) -> Self {
        Self::new(OAuthErrorCode::InvalidRequest, format!("the {field} parameter is missing"))
    }

    /// `invalid_request` with a description.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidRequest, description)
    }

    /// `invalid_client` with a description.
    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidClient, description)
    }

    /// `invalid_scope` with a description.
    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidScope, description)
    }

    /// `server_error`, whose cause is logged by the caller.
    pub fn server_error() -> Self {
        Self::new(OAuthErrorCode::ServerError, "the server failed to process the request; retry later")
    }

    /// Returns the HTTP status of this error.
    pub fn status(&self) -> u16 {
        self.code.status()
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

impl std::error::Error for OAuthError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_rfc_6749() {
        assert_eq!(OAuthErrorCode::InvalidClient.status(), 401);
        for code in [
            OAuthErrorCode::InvalidRequest,
            OAuthErrorCode::InvalidGrant,
            OAuthErrorCode::UnauthorizedClient,
            OAuthErrorCode::UnsupportedGrantType,
            OAuthErrorCode::InvalidScope,
            OAuthErrorCode::UnsupportedTokenType,
        ] {
            assert_eq!(code.status(), 400, "{}", code.as_str());
        }
        assert_eq!(OAuthErrorCode::ServerError.status(), 500);
    }

    #[test]
    fn missing_names_field() {
        let error = OAuthError::missing("grant_type");
        assert_eq!(error.code.as_str(), "invalid_request");
        assert!(error.description.contains("grant_type"), "{}", error.description);
    }
}
