//! Client authentication of the token, introspection and revocation endpoints.
//!
//! Exactly one method per request: `client_secret_basic` (an `Authorization: Basic` header),
//! `client_secret_post` (`client_secret` in the form) or a client assertion (`client_assertion` and
//! `client_assertion_type`), whose algorithm decides between `client_secret_jwt` (HS256) and
//! `private_key_jwt` (RS256, ES256). Credentials are checked before the method allow-list, so a
//! failed attempt learns nothing about a client's settings, and an assertion's `jti` is recorded in
//! the store only after its signature, claims and method passed.

use std::sync::Arc;

use akless_core::issuer::{
    parse_client_assertion, rules, AssertionRules, AuthMethod, OAuthError, CLIENT_ASSERTION_TYPE, MAX_ASSERTION_CHARS,
    MAX_CLIENT_SECRET_CHARS,
};
use akless_core::timefmt::unix_millis;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use time::OffsetDateTime;

use super::cache::CachedClient;
use super::form::FormRequest;
use super::Issuer;

/// Maximum length of a `client_id`, the longest a ClientId may be.
const MAX_CLIENT_ID_CHARS: usize = 128;
/// Maximum length of the `Authorization` header value.
const MAX_AUTHORIZATION_CHARS: usize = 1024;

/// A client whose credentials passed.
pub struct AuthenticatedClient {
    /// The client.
    pub client: Arc<CachedClient>,
}

/// Claims of an authentication attempt for logs and audit, filled in even when it fails.
#[derive(Default)]
pub struct Attempt {
    /// The claimed client ID, when the request named one of acceptable shape.
    pub client_id: Option<String>,
    /// The method the request used, once known.
    pub method: Option<AuthMethod>,
}

/// Authenticates the client of a request to `endpoint_url`.
pub async fn authenticate(
    issuer: &Issuer,
    form: &FormRequest,
    endpoint_url: &str,
    attempt: &mut Attempt,
) -> Result<AuthenticatedClient, OAuthError> {
    let basic = basic_credentials(form)?;
    let post_secret = form.bounded("client_secret", MAX_CLIENT_SECRET_CHARS)?;
    let assertion = form.bounded("client_assertion", MAX_ASSERTION_CHARS)?;
    let assertion_type = form.get("client_assertion_type");
    let used = [basic.is_some(), post_secret.is_some(), assertion.is_some() || assertion_type.is_some()];
    match used.iter().filter(|used| **used).count() {
        0 => {
            return Err(OAuthError::invalid_client(
                "no client authentication: send an Authorization: Basic header, client_id with client_secret, \
                 or client_assertion with client_assertion_type",
            ))
        }
        1 => {}
        _ => {
            return Err(OAuthError::invalid_request(
                "the request uses more than one client authentication method; use exactly one",
            ))
        }
    }
    let form_client_id = form.bounded("client_id", MAX_CLIENT_ID_CHARS)?;

    if let Some((client_id, secret)) = basic {
        if form_client_id.is_some_and(|id| id != client_id) {
            return Err(OAuthError::invalid_request(
                "the client_id parameter differs from the client ID of the Basic credentials",
            ));
        }
        attempt.client_id = plausible(&client_id);
        attempt.method = Some(AuthMethod::ClientSecretBasic);
        return with_secret(issuer, &client_id, &secret, AuthMethod::ClientSecretBasic).await;
    }
    if let Some(secret) = post_secret {
        let client_id = form_client_id.ok_or_else(|| OAuthError::missing("client_id"))?;
        attempt.client_id = plausible(client_id);
        attempt.method = Some(AuthMethod::ClientSecretPost);
        return with_secret(issuer, client_id, secret, AuthMethod::ClientSecretPost).await;
    }

    match assertion_type {
        None => return Err(OAuthError::missing("client_assertion_type")),
        Some(kind) if kind != CLIENT_ASSERTION_TYPE => {
            return Err(OAuthError::invalid_request(format!("client_assertion_type must be {CLIENT_ASSERTION_TYPE}")))
        }
        Some(_) => {}
    }
    let assertion = assertion.ok_or_else(|| OAuthError::missing("client_assertion"))?;
    with_assertion(issuer, assertion, form_client_id, endpoint_url, attempt).await
}

/// Reads `Authorization: Basic base64(urlencode(client_id):urlencode(secret))` (RFC 6749 section 2.3.1).
fn basic_credentials(form: &FormRequest) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = form.headers.get(http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || {
        OAuthError::invalid_client(
            "the Authorization header is not valid Basic credentials (base64 of client_id:client_secret)",
        )
    };
    let value = value.to_str().map_err(|_| malformed())?.trim();
    if value.len() > MAX_AUTHORIZATION_CHARS {
        return Err(OAuthError::invalid_request(format!(
            "the Authorization header is longer than {MAX_AUTHORIZATION_CHARS} bytes"
        )));
    }
    let (scheme, encoded) = value.split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_request("the Authorization header must use the Basic scheme"));
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let text = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = text.split_once(':').ok_or_else(malformed)?;
    let decode = |part: &str| -> Result<String, OAuthError> {
        percent_encoding::percent_decode_str(&part.replace('+', " "))
            .decode_utf8()
            .map(|text| text.into_owned())
            .map_err(|_| malformed())
    };
    let (id, secret) = (decode(id)?, decode(secret)?);
    if id.is_empty() || secret.is_empty() || id.len() > MAX_CLIENT_ID_CHARS || secret.len() > MAX_CLIENT_SECRET_CHARS {
        return Err(malformed());
    }
    Ok(Some((id, secret)))
}

/// Returns the client ID for logs when it has the shape of a ClientId, so log lines carry no junk.
fn plausible(client_id: &str) -> Option<String> {
    rules::client_id(client_id).ok().map(|()| client_id.to_owned())
}

async fn load(issuer: &Issuer, client_id: &str) -> Result<Option<Arc<CachedClient>>, OAuthError> {
    if rules::client_id(client_id).is_err() {
        return Ok(None);
    }
    issuer.clients().client(client_id).await.map_err(|error| {
        tracing::error!(%error, "loading an issuer client failed");
        OAuthError::server_error()
    })
}

fn check_method(client: &CachedClient, method: AuthMethod) -> Result<(), OAuthError> {
    if client.methods.contains(&method) {
        return Ok(());
    }
    let allowed: Vec<&str> = client.methods.iter().map(|m| m.as_str()).collect();
    Err(OAuthError::invalid_client(format!(
        "the client may not authenticate with {method}; its allowed methods are {}",
        if allowed.is_empty() { String::from("none") } else { allowed.join(", ") }
    )))
}

async fn with_secret(
    issuer: &Issuer,
    client_id: &str,
    secret: &str,
    method: AuthMethod,
) -> Result<AuthenticatedClient, OAuthError> {
    let failed = || {
        OAuthError::invalid_client(
            "client authentication failed: the client_id is unknown or the client_secret is wrong",
        )
    };
    let client = load(issuer, client_id).await?.ok_or_else(failed)?;
    // Every active secret is checked, so the time taken does not show which one matched.
    let mut matched = false;
    for active in &client.secrets {
        matched |= issuer.secrets().matches(client_id, &active.secret_id, &active.seed, secret);
    }
    if !matched {
        return Err(failed());
    }
    check_method(&client, method)?;
    Ok(AuthenticatedClient { client })
}

async fn with_assertion(
    issuer: &Issuer,
    text: &str,
    form_client_id: Option<&str>,
    endpoint_url: &str,
    attempt: &mut Attempt,
) -> Result<AuthenticatedClient, OAuthError> {
    let assertion = parse_client_assertion(text)?;
    let client_id = assertion
        .subject()
        .ok_or_else(|| OAuthError::invalid_client("client_assertion: the sub claim must be the client_id"))?
        .to_owned();
    attempt.client_id = plausible(&client_id);
    attempt.method = Some(assertion.method());
    if form_client_id.is_some_and(|id| id != client_id) {
        return Err(OAuthError::invalid_client(
            "the client_id parameter differs from the sub claim of the client_assertion",
        ));
    }
    let client = load(issuer, &client_id).await?.ok_or_else(|| {
        OAuthError::invalid_client("client authentication failed: the client_assertion names an unknown client")
    })?;

    let urls = issuer.urls();
    let audiences = [urls.issuer.as_str(), urls.token_endpoint.as_str(), endpoint_url];
    let now = OffsetDateTime::now_utc();
    let rules = AssertionRules { client_id: &client_id, audiences: &audiences, now, leeway_secs: issuer.leeway_secs() };
    let verified = match assertion.method() {
        AuthMethod::ClientSecretJwt => {
            let secrets: Vec<String> = client
                .secrets
                .iter()
                .filter_map(|active| issuer.secrets().derive(&client_id, &active.secret_id, &active.seed))
                .collect();
            assertion.verify_with_secrets(secrets.iter().map(String::as_str), &rules)?
        }
        _ => assertion.verify_with_keys(&client.keys, &rules)?,
    };
    check_method(&client, verified.method())?;

    let first_use = issuer
        .store()
        .use_assertion_jti(&client_id, verified.jti(), verified.replay_until().saturating_mul(1000), unix_millis(now))
        .await
        .map_err(|error| {
            tracing::error!(%error, "recording a client assertion jti failed");
            OAuthError::server_error()
        })?;
    if !first_use {
        return Err(OAuthError::invalid_client(
            "client_assertion: the jti was already used; send a new jti with every assertion",
        ));
    }
    Ok(AuthenticatedClient { client })
}
