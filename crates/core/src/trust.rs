//! Trust policy evaluation for AssumeRoleWithOIDC: may this OIDC provider's token assume the role?
//!
//! A statement applies when its `Principal.Federated` names the provider ARN
//! (case-insensitively) and its actions cover `sts:AssumeRole` or
//! `sts:AssumeRoleWithOIDC`, because both spellings are in use. Conditions see the
//! keys `oidc:iss`, `oidc:aud` (one value per audience) and `oidc:sub`. An
//! applying `Deny` statement wins over every `Allow`.

use crate::error::ApiError;
use crate::policy::{AllowDecision, CompiledPolicy, ConditionContext, Effect, Statement, Subject};
use crate::token::VerifiedOidcToken;

/// The action an [`AllowDecision`] from the trust evaluation carries.
pub const ASSUME_ROLE_ACTION: &str = "sts:AssumeRole";

/// The action spellings a trust statement may use for the OIDC exchange.
const OIDC_ACTIONS: [&str; 2] = [ASSUME_ROLE_ACTION, "sts:AssumeRoleWithOIDC"];

/// The reason the trust policy does not let the token assume the role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustDenial {
    /// A `Deny` statement for this provider applies.
    #[error("a Deny statement of the role's trust policy applies to this OIDC provider and token")]
    ExplicitDeny,
    /// No `Allow` statement names this provider for `sts:AssumeRole`.
    #[error("no Allow statement of the role's trust policy names this OIDC provider for sts:AssumeRole")]
    PrincipalNotTrusted,
    /// The best-matching `Allow` statement has a condition on `key` that the token fails.
    #[error("the trust policy condition on {key} does not hold for this token")]
    ConditionFailed { key: String },
}

impl TrustDenial {
    /// Converts to `AuthenticationFail.NoPermission` (HTTP 401). The message names the
    /// failed check, never the value the policy expects.
    pub fn to_api_error(&self) -> ApiError {
        let detail = match self {
            TrustDenial::ExplicitDeny => {
                "the role's trust policy explicitly denies this OIDC provider or token; remove the Deny statement or use another role".to_owned()
            }
            TrustDenial::PrincipalNotTrusted => {
                "the role's trust policy does not trust this OIDC provider; add the provider ARN to Principal.Federated of an Allow statement for sts:AssumeRole".to_owned()
            }
            TrustDenial::ConditionFailed { key } => format!(
                "the OIDC token does not satisfy the trust policy condition on {key}; check the token's claim or the role's trust policy"
            ),
        };
        ApiError::trust_denied(detail)
    }
}

/// The token claims that trust conditions may test.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OidcTrustClaims<'a> {
    pub(crate) issuer: &'a str,
    pub(crate) audiences: &'a [String],
    pub(crate) subject: &'a str,
}

/// Evaluates a role's trust policy for a verified OIDC token. On success the
/// decision's action is `sts:AssumeRole` and its resource is `role_arn`.
pub fn evaluate_oidc_trust(
    trust: &CompiledPolicy,
    provider_arn: &str,
    role_arn: &str,
    token: &VerifiedOidcToken,
) -> Result<AllowDecision, TrustDenial> {
    let claims = OidcTrustClaims { issuer: token.issuer(), audiences: token.audiences(), subject: token.subject() };
    evaluate_oidc_trust_claims(trust, provider_arn, role_arn, &claims)
}

/// Evaluates the trust policy for claims that the caller has already verified.
///
/// Private to the crate because it takes bare claims: outside callers must present
/// a [`VerifiedOidcToken`].
pub(crate) fn evaluate_oidc_trust_claims(
    trust: &CompiledPolicy,
    provider_arn: &str,
    role_arn: &str,
    claims: &OidcTrustClaims,
) -> Result<AllowDecision, TrustDenial> {
    let mut context = ConditionContext::new();
    context.insert("oidc:iss", claims.issuer);
    context.insert_many("oidc:aud", claims.audiences.iter().map(String::as_str));
    context.insert("oidc:sub", claims.subject);

    let actions: Vec<Subject> = OIDC_ACTIONS.iter().map(|a| Subject::new(a, true)).collect();
    let candidates: Vec<&Statement> =
        trust.statement_list().iter().filter(|s| applies_to_provider(s, provider_arn, &actions)).collect();

    let denied = candidates.iter().any(|s| s.effect == Effect::Deny && s.conditions_hold(&context));
    if denied {
        return Err(TrustDenial::ExplicitDeny);
    }

    // Among the Allow statements for this provider, report the one with the most
    // conditions met (the first on a tie), since it is most likely the one meant.
    let mut best_failure: Option<(usize, &str)> = None;
    for statement in candidates.iter().filter(|s| s.effect == Effect::Allow) {
        match statement.condition_report(&context) {
            (_, None) => return Ok(AllowDecision::new(ASSUME_ROLE_ACTION, role_arn)),
            (satisfied, Some(key)) => {
                if best_failure.is_none_or(|(best_satisfied, _)| satisfied > best_satisfied) {
                    best_failure = Some((satisfied, key));
                }
            }
        }
    }

    match best_failure {
        Some((_, key)) => Err(TrustDenial::ConditionFailed { key: key.to_owned() }),
        None => Err(TrustDenial::PrincipalNotTrusted),
    }
}

/// Returns whether a statement names the provider in `Principal.Federated` and covers one
/// of the OIDC action spellings.
fn applies_to_provider(statement: &Statement, provider_arn: &str, actions: &[Subject]) -> bool {
    let trusts = statement.principals.as_ref().is_some_and(|p| p.trusts_federated(provider_arn));
    trusts && actions.iter().any(|a| statement.covers_action(a))
}

#[cfg(test)]
#[path = "trust_tests.rs"]
mod tests;
