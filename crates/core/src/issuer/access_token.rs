//! JWT access tokens in the shape of RFC 9068, and their checks for introspection and revocation.
//!
//! The header is `{"alg","kid","typ":"at+jwt"}`. The claims are `iss`, `sub` (the client ID), `aud`
//! (the resource server's identifier, a single string), `iat`, `nbf`, `exp`, `jti`, `client_id` and
//! `scope` (the granted permission names, space-separated). AssumeRoleWithOIDC reads `iss`, `sub`,
//! `aud`, `iat` and `exp`, so a RAM OIDC provider lists the identifier as a client ID and trust
//! policies match the client with `oidc:sub`.

use serde::Serialize;
use time::OffsetDateTime;

use super::compact::{self, string_claim, CompactJws};
use super::signing_key::{IssuerSigningKey, SigningKeyError};
use crate::jose::{Algorithm, PublicJwk};
use crate::random::random_alnum;

/// The JWS `typ` of access tokens (RFC 9068 section 2.1).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";
/// Maximum length of a token accepted by introspection and revocation; issued tokens are far shorter.
pub const MAX_ACCESS_TOKEN_CHARS: usize = 8192;

/// Contents of one access token.
#[derive(Debug, Clone, Copy)]
pub struct AccessTokenRequest<'a> {
    /// The issuer URL, the `iss` claim.
    pub issuer: &'a str,
    /// The authenticated client, both `sub` and `client_id`.
    pub client_id: &'a str,
    /// The resource server identifier, the `aud` claim.
    pub audience: &'a str,
    /// The granted permissions, joined with spaces into `scope`.
    pub permissions: &'a [String],
    /// Seconds from `iat` to `exp`.
    pub lifetime_secs: u32,
    /// The issue time; sub-second digits are dropped.
    pub now: OffsetDateTime,
}

/// A signed access token and the facts the token response and audit need.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedAccessToken {
    /// The compact JWS.
    pub token: String,
    /// The `jti` claim.
    pub jti: String,
    /// The `iat` and `nbf` claims, Unix seconds.
    pub issued_at: i64,
    /// The `exp` claim, Unix seconds.
    pub expires_at: i64,
    /// `exp - iat`, the `expires_in` of the response.
    pub expires_in: u32,
    /// The granted scope in request form (`<audience>|<permission>`, space-separated), which RFC 6749
    /// section 5.1 requires in the response when it differs from the requested one (as `.all` does).
    pub scope: String,
}

impl std::fmt::Debug for IssuedAccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedAccessToken")
            .field("token", &"<redacted>")
            .field("jti", &self.jti)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The payload of an access token, serialized in this member order.
#[derive(Serialize)]
struct AccessTokenClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
    jti: &'a str,
    client_id: &'a str,
    scope: String,
}

/// Builds and signs an access token with `key`.
pub fn issue_access_token(
    key: &IssuerSigningKey,
    request: &AccessTokenRequest,
) -> Result<IssuedAccessToken, SigningKeyError> {
    let issued_at = request.now.unix_timestamp();
    let expires_at = issued_at + i64::from(request.lifetime_secs);
    let jti = random_alnum(24);
    let claims = AccessTokenClaims {
        iss: request.issuer,
        sub: request.client_id,
        aud: request.audience,
        iat: issued_at,
        nbf: issued_at,
        exp: expires_at,
        jti: &jti,
        client_id: request.client_id,
        scope: request.permissions.join(" "),
    };
    let token = key.sign_compact(ACCESS_TOKEN_TYPE, &claims)?;
    let scope = request.permissions.iter().map(|p| format!("{}|{p}", request.audience)).collect::<Vec<_>>().join(" ");
    Ok(IssuedAccessToken { token, jti, issued_at, expires_at, expires_in: request.lifetime_secs, scope })
}

/// A token presented to introspection or revocation, parsed but not verified.
#[derive(Debug, Clone)]
pub struct UnverifiedAccessToken {
    jws: CompactJws,
}

/// Parses a presented token; the error text names the defect. Only ES256 and RS256 are accepted,
/// the algorithms this issuer signs with.
pub fn parse_access_token(token: &str) -> Result<UnverifiedAccessToken, String> {
    compact::parse(token, MAX_ACCESS_TOKEN_CHARS, &["ES256", "RS256"]).map(|jws| UnverifiedAccessToken { jws })
}

/// The claims of an access token that verified and is currently valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveAccessToken {
    pub issuer: String,
    pub subject: String,
    pub audience: Vec<String>,
    pub client_id: String,
    pub scope: String,
    pub issued_at: i64,
    pub not_before: Option<i64>,
    pub expires_at: i64,
    pub jti: String,
}

impl UnverifiedAccessToken {
    /// Returns the `kid` header, which names the issuer key to verify with.
    pub fn kid(&self) -> Option<&str> {
        self.jws.kid.as_deref()
    }

    /// Checks the token with the issuer key that has its `kid`: signature, `typ`, `iss`, the time
    /// claims at `now` (no leeway, because introspection reports the issuer's own view), and the
    /// presence of `sub`, `client_id` and `jti`. `None` means inactive, for any reason.
    pub fn verify(&self, key: &PublicJwk, issuer: &str, now: OffsetDateTime) -> Option<ActiveAccessToken> {
        let alg = if self.jws.alg == "ES256" { Algorithm::ES256 } else { Algorithm::RS256 };
        if !key.verify(alg, self.jws.signing_input.as_bytes(), &self.jws.signature) {
            return None;
        }
        if self.jws.typ.as_deref() != Some(ACCESS_TOKEN_TYPE) {
            return None;
        }
        let claims = &self.jws.claims;
        if claims.iss.as_deref() != Some(issuer) {
            return None;
        }
        let now = now.unix_timestamp();
        let expires_at = claims.exp.filter(|exp| *exp > now)?;
        if claims.nbf.is_some_and(|nbf| nbf > now) {
            return None;
        }
        let client_id = string_claim(&self.jws.payload, "client_id").ok().flatten()?;
        let scope = string_claim(&self.jws.payload, "scope").ok().flatten().unwrap_or_default();
        Some(ActiveAccessToken {
            issuer: issuer.to_owned(),
            subject: claims.sub.clone()?,
            audience: claims.aud.clone(),
            client_id,
            scope,
            issued_at: claims.iat?,
            not_before: claims.nbf,
            expires_at,
            jti: claims.jti.clone()?,
        })
    }
}

/// Returns the token response body fields of RFC 6749 section 5.1 plus the IDaaS `expires_at`.
pub fn token_response(issued: &IssuedAccessToken) -> TokenResponse<'_> {
    TokenResponse {
        token_type: "Bearer",
        access_token: &issued.token,
        expires_in: issued.expires_in,
        expires_at: issued.expires_at,
        scope: &issued.scope,
    }
}

/// The token endpoint's success body (RFC 6749 section 5.1), plus `expires_at` in Unix seconds.
#[derive(Serialize)]
pub struct TokenResponse<'a> {
    pub token_type: &'static str,
    pub access_token: &'a str,
    pub expires_in: u32,
    pub expires_at: i64,
    pub scope: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use crate::issuer::SigningAlgorithm;
    use crate::jose::parse_compact;

    const ISSUER: &str = "https://idp.test/api/v2/iauths_system/oauth2";

    fn request(now: OffsetDateTime, permissions: &[String]) -> AccessTokenRequest<'_> {
        AccessTokenRequest {
            issuer: ISSUER,
            client_id: "akc1",
            audience: "api:billing",
            permissions,
            lifetime_secs: 600,
            now,
        }
    }

    #[test]
    fn issued_token_has_rfc_9068_claims() {
        let key = IssuerSigningKey::generate(SigningAlgorithm::Es256).unwrap().key;
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let permissions = vec!["read".to_owned(), "write".to_owned()];
        let issued = issue_access_token(&key, &request(now, &permissions)).unwrap();
        assert_eq!(issued.expires_at, 1_800_000_600);
        assert_eq!(issued.expires_in, 600);
        assert_eq!(issued.scope, "api:billing|read api:billing|write");

        let jws = parse_compact(&issued.token).unwrap();
        let claims = jws.claims();
        assert_eq!(claims.iss.as_deref(), Some(ISSUER));
        assert_eq!(claims.sub.as_deref(), Some("akc1"));
        assert_eq!(claims.aud, vec!["api:billing".to_owned()]);
        assert_eq!(
            (claims.iat, claims.nbf, claims.exp),
            (Some(1_800_000_000), Some(1_800_000_000), Some(1_800_000_600))
        );
        assert_eq!(claims.jti.as_deref(), Some(issued.jti.as_str()));

        let parsed = parse_access_token(&issued.token).unwrap();
        let active = parsed.verify(key.public_key(), ISSUER, now).unwrap();
        assert_eq!(active.client_id, "akc1");
        assert_eq!(active.scope, "read write");
        assert_eq!(active.jti, issued.jti);
        assert!(!format!("{issued:?}").contains(&issued.token));
    }

    #[test]
    fn verify_reports_inactive_tokens() {
        let key = IssuerSigningKey::generate(SigningAlgorithm::Es256).unwrap().key;
        let other = IssuerSigningKey::generate(SigningAlgorithm::Es256).unwrap().key;
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let issued = issue_access_token(&key, &request(now, &[])).unwrap();
        let parsed = parse_access_token(&issued.token).unwrap();
        assert_eq!(parsed.kid(), Some(key.kid()));
        assert!(parsed.verify(other.public_key(), ISSUER, now).is_none(), "wrong key");
        assert!(parsed.verify(key.public_key(), "https://other.test", now).is_none(), "wrong issuer");
        let later = now + time::Duration::seconds(600);
        assert!(parsed.verify(key.public_key(), ISSUER, later).is_none(), "expired");
        let earlier = now - time::Duration::seconds(1);
        assert!(parsed.verify(key.public_key(), ISSUER, earlier).is_none(), "not yet valid");

        let not_access_token = key.sign_compact("JWT", &json!({"iss": ISSUER, "exp": 1_900_000_000})).unwrap();
        let parsed = parse_access_token(&not_access_token).unwrap();
        assert!(parsed.verify(key.public_key(), ISSUER, now).is_none(), "typ must be at+jwt");
    }

    #[test]
    fn token_response_fields() {
        let issued =
            IssuedAccessToken {
                token: "t".into(),
                jti: "j".into(),
                issued_at: 10,
                expires_at: 3610,
                expires_in: 3600,
                scope: "orders|read orders|write".into(),
            };
        assert_eq!(
            serde_json::to_value(token_response(&issued)).unwrap(),
            json!({"token_type": "Bearer", "access_token": "t", "expires_in": 3600, "expires_at": 3610,
                   "scope": "orders|read orders|write"})
        );
    }
}
