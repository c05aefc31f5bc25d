//! Alibaba Cloud OpenAPI request signatures: RPC V1 (HMAC-SHA1) and V3 (ACS3-HMAC-SHA256).
//!
//! Both follow the official SDK signers (alibabacloud-tea-openapi `get_rpcsignature` and
//! `get_authorization`); the tests check against vectors those signers produced.
//! Signature comparisons run in constant time.

mod encode;
pub mod v1;
pub mod v3;

pub use encode::percent_encode;

use crate::error::ApiError;

/// An error in a V3 `Authorization` header or in building its canonical request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is longer than [`v3::MAX_AUTHORIZATION_LEN`].
    #[error("the Authorization header is longer than {} characters", v3::MAX_AUTHORIZATION_LEN)]
    AuthorizationTooLong,
    /// The algorithm is not ACS3-HMAC-SHA256.
    #[error("the signature algorithm {0} is not supported; sign with ACS3-HMAC-SHA256")]
    UnsupportedAlgorithm(String),
    /// The header does not have the `Credential=..,SignedHeaders=..,Signature=..` shape.
    #[error("the Authorization header is malformed: {0}")]
    MalformedAuthorization(&'static str),
    /// A header listed in SignedHeaders is absent from the request.
    #[error("the signed header {0} is missing from the request")]
    MissingSignedHeader(String),
}

impl SignatureError {
    /// Maps the error to `IncompleteSignature` (HTTP 400).
    pub fn to_api_error(&self) -> ApiError {
        ApiError::incomplete_signature(self)
    }
}

impl From<SignatureError> for ApiError {
    fn from(error: SignatureError) -> Self {
        error.to_api_error()
    }
}

#[cfg(test)]
mod vector_tests;
