//! Issuing STS temporary credentials for a verified token and an allowed AssumeRole.
//!
//! [`mint`] takes a [`VerifiedOidcToken`] and an [`AllowDecision`], which only the token
//! verifier and the policy evaluator can build, so credentials cannot be issued for a
//! request that skipped either check.

use std::fmt;

use time::OffsetDateTime;

use crate::error::ApiError;
use crate::policy::AllowDecision;
use crate::random::random_alnum;
use crate::seal::{seal_session, MasterKey, SessionClaims, MAX_SESSION_TOKEN_LEN, SESSION_CLAIMS_VERSION};
use crate::token::VerifiedOidcToken;

/// The action an [`AllowDecision`] must carry for [`mint`]; the trust evaluation issues it.
pub use crate::trust::ASSUME_ROLE_ACTION;
/// Prefix of every temporary AccessKeyId, as Alibaba Cloud STS uses.
pub const ACCESS_KEY_ID_PREFIX: &str = "STS.";
/// Random characters after the prefix of a temporary AccessKeyId.
pub const ACCESS_KEY_ID_RANDOM_LEN: usize = 24;
/// Length of a temporary AccessKeySecret.
pub const ACCESS_KEY_SECRET_LEN: usize = 44;
/// Minimum session length in seconds (the STS lower bound of DurationSeconds).
pub const MIN_DURATION_SECS: u32 = 900;
/// Maximum session length in seconds (the RAM upper bound of MaxSessionDuration).
pub const MAX_DURATION_SECS: u32 = 43_200;

/// A set of STS credentials. `Debug` hides the secret and the token.
#[derive(Clone, PartialEq, Eq)]
pub struct TemporaryCredentials {
    /// `STS.` followed by 24 letters and digits.
    pub access_key_id: String,
    /// 44 letters and digits.
    pub access_key_secret: String,
    /// The sealed session, see [`crate::seal::seal_session`].
    pub security_token: String,
    /// The end of the session, in whole seconds.
    pub expiration: OffsetDateTime,
}

impl fmt::Debug for TemporaryCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemporaryCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field("security_token", &"<redacted>")
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// The role and session details of one AssumeRoleWithOIDC call, already validated.
#[derive(Debug, Clone, Copy)]
pub struct MintRequest<'a> {
    pub account_id: &'a str,
    pub role_id: &'a str,
    pub role_name: &'a str,
    pub role_arn: &'a str,
    pub provider_arn: &'a str,
    pub session_name: &'a str,
    /// Session length; must be within 900..=43200.
    pub duration_secs: u32,
    pub session_policy: Option<&'a str>,
    pub now: OffsetDateTime,
}

/// An error that stops credentials from being issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MintError {
    /// The decision allows some other action than `sts:AssumeRole`.
    #[error("the authorization decision is not for sts:AssumeRole")]
    WrongAction,
    /// The decision allows some other resource than the requested role.
    #[error("the authorization decision is not for the requested role")]
    WrongResource,
    /// The duration is outside 900..=43200 seconds.
    #[error("the session duration {0} seconds is outside {MIN_DURATION_SECS}..={MAX_DURATION_SECS}")]
    DurationOutOfRange(u32),
    /// The session expiry cannot be represented as a time.
    #[error("the session expiry is out of range")]
    TimeOutOfRange,
    /// The sealed session would exceed the SecurityToken limit.
    #[error("the SecurityToken would be {0} characters, over the limit of {MAX_SESSION_TOKEN_LEN}")]
    SecurityTokenTooLong(usize),
}

impl MintError {
    /// Maps the error to an API error. A decision for another action or role is a server bug, so it is an `InternalError`.
    pub fn to_api_error(&self) -> ApiError {
        match self {
            MintError::WrongAction | MintError::WrongResource | MintError::TimeOutOfRange => ApiError::internal(),
            MintError::DurationOutOfRange(secs) => ApiError::invalid_parameter(
                "DurationSeconds",
                format!("use {MIN_DURATION_SECS} to {MAX_DURATION_SECS} seconds; got {secs}"),
            ),
            MintError::SecurityTokenTooLong(_) => ApiError::invalid_parameter(
                "Policy",
                format!("the session policy makes the SecurityToken longer than {MAX_SESSION_TOKEN_LEN} characters; shorten the policy"),
            ),
        }
    }
}

impl From<MintError> for ApiError {
    fn from(error: MintError) -> Self {
        error.to_api_error()
    }
}

/// Issues temporary credentials whose session is sealed into the SecurityToken.
///
/// Checks that `decision` allows `sts:AssumeRole` on exactly `req.role_arn`, and that the
/// duration is within 900..=43200 seconds. Expiration is `req.now` (whole seconds) plus the duration.
pub fn mint(
    token: &VerifiedOidcToken,
    decision: &AllowDecision,
    req: &MintRequest,
    key: &MasterKey,
) -> Result<TemporaryCredentials, MintError> {
    if decision.action() != ASSUME_ROLE_ACTION {
        return Err(MintError::WrongAction);
    }
    if decision.resource() != req.role_arn {
        return Err(MintError::WrongResource);
    }
    if !(MIN_DURATION_SECS..=MAX_DURATION_SECS).contains(&req.duration_secs) {
        return Err(MintError::DurationOutOfRange(req.duration_secs));
    }

    let issued_at = req.now.unix_timestamp();
    let expires_at = issued_at + i64::from(req.duration_secs);
    let expiration = OffsetDateTime::from_unix_timestamp(expires_at).map_err(|_| MintError::TimeOutOfRange)?;

    let access_key_id = format!("{ACCESS_KEY_ID_PREFIX}{}", random_alnum(ACCESS_KEY_ID_RANDOM_LEN));
    let access_key_secret = random_alnum(ACCESS_KEY_SECRET_LEN);
    let session = SessionClaims {
        v: SESSION_CLAIMS_VERSION,
        account_id: req.account_id.to_owned(),
        role_id: req.role_id.to_owned(),
        role_name: req.role_name.to_owned(),
        role_arn: req.role_arn.to_owned(),
        session_name: req.session_name.to_owned(),
        access_key_id: access_key_id.clone(),
        access_key_secret: access_key_secret.clone(),
        issued_at,
        expires_at,
        session_policy: req.session_policy.map(str::to_owned),
        provider_arn: req.provider_arn.to_owned(),
        subject: token.subject().to_owned(),
    };
    let security_token = seal_session(key, &session);
    if security_token.len() > MAX_SESSION_TOKEN_LEN {
        return Err(MintError::SecurityTokenTooLong(security_token.len()));
    }

    Ok(TemporaryCredentials { access_key_id, access_key_secret, security_token, expiration })
}

#[cfg(test)]
mod tests;
