//! OIDC ID token rules for AssumeRoleWithOIDC: issuer, key choice, signature, time claims and audience.
//!
//! The server runs the checks in this order: [`crate::jose::parse_compact`],
//! [`check_issuer`] (before fetching keys, so a token cannot make akless fetch from
//! an arbitrary issuer), [`select_key`], then [`verify`]. Only [`verify`] builds a
//! [`VerifiedOidcToken`].

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::error::ApiError;
use crate::jose::{PublicJwk, UnverifiedJws};

/// The claims akless reads from a token payload, as stated by the token and not yet checked.
///
/// Parsing checks only JSON types: `aud` may be a string or an array of strings, and
/// the NumericDate claims may be integers or floats (rounded down to whole seconds).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OidcClaims {
    pub iss: Option<String>,
    pub sub: Option<String>,
    pub aud: Vec<String>,
    pub exp: Option<i64>,
    pub nbf: Option<i64>,
    pub iat: Option<i64>,
    pub jti: Option<String>,
}

impl OidcClaims {
    /// Reads the claims from a payload object; a claim of the wrong JSON type is [`TokenError::Invalid`].
    pub(crate) fn from_payload(payload: &Map<String, Value>) -> Result<Self, TokenError> {
        Ok(OidcClaims {
            iss: string_claim(payload, "iss")?,
            sub: string_claim(payload, "sub")?,
            aud: audience_claim(payload)?,
            exp: numeric_date_claim(payload, "exp")?,
            nbf: numeric_date_claim(payload, "nbf")?,
            iat: numeric_date_claim(payload, "iat")?,
            jti: string_claim(payload, "jti")?,
        })
    }
}

fn string_claim(payload: &Map<String, Value>, name: &str) -> Result<Option<String>, TokenError> {
    match payload.get(name) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(TokenError::Invalid(format!("the {name} claim is not a string"))),
    }
}

fn audience_claim(payload: &Map<String, Value>) -> Result<Vec<String>, TokenError> {
    let wrong_type = || TokenError::Invalid(String::from("the aud claim is not a string or an array of strings"));
    match payload.get("aud") {
        None => Ok(Vec::new()),
        Some(Value::String(aud)) => Ok(vec![aud.clone()]),
        Some(Value::Array(items)) => {
            items.iter().map(|item| item.as_str().map(str::to_owned).ok_or_else(wrong_type)).collect()
        }
        Some(_) => Err(wrong_type()),
    }
}

/// Reads a NumericDate (RFC 7519 section 2): seconds since the epoch, integer or float,
/// within the years that `time` can represent.
fn numeric_date_claim(payload: &Map<String, Value>, name: &str) -> Result<Option<i64>, TokenError> {
    let Some(value) = payload.get(name) else {
        return Ok(None);
    };
    let Value::Number(number) = value else {
        return Err(TokenError::Invalid(format!("the {name} claim is not a number")));
    };
    let out_of_range = || TokenError::Invalid(format!("the {name} claim is not a valid NumericDate"));
    let seconds = match number.as_i64() {
        Some(seconds) => seconds,
        None => {
            let float = number.as_f64().ok_or_else(out_of_range)?.floor();
            // Checked before the cast, which would otherwise saturate silently.
            if !float.is_finite() || float.abs() > 1e15 {
                return Err(out_of_range());
            }
            float as i64
        }
    };
    OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| out_of_range())?;
    Ok(Some(seconds))
}

/// The OIDC provider settings that a token is checked against.
#[derive(Debug, Clone, Copy)]
pub struct ProviderRules<'a> {
    /// The registered IssuerUrl; `iss` must equal it exactly.
    pub issuer_url: &'a str,
    /// The registered client IDs; at least one `aud` value must equal one of them.
    pub client_ids: &'a [String],
    /// IssuanceLimitTime: `iat` may be at most this many hours old.
    pub issuance_limit_hours: u32,
    /// Allowed clock skew in seconds for `exp`, `nbf` and `iat`; negative values count as 0.
    pub leeway_secs: i64,
}

/// A failed token check. Messages name the check and never contain the token or the
/// values the provider expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The token is not an acceptable compact JWS, or a claim is missing or of the wrong type.
    #[error("{0}")]
    Invalid(String),
    /// `iss` is missing or differs from the provider's IssuerUrl.
    #[error("the iss claim does not equal the IssuerUrl of the OIDC provider")]
    IssuerMismatch,
    /// The signature does not verify with the selected key.
    #[error("invalid signature")]
    InvalidSignature,
    /// A time claim check failed; the message names the claim.
    #[error("{0}")]
    Expired(String),
    /// No `aud` value is a client ID of the provider.
    #[error("no aud value of the token is a client ID of the OIDC provider")]
    AudienceNotMatch,
}

impl TokenError {
    /// Maps the error to its `AuthenticationFail.OIDCToken.*` code (all HTTP 401).
    pub fn to_api_error(&self) -> ApiError {
        match self {
            TokenError::Invalid(detail) => ApiError::oidc_token_invalid(detail),
            TokenError::IssuerMismatch => ApiError::oidc_issuer_not_match(),
            TokenError::InvalidSignature => ApiError::oidc_invalid_signature(
                "invalid signature; the token was not signed by the issuer key its kid names, or was changed after signing",
            ),
            TokenError::Expired(detail) => ApiError::oidc_expired(detail),
            TokenError::AudienceNotMatch => ApiError::oidc_audience_not_match(),
        }
    }
}

impl From<TokenError> for ApiError {
    fn from(error: TokenError) -> Self {
        error.to_api_error()
    }
}

/// A failure to choose a JWKS key for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeySelectionError {
    /// The token names a `kid` that no usable key in the JWKS has.
    #[error("no key in the issuer's JWKS matches the token's kid")]
    UnknownKid,
    /// The token has no `kid` and more than one key fits its algorithm.
    #[error("the token has no kid and several keys in the issuer's JWKS fit its algorithm; the issuer must set kid")]
    NoKidAmbiguous,
    /// No key with a matching `kid` (or, without `kid`, no key at all) fits the token's algorithm.
    #[error("no key in the issuer's JWKS fits the token's algorithm")]
    NoFittingKey,
}

impl KeySelectionError {
    /// Maps the error to `AuthenticationFail.OIDCToken.InvalidSignature` (HTTP 401).
    pub fn to_api_error(&self) -> ApiError {
        ApiError::oidc_invalid_signature(self)
    }
}

impl From<KeySelectionError> for ApiError {
    fn from(error: KeySelectionError) -> Self {
        error.to_api_error()
    }
}

/// Checks that `iss` equals the provider's IssuerUrl exactly (byte for byte, no normalization).
pub fn check_issuer(jws: &UnverifiedJws, issuer_url: &str) -> Result<(), TokenError> {
    match jws.claims().iss.as_deref() {
        Some(iss) if iss == issuer_url => Ok(()),
        _ => Err(TokenError::IssuerMismatch),
    }
}

/// Chooses the JWKS key for a token.
///
/// With a `kid`, the first key with that `kid` that fits the header `alg` is chosen.
/// Without a `kid`, a key is chosen only if exactly one key fits the `alg`. A key
/// fits when its type and curve match the algorithm and its own `alg`, if any, equals it.
pub fn select_key<'k>(jws: &UnverifiedJws, keys: &'k [PublicJwk]) -> Result<&'k PublicJwk, KeySelectionError> {
    let alg = jws.header().alg;
    match jws.header().kid.as_deref() {
        Some(kid) => {
            let mut named = keys.iter().filter(|key| key.kid() == Some(kid)).peekable();
            if named.peek().is_none() {
                return Err(KeySelectionError::UnknownKid);
            }
            named.find(|key| key.fits(alg)).ok_or(KeySelectionError::NoFittingKey)
        }
        None => {
            let mut fitting = keys.iter().filter(|key| key.fits(alg));
            match (fitting.next(), fitting.next()) {
                (Some(key), None) => Ok(key),
                (Some(_), Some(_)) => Err(KeySelectionError::NoKidAmbiguous),
                (None, _) => Err(KeySelectionError::NoFittingKey),
            }
        }
    }
}

/// Verifies a token and returns the only proof type that later steps accept.
///
/// The checks run in this order, each with its own error:
/// 1. the signature with `key` ([`TokenError::InvalidSignature`]);
/// 2. `iss` again ([`TokenError::IssuerMismatch`]);
/// 3. the time claims ([`TokenError::Expired`]): `exp` is required and must be after
///    `now - leeway`, `nbf` (optional) must not be after `now + leeway`, and `iat` is
///    required, must not be after `now + leeway` and must not be older than
///    IssuanceLimitTime plus leeway;
/// 4. the audience ([`TokenError::AudienceNotMatch`]);
/// 5. a non-empty `sub` ([`TokenError::Invalid`]).
pub fn verify(
    jws: &UnverifiedJws,
    key: &PublicJwk,
    rules: &ProviderRules,
    now: OffsetDateTime,
) -> Result<VerifiedOidcToken, TokenError> {
    if !key.verify(jws.header().alg, jws.signing_input(), jws.signature()) {
        return Err(TokenError::InvalidSignature);
    }
    check_issuer(jws, rules.issuer_url)?;
    let claims = jws.claims();
    let (expires_at, issued_at) = check_time_claims(claims, rules, now)?;

    if !claims.aud.iter().any(|aud| rules.client_ids.iter().any(|client_id| client_id == aud)) {
        return Err(TokenError::AudienceNotMatch);
    }
    let subject = match claims.sub.as_deref() {
        Some(sub) if !sub.is_empty() => sub.to_owned(),
        _ => return Err(TokenError::Invalid(String::from("the sub claim is missing or empty"))),
    };

    Ok(VerifiedOidcToken {
        issuer: rules.issuer_url.to_owned(),
        subject,
        audiences: claims.aud.clone(),
        expires_at,
        issued_at,
        jti: claims.jti.clone(),
    })
}

/// Checks `exp`, `nbf` and `iat` at `now`; returns `(exp, iat)` as times.
fn check_time_claims(
    claims: &OidcClaims,
    rules: &ProviderRules,
    now: OffsetDateTime,
) -> Result<(OffsetDateTime, OffsetDateTime), TokenError> {
    let expired = |message: &str| TokenError::Expired(message.to_owned());
    let now = now.unix_timestamp();
    let leeway = rules.leeway_secs.max(0);

    let exp = claims.exp.ok_or_else(|| expired("the exp claim is missing"))?;
    if exp <= now.saturating_sub(leeway) {
        return Err(expired("the exp claim is in the past"));
    }
    if let Some(nbf) = claims.nbf {
        if nbf > now.saturating_add(leeway) {
            return Err(expired("the nbf claim is in the future"));
        }
    }
    let iat = claims.iat.ok_or_else(|| expired("the iat claim is missing"))?;
    if iat > now.saturating_add(leeway) {
        return Err(expired("the iat claim is in the future"));
    }
    let limit_secs = i64::from(rules.issuance_limit_hours) * 3600;
    if iat < now.saturating_sub(limit_secs).saturating_sub(leeway) {
        return Err(expired("the iat claim is older than the IssuanceLimitTime of the OIDC provider"));
    }

    // Both values passed the NumericDate range check when the payload was parsed.
    let as_time = |seconds: i64, name: &str| {
        OffsetDateTime::from_unix_timestamp(seconds)
            .map_err(|_| TokenError::Invalid(format!("the {name} claim is not a valid NumericDate")))
    };
    Ok((as_time(exp, "exp")?, as_time(iat, "iat")?))
}

/// An OIDC token whose signature, issuer, time claims, audience and subject passed [`verify`].
///
/// The fields are private and [`verify`] is the only constructor, so holding one proves the checks ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedOidcToken {
    issuer: String,
    subject: String,
    audiences: Vec<String>,
    expires_at: OffsetDateTime,
    issued_at: OffsetDateTime,
    jti: Option<String>,
}

impl VerifiedOidcToken {
    /// Returns `iss`, equal to the provider's IssuerUrl.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Returns `sub`, never empty.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Returns every `aud` value of the token; at least one is a client ID of the provider.
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// Returns `exp` as a time.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }

    /// Returns `iat` as a time.
    pub fn issued_at(&self) -> OffsetDateTime {
        self.issued_at
    }

    /// Returns `jti`, if the token has one.
    pub fn jti(&self) -> Option<&str> {
        self.jti.as_deref()
    }
}

#[cfg(test)]
mod tests;
