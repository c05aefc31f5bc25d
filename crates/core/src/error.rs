//! The error catalogue: every `Code` akless returns on the OpenAPI surface, with
//! its HTTP status and a message template.
//!
//! Codes and statuses follow Alibaba Cloud's public error centre so that the
//! official SDKs classify them the same way (4xx as client errors, 5xx as
//! server errors). Messages name the failed field or check and the fix; they
//! never contain a secret, a token or an expected value.

use std::borrow::Cow;
use std::fmt;

/// One OpenAPI error: the `Code`, the HTTP status and the `Message` of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The machine-readable code, for example `InvalidParameter.RoleSessionName`.
    pub code: Cow<'static, str>,
    /// The HTTP status of the response.
    pub status: u16,
    /// A sentence for people: what failed, on which value, and what to do next.
    pub message: String,
}

impl ApiError {
    /// Builds an error from its parts.
    pub fn new(code: impl Into<Cow<'static, str>>, status: u16, message: impl Into<String>) -> Self {
        Self { code: code.into(), status, message: message.into() }
    }

    // --- Request shape (HTTP 400 / 404) ---

    /// `MissingParameter`: a required parameter is absent or empty.
    pub fn missing_parameter(name: &str) -> Self {
        Self::new(
            "MissingParameter",
            400,
            format!("The input parameter \"{name}\" that is mandatory for processing this request is not supplied."),
        )
    }

    /// `InvalidParameter.<Field>`: a parameter is present but breaks a rule. `rule` names the rule and the fix.
    pub fn invalid_parameter(field: &str, rule: impl fmt::Display) -> Self {
        Self::new(format!("InvalidParameter.{field}"), 400, format!("The parameter {field} is invalid: {rule}"))
    }

    /// `InvalidParameter.PolicyGrammar`: a policy document failed the grammar check.
    pub fn policy_grammar(field: &str, detail: impl fmt::Display) -> Self {
        Self::new(
            "InvalidParameter.PolicyGrammar",
            400,
            format!("The parameter {field} has not passed grammar check: {detail}"),
        )
    }

    /// `InvalidAction.NotFound`: no handler for this (Version, Action) pair.
    pub fn action_not_found(action: &str, version: &str) -> Self {
        Self::new(
            "InvalidAction.NotFound",
            404,
            format!("The action \"{action}\" of version \"{version}\" is not supported. Check the Action and Version parameters."),
        )
    }

    /// `InvalidVersion`: the Version is not one akless serves.
    pub fn invalid_version(version: &str) -> Self {
        Self::new(
            "InvalidVersion",
            400,
            format!(
                "The API version \"{version}\" is not supported. Use 2015-04-01 (STS), 2019-08-15 (IMS), 2015-05-01 (RAM) or 2026-12-01 (akless issuer)."
            ),
        )
    }

    /// `RequestTooLarge`: the body or a parameter exceeds the server's size bound.
    pub fn request_too_large(limit_bytes: usize) -> Self {
        Self::new("RequestTooLarge", 413, format!("The request body exceeds the limit of {limit_bytes} bytes; send a smaller body."))
    }

    // --- Request signatures ---

    /// `IncompleteSignature`: a signature field is missing or malformed.
    pub fn incomplete_signature(detail: impl fmt::Display) -> Self {
        Self::new(
            "IncompleteSignature",
            400,
            format!("The request signature does not conform to Alibaba Cloud standards: {detail}"),
        )
    }

    /// `SignatureDoesNotMatch`: the recomputed signature differs from the one sent.
    pub fn signature_does_not_match() -> Self {
        Self::new(
            "SignatureDoesNotMatch",
            400,
            "The request signature does not match the signature the server calculated. Check your AccessKeySecret and the signing method.",
        )
    }

    /// `InvalidAccessKeyId.NotFound`: no such AccessKey.
    pub fn access_key_not_found() -> Self {
        Self::new("InvalidAccessKeyId.NotFound", 404, "The specified AccessKeyId does not exist.")
    }

    /// `InvalidSecurityToken.Expired`: the STS session is past its Expiration.
    pub fn security_token_expired() -> Self {
        Self::new(
            "InvalidSecurityToken.Expired",
            400,
            "The specified SecurityToken has expired. Request new temporary credentials.",
        )
    }

    /// `InvalidSecurityToken.MalFormed`: the SecurityToken cannot be opened or does not belong to the AccessKeyId.
    pub fn security_token_malformed() -> Self {
        Self::new(
            "InvalidSecurityToken.MalFormed",
            400,
            "The specified SecurityToken is malformed or does not belong to the AccessKeyId.",
        )
    }

    /// `SignatureNonceUsed`: the nonce was seen within the replay window.
    pub fn signature_nonce_used() -> Self {
        Self::new(
            "SignatureNonceUsed",
            400,
            "The SignatureNonce has been used already. Send a fresh random nonce with every request.",
        )
    }

    /// `InvalidTimeStamp.Expired`: the request time is more than the allowed skew away from the server clock.
    pub fn timestamp_expired(max_skew_minutes: i64) -> Self {
        Self::new(
            "InvalidTimeStamp.Expired",
            400,
            format!("The request timestamp is more than {max_skew_minutes} minutes away from the server time. Synchronize the client clock."),
        )
    }

    /// `InvalidTimeStamp.Format`: the timestamp is not `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn timestamp_format(field: &str) -> Self {
        Self::new(
            "InvalidTimeStamp.Format",
            400,
            format!("The {field} value is not in the format YYYY-MM-DDTHH:MM:SSZ (UTC)."),
        )
    }

    // --- Authorization ---

    /// `NoPermission`: the caller's policies do not allow the action on the resource.
    pub fn no_permission(action: &str, resource: &str) -> Self {
        Self::new(
            "NoPermission",
            403,
            format!("You are not authorized to perform {action} on resource {resource}. Attach a policy that allows it to the role."),
        )
    }

    // --- Entities ---

    /// `EntityNotExist.<Kind>` (HTTP 404).
    pub fn entity_not_exist(kind: &str, name: &str) -> Self {
        Self::new(format!("EntityNotExist.{kind}"), 404, format!("The {kind} \"{name}\" does not exist."))
    }

    /// `EntityAlreadyExists.<Kind>` (HTTP 409).
    pub fn entity_already_exists(kind: &str, what: impl fmt::Display) -> Self {
        Self::new(format!("EntityAlreadyExists.{kind}"), 409, format!("The {kind} {what} already exists."))
    }

    /// `LimitExceeded.<Kind>` (HTTP 409).
    pub fn limit_exceeded(kind: &str, limit: u32, what: &str) -> Self {
        Self::new(
            format!("LimitExceeded.{kind}"),
            409,
            format!("The number of {what} would exceed the limit of {limit}. Delete unused ones first."),
        )
    }

    /// `DeleteConflict.<Kind>.<User>` (HTTP 409): the entity is still used by others.
    pub fn delete_conflict(kind: &str, user_kind: &str, name: &str, users: &[String]) -> Self {
        Self::new(
            format!("DeleteConflict.{kind}.{user_kind}"),
            409,
            format!(
                "The {kind} \"{name}\" is still used by {user_kind} {}. Remove that use first.",
                users.join(", ")
            ),
        )
    }

    // --- STS AssumeRoleWithOIDC (all HTTP 401 except where noted) ---

    /// `AuthenticationFail.NoPermission` for an OIDC provider ARN that names no registered provider.
    pub fn no_such_oidc_provider() -> Self {
        Self::new("AuthenticationFail.NoPermission", 401, "No such OIDC Provider registered.")
    }

    /// `AuthenticationFail.NoPermission` for a trust policy that does not allow the exchange.
    pub fn trust_denied(detail: impl fmt::Display) -> Self {
        Self::new(
            "AuthenticationFail.NoPermission",
            401,
            format!("There is no permission: {detail}"),
        )
    }

    /// `AuthenticationFail.OIDCToken.Invalid`: the token is not an acceptable compact JWS.
    pub fn oidc_token_invalid(detail: impl fmt::Display) -> Self {
        Self::new("AuthenticationFail.OIDCToken.Invalid", 401, format!("The OIDC token is invalid: {detail}"))
    }

    /// `AuthenticationFail.OIDCToken.IssuerNotMatch`: `iss` differs from the provider's IssuerUrl.
    pub fn oidc_issuer_not_match() -> Self {
        Self::new(
            "AuthenticationFail.OIDCToken.IssuerNotMatch",
            401,
            "The iss claim of the OIDC token does not equal the IssuerUrl of the OIDC provider.",
        )
    }

    /// `AuthenticationFail.OIDCToken.HttpsUrlInvalid`: discovery or JWKS fetch failed its TLS or fingerprint check.
    pub fn oidc_https_url_invalid(detail: impl fmt::Display) -> Self {
        Self::new("AuthenticationFail.OIDCToken.HttpsUrlInvalid", 401, format!("Fetching the issuer's keys failed: {detail}"))
    }

    /// `AuthenticationFail.OIDCToken.InvalidSignature`.
    pub fn oidc_invalid_signature(detail: impl fmt::Display) -> Self {
        Self::new(
            "AuthenticationFail.OIDCToken.InvalidSignature",
            401,
            format!("OIDC token validate failed: {detail}"),
        )
    }

    /// `AuthenticationFail.OIDCToken.Expired`: a time claim check failed; `detail` names the claim.
    pub fn oidc_expired(detail: impl fmt::Display) -> Self {
        Self::new("AuthenticationFail.OIDCToken.Expired", 401, format!("The OIDC token is not valid now: {detail}"))
    }

    /// `AuthenticationFail.OIDCToken.AudienceNotMatch`.
    pub fn oidc_audience_not_match() -> Self {
        Self::new(
            "AuthenticationFail.OIDCToken.AudienceNotMatch",
            401,
            "Invalid audience: no aud value of the OIDC token is a client ID of the OIDC provider.",
        )
    }

    // --- Server side ---

    /// `InternalError` (HTTP 500). The detail goes to the log, never to the client.
    pub fn internal() -> Self {
        Self::new(
            "InternalError",
            500,
            "The request processing has failed due to some unknown error. Retry later, and report the RequestId if it persists.",
        )
    }

    /// `ServiceUnavailable` (HTTP 503), for example when the audit queue or the store is unavailable.
    pub fn service_unavailable(detail: impl fmt::Display) -> Self {
        Self::new("ServiceUnavailable", 503, format!("The service is temporarily unavailable: {detail}"))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (HTTP {}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_parameter_names_field() {
        let e = ApiError::invalid_parameter("RoleSessionName", "use 2 to 64 characters");
        assert_eq!(e.code, "InvalidParameter.RoleSessionName");
        assert_eq!(e.status, 400);
        assert!(e.message.contains("RoleSessionName"));
    }

    #[test]
    fn oidc_errors_are_401() {
        for e in [
            ApiError::no_such_oidc_provider(),
            ApiError::oidc_token_invalid("x"),
            ApiError::oidc_issuer_not_match(),
            ApiError::oidc_https_url_invalid("x"),
            ApiError::oidc_invalid_signature("x"),
            ApiError::oidc_expired("x"),
            ApiError::oidc_audience_not_match(),
            ApiError::trust_denied("x"),
        ] {
            assert_eq!(e.status, 401, "{}", e.code);
        }
    }
}
