//! Client assertions (RFC 7523 section 3 and 2.2): `client_secret_jwt` signed with HS256 over
//! the client secret, and `private_key_jwt` signed with RS256 or ES256 by a registered key.
//!
//! [`parse_client_assertion`] reads the assertion, and its `sub` names the client to load.
//! Only the `verify_*` methods build a [`VerifiedAssertion`], after the signature and then the
//! claims passed, so the server records the `jti` only for authentic assertions and an unsigned
//! request cannot burn another client's `jti` values.

use aws_lc_rs::hmac;
use time::OffsetDateTime;

use super::auth_method::AuthMethod;
use super::compact::{self, CompactJws};
use super::oauth_error::OAuthError;
use crate::jose::{Algorithm, PublicJwk};

/// The only accepted `client_assertion_type`.
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Maximum length of a client assertion, in characters.
pub const MAX_ASSERTION_CHARS: usize = 8192;
/// Maximum time from now to an assertion's `exp`. It bounds how long a `jti` must be remembered.
pub const MAX_ASSERTION_LIFETIME_SECS: i64 = 3600;
/// Maximum length of an assertion's `jti`.
pub const MAX_JTI_CHARS: usize = 256;

const ALLOWED_ALGORITHMS: [&str; 3] = ["HS256", "RS256", "ES256"];

/// A parsed client assertion whose signature and claims are not checked yet.
#[derive(Debug, Clone)]
pub struct ClientAssertion {
    jws: CompactJws,
}

/// Expected values for the claims of an assertion.
#[derive(Debug, Clone, Copy)]
pub struct AssertionRules<'a> {
    /// The client the assertion authenticates; `iss` and `sub` must equal it.
    pub client_id: &'a str,
    /// Accepted `aud` values: the issuer URL, the token endpoint URL and the URL of the endpoint called.
    pub audiences: &'a [&'a str],
    /// The current time.
    pub now: OffsetDateTime,
    /// Allowed clock skew in seconds for `exp`, `nbf` and `iat`.
    pub leeway_secs: i64,
}

/// An assertion whose signature and claims passed. Only this module builds one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAssertion {
    jti: String,
    replay_until: i64,
    method: AuthMethod,
}

impl VerifiedAssertion {
    /// Returns the `jti`, which must not be accepted again before [`Self::replay_until`].
    pub fn jti(&self) -> &str {
        &self.jti
    }

    /// Returns the Unix time (seconds) until which the assertion would still be accepted: `exp` plus leeway.
    pub fn replay_until(&self) -> i64 {
        self.replay_until
    }

    /// Returns the authentication method the assertion used.
    pub fn method(&self) -> AuthMethod {
        self.method
    }
}

/// Parses a `client_assertion`. Errors are `invalid_client` naming the `client_assertion` field.
pub fn parse_client_assertion(text: &str) -> Result<ClientAssertion, OAuthError> {
    compact::parse(text, MAX_ASSERTION_CHARS, &ALLOWED_ALGORITHMS)
        .map(|jws| ClientAssertion { jws })
        .map_err(|detail| invalid(&format!("it is not an acceptable JWT: {detail}")))
}

fn invalid(detail: &str) -> OAuthError {
    OAuthError::invalid_client(format!("client_assertion: {detail}"))
}

impl ClientAssertion {
    /// Returns the method the algorithm implies: HS256 is `client_secret_jwt`, RS256 and ES256 are `private_key_jwt`.
    pub fn method(&self) -> AuthMethod {
        if self.jws.alg == "HS256" {
            AuthMethod::ClientSecretJwt
        } else {
            AuthMethod::PrivateKeyJwt
        }
    }

    /// Returns the unverified `sub` claim, which names the client to load.
    pub fn subject(&self) -> Option<&str> {
        self.jws.claims.sub.as_deref()
    }

    /// Verifies an HS256 assertion against each candidate secret text, then checks the claims.
    pub fn verify_with_secrets<'s>(
        &self,
        secrets: impl IntoIterator<Item = &'s str>,
        rules: &AssertionRules,
    ) -> Result<VerifiedAssertion, OAuthError> {
        if self.method() != AuthMethod::ClientSecretJwt {
            return Err(invalid("the client secret can only check HS256 assertions"));
        }
        let message = self.jws.signing_input.as_bytes();
        // Every candidate is tried even after a match, so timing does not show which secret matched.
        let mut matched = false;
        for secret in secrets {
            let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
            matched |= hmac::verify(&key, message, &self.jws.signature).is_ok();
        }
        if !matched {
            return Err(invalid("the signature does not verify with any active client secret"));
        }
        self.check_claims(rules)
    }

    /// Verifies an RS256 or ES256 assertion with the client's registered keys, then checks the claims.
    ///
    /// With a `kid` only keys of that `kid` are tried; without one, every key that fits the algorithm is.
    pub fn verify_with_keys(
        &self,
        keys: &[PublicJwk],
        rules: &AssertionRules,
    ) -> Result<VerifiedAssertion, OAuthError> {
        let alg = match self.jws.alg {
            "RS256" => Algorithm::RS256,
            "ES256" => Algorithm::ES256,
            _ => return Err(invalid("registered keys can only check RS256 and ES256 assertions")),
        };
        let kid = self.jws.kid.as_deref();
        let mut candidates = keys.iter().filter(|key| key.fits(alg) && kid.is_none_or(|kid| key.kid() == Some(kid)));
        let message = self.jws.signing_input.as_bytes();
        if !candidates.any(|key| key.verify(alg, message, &self.jws.signature)) {
            return Err(invalid(
                "the signature does not verify with any key registered for the client; check kid, alg and SetClientJwks",
            ));
        }
        self.check_claims(rules)
    }

    fn check_claims(&self, rules: &AssertionRules) -> Result<VerifiedAssertion, OAuthError> {
        let claims = &self.jws.claims;
        if claims.iss.as_deref() != Some(rules.client_id) {
            return Err(invalid("the iss claim must equal the client_id"));
        }
        if claims.sub.as_deref() != Some(rules.client_id) {
            return Err(invalid("the sub claim must equal the client_id"));
        }
        if !claims.aud.iter().any(|aud| rules.audiences.contains(&aud.as_str())) {
            return Err(invalid("the aud claim must contain the token endpoint URL or the issuer URL"));
        }

        let now = rules.now.unix_timestamp();
        let leeway = rules.leeway_secs.max(0);
        let exp = claims.exp.ok_or_else(|| invalid("the exp claim is missing"))?;
        if exp <= now.saturating_sub(leeway) {
            return Err(invalid("the exp claim is in the past"));
        }
        if exp > now.saturating_add(MAX_ASSERTION_LIFETIME_SECS).saturating_add(leeway) {
            return Err(invalid(&format!(
                "the exp claim is more than {MAX_ASSERTION_LIFETIME_SECS} seconds in the future; use short-lived assertions"
            )));
        }
        if claims.nbf.is_some_and(|nbf| nbf > now.saturating_add(leeway)) {
            return Err(invalid("the nbf claim is in the future"));
        }
        if claims.iat.is_some_and(|iat| iat > now.saturating_add(leeway)) {
            return Err(invalid("the iat claim is in the future"));
        }
        let jti = match claims.jti.as_deref() {
            Some(jti) if !jti.is_empty() && jti.chars().count() <= MAX_JTI_CHARS => jti.to_owned(),
            Some(_) => return Err(invalid(&format!("the jti claim must be 1 to {MAX_JTI_CHARS} characters"))),
            None => return Err(invalid("the jti claim is missing; every assertion needs a unique jti")),
        };
        Ok(VerifiedAssertion { jti, replay_until: exp.saturating_add(leeway), method: self.method() })
    }
}

#[cfg(test)]
mod tests;
