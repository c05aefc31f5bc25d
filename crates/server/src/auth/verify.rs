//! Signature checks for signed RPC requests.
//!
//! Order of checks: the signature fields are present and well formed, the
//! timestamp is within the allowed skew, the AccessKey (or the sealed STS
//! session) is known and current, the signature matches, and only then is the
//! nonce recorded, so that unsigned traffic cannot burn other callers' nonces.

use akless_core::error::ApiError;
use akless_core::seal::{open_session, SealError};
use akless_core::signature::{v1, v3};
use akless_core::timefmt::parse_iso8601;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use super::Caller;
use crate::rpc::params::RpcRequest;
use crate::state::AppState;

/// Prefix of AccessKeyIds issued by AssumeRoleWithOIDC.
const STS_KEY_PREFIX: &str = "STS.";

/// Authenticates a signed request, V3 when an `Authorization` header is present, else V1.
pub async fn verify_signed_request(state: &AppState, req: &RpcRequest) -> Result<Caller, ApiError> {
    if let Some(header) = req.header("authorization") {
        verify_v3(state, req, &header).await
    } else if req.params.contains_key("Signature") {
        verify_v1(state, req).await
    } else {
        Err(ApiError::incomplete_signature(
            "the request carries neither an Authorization header (V3) nor a Signature parameter (V1); sign it with an AccessKey",
        ))
    }
}

async fn verify_v1(state: &AppState, req: &RpcRequest) -> Result<Caller, ApiError> {
    let field = |name: &str| {
        req.optional(name).ok_or_else(|| ApiError::incomplete_signature(format!("the {name} parameter is missing")))
    };
    let signature = field("Signature")?;
    let access_key_id = field("AccessKeyId")?;
    let method = field("SignatureMethod")?;
    let version = field("SignatureVersion")?;
    let nonce = field("SignatureNonce")?;
    let timestamp = field("Timestamp")?;
    if method != "HMAC-SHA1" {
        return Err(ApiError::incomplete_signature("SignatureMethod must be HMAC-SHA1"));
    }
    if version != "1.0" {
        return Err(ApiError::incomplete_signature("SignatureVersion must be 1.0"));
    }
    check_time(state, "Timestamp", timestamp)?;

    let (caller, secret) = resolve_key(state, access_key_id, req.optional("SecurityToken"))?;
    let signed: Vec<(String, String)> =
        req.params.iter().filter(|(k, _)| k.as_str() != "Signature").map(|(k, v)| (k.clone(), v.clone())).collect();
    if !v1::verify(&secret, req.method.as_str(), &signed, signature) {
        return Err(ApiError::signature_does_not_match());
    }
    check_nonce(state, access_key_id, nonce).await?;
    Ok(caller)
}

async fn verify_v3(state: &AppState, req: &RpcRequest, header: &str) -> Result<Caller, ApiError> {
    let auth = v3::parse_authorization(header).map_err(|e| ApiError::incomplete_signature(e.to_string()))?;
    let header_field = |name: &str| {
        req.header(name).ok_or_else(|| ApiError::incomplete_signature(format!("the {name} header is missing")))
    };
    let date = header_field("x-acs-date")?;
    let nonce = header_field("x-acs-signature-nonce")?;
    let content_sha256 = header_field("x-acs-content-sha256")?;
    check_time(state, "x-acs-date", &date)?;

    // Every x-acs-* header and host must be covered by the signature, or a proxy could change them unnoticed.
    for name in req.headers.keys() {
        let name = name.as_str();
        let must_sign = name == "host" || (name.starts_with("x-acs-") && name != "x-acs-signature");
        if must_sign && !auth.signed_headers.iter().any(|h| h == name) {
            return Err(ApiError::incomplete_signature(format!("the {name} header must be listed in SignedHeaders")));
        }
    }
    let body_hash = v3::sha256_hex(&req.body);
    if !bool::from(body_hash.as_bytes().ct_eq(content_sha256.to_ascii_lowercase().as_bytes())) {
        return Err(ApiError::incomplete_signature("x-acs-content-sha256 does not equal the SHA-256 of the body"));
    }

    let token = req.header("x-acs-security-token");
    let (caller, secret) = resolve_key(state, &auth.access_key_id, token.as_deref())?;
    let headers: Vec<(String, String)> = req
        .headers
        .iter()
        .filter_map(|(name, value)| value.to_str().ok().map(|v| (name.as_str().to_owned(), v.to_owned())))
        .collect();
    let canonical = v3::canonical_request(
        req.method.as_str(),
        &req.path,
        &req.query,
        &headers,
        &auth.signed_headers,
        &content_sha256,
    )
    .map_err(|e| ApiError::incomplete_signature(e.to_string()))?;
    if !v3::verify(&secret, &v3::string_to_sign(&canonical), &auth.signature) {
        return Err(ApiError::signature_does_not_match());
    }
    check_nonce(state, &auth.access_key_id, &nonce).await?;
    Ok(caller)
}

/// Finds the secret for an AccessKeyId: the root key, or an STS key whose sealed session comes with the request.
fn resolve_key(state: &AppState, access_key_id: &str, token: Option<&str>) -> Result<(Caller, String), ApiError> {
    if access_key_id.starts_with(STS_KEY_PREFIX) {
        let token = token.ok_or_else(|| {
            ApiError::incomplete_signature("temporary credentials need the SecurityToken (V1) or x-acs-security-token (V3)")
        })?;
        let claims = open_session(state.master_key(), token).map_err(|error| match error {
            SealError::UnknownKey => ApiError::security_token_malformed(),
            _ => ApiError::security_token_malformed(),
        })?;
        if !bool::from(claims.access_key_id.as_bytes().ct_eq(access_key_id.as_bytes())) {
            return Err(ApiError::security_token_malformed());
        }
        if claims.expires_at <= OffsetDateTime::now_utc().unix_timestamp() {
            return Err(ApiError::security_token_expired());
        }
        let secret = claims.access_key_secret.clone();
        return Ok((Caller::Session(Box::new(claims)), secret));
    }
    let root = state.root_access_key_id();
    if bool::from(root.as_bytes().ct_eq(access_key_id.as_bytes())) {
        return Ok((Caller::Root { access_key_id: access_key_id.to_owned() }, state.root_secret().to_owned()));
    }
    Err(ApiError::access_key_not_found())
}

fn check_time(state: &AppState, field: &str, value: &str) -> Result<(), ApiError> {
    let at = parse_iso8601(value).ok_or_else(|| ApiError::timestamp_format(field))?;
    let skew = (OffsetDateTime::now_utc() - at).abs();
    let max = state.config().max_request_skew;
    if skew > max {
        return Err(ApiError::timestamp_expired((max.as_secs() / 60) as i64));
    }
    Ok(())
}

async fn check_nonce(state: &AppState, access_key_id: &str, nonce: &str) -> Result<(), ApiError> {
    if nonce.len() > 128 {
        return Err(ApiError::incomplete_signature("SignatureNonce must be at most 128 characters"));
    }
    // A store failure rejects the request, because accepting it could accept a replay.
    if state.nonces().first_use(access_key_id, nonce).await.map_err(crate::registry::store_failure)? {
        Ok(())
    } else {
        Err(ApiError::signature_nonce_used())
    }
}
