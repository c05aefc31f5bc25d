//! Errors of the issuer key fetch, and their mapping to the OpenAPI error catalogue.

use akless_core::error::ApiError;
use akless_core::jose::JwksError;

/// Failure to fetch an issuer's discovery document or JWKS.
///
/// Messages name the host or URL and the failed check. They never contain token text or key
/// material. The one certificate value they show is the SHA-1 fingerprint a server presented,
/// which anyone who connects to that server can read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    /// The issuer URL or the discovery document's `jwks_uri` is not an acceptable https URL.
    #[error("invalid URL {url}: {reason}")]
    InvalidUrl { url: String, reason: String },

    /// The server certificate failed chain or hostname verification.
    #[error(
        "TLS certificate chain or hostname verification failed for {host}: {detail}. \
         If the issuer uses a private CA, start the server with --trust-ca-file pointing at that CA"
    )]
    Tls { host: String, detail: String },

    /// The chain passed verification, but its last certificate is not one of the provider's fingerprints.
    #[error(
        "TLS certificate fingerprint check failed for {host}: {detail}. Register the SHA-1 fingerprint of \
         the last certificate in the chain that {host} presents with AddFingerprintToOIDCProvider"
    )]
    FingerprintMismatch { host: String, detail: String },

    /// The host is an IP literal or resolves to a non-public address and private issuers are not allowed.
    #[error(
        "{detail}, and requests to loopback, private, link-local and other non-public addresses are \
         blocked. If this issuer is trusted, start the server with --allow-private-issuers"
    )]
    AddressNotAllowed { host: String, detail: String },

    /// The connection could not be made or broke before a response arrived.
    #[error("request to {url} failed: {detail}")]
    Connect { url: String, detail: String },

    /// The server returned a status other than 200. Redirects count as failures because they are not followed.
    #[error("{url} returned HTTP status {status}, expected 200 (redirects are not followed)")]
    Http { status: u16, url: String },

    /// The response body could not be read or exceeds the size limit.
    #[error("invalid response body: {0}")]
    Body(String),

    /// The request did not complete within the configured timeout.
    #[error("request to {url} timed out after {timeout_ms} ms")]
    Timeout { url: String, timeout_ms: u64 },

    /// The discovery document is not JSON or lacks an https `jwks_uri`.
    #[error("invalid OpenID discovery document: {0}")]
    Discovery(String),

    /// The JWKS document could not be parsed.
    #[error("invalid JWKS document: {0}")]
    Jwks(JwksError),

    /// The JWKS parsed, but none of its entries is a usable public signing key.
    #[error(
        "the JWKS at {url} contains no usable signing key (supported: RSA of 2048 to 8192 bits, \
         EC P-256 and P-384, Ed25519, with \"use\" absent or \"sig\")"
    )]
    NoUsableKeys { url: String },

    /// A certificate of `FetchConfig::extra_roots` cannot be used as a trust anchor.
    #[error("extra trusted root certificate {index} is invalid: {reason}")]
    InvalidRootCertificate { index: usize, reason: String },

    /// The TLS certificate verifier could not be built from the trust anchors.
    #[error("building the TLS certificate verifier failed: {0}")]
    VerifierSetup(String),
}

impl FetchError {
    /// Maps the failure to the STS error an AssumeRoleWithOIDC caller receives.
    ///
    /// Every fetch failure maps to `AuthenticationFail.OIDCToken.HttpsUrlInvalid` (HTTP 401), the code
    /// Alibaba Cloud STS returns for failed chain and CA-list checks. Trust-store setup errors are
    /// server faults and map to `InternalError`.
    pub fn to_api_error(&self) -> ApiError {
        match self {
            FetchError::InvalidRootCertificate { .. } | FetchError::VerifierSetup(_) => {
                ApiError::internal()
            }
            other => ApiError::oidc_https_url_invalid(other),
        }
    }
}

impl From<FetchError> for ApiError {
    fn from(err: FetchError) -> Self {
        err.to_api_error()
    }
}
