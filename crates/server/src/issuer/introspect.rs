//! Token introspection (RFC 7662) and revocation (RFC 7009) for authenticated clients.
//!
//! A client sees and revokes only tokens issued to itself: introspecting another client's token
//! reports it inactive, so clients cannot probe each other's tokens, and revoking one is refused
//! with `unauthorized_client` (RFC 7009 section 2.1).
//!
//! NOTE: revocation is recorded for introspection only. A verifier that checks the JWT itself,
//! AssumeRoleWithOIDC included, accepts the token until its `exp`, as with any JWT access token.

use akless_core::issuer::{parse_access_token, ActiveAccessToken, OAuthError, OAuthErrorCode, MAX_ACCESS_TOKEN_CHARS};
use akless_core::timefmt::unix_millis;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::client_auth::{authenticate, Attempt};
use super::form::FormRequest;
use super::{new_request_id, response, Issuer};
use crate::state::AppState;

/// Handles `POST {issuer}/introspect`.
pub async fn introspect(State(state): State<AppState>, request: Request) -> Response {
    let request_id = new_request_id();
    match introspect_inner(state.issuer(), request).await {
        Ok(body) => response::no_store_json(&request_id, body),
        Err(error) => {
            tracing::info!(request_id = %request_id, error = %error.code.as_str(), "issuer introspection rejected");
            response::error(&request_id, &error)
        }
    }
}

/// Handles `POST {issuer}/revoke`.
pub async fn revoke(State(state): State<AppState>, request: Request) -> Response {
    let request_id = new_request_id();
    match revoke_inner(state.issuer(), request).await {
        Ok(()) => {
            let mut response = axum::http::StatusCode::OK.into_response();
            response
                .headers_mut()
                .insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => {
            tracing::info!(request_id = %request_id, error = %error.code.as_str(), "issuer revocation rejected");
            response::error(&request_id, &error)
        }
    }
}

async fn introspect_inner(issuer: &Issuer, request: Request) -> Result<Value, OAuthError> {
    let form = FormRequest::read(request).await?;
    let mut attempt = Attempt::default();
    let authenticated = authenticate(issuer, &form, &issuer.urls().introspection_endpoint, &mut attempt).await?;
    let token = form.required("token")?;
    let now = OffsetDateTime::now_utc();
    let Some(active) = verify(issuer, token, now) else {
        return Ok(inactive());
    };
    if active.client_id != authenticated.client.record.client_id || is_revoked(issuer, &active, now).await? {
        return Ok(inactive());
    }
    Ok(json!({
        "active": true,
        "scope": active.scope,
        "client_id": active.client_id,
        "token_type": "Bearer",
        "exp": active.expires_at,
        "iat": active.issued_at,
        "nbf": active.not_before,
        "sub": active.subject,
        "aud": active.audience.first(),
        "iss": active.issuer,
        "jti": active.jti,
    }))
}

async fn revoke_inner(issuer: &Issuer, request: Request) -> Result<(), OAuthError> {
    let form = FormRequest::read(request).await?;
    let mut attempt = Attempt::default();
    let authenticated = authenticate(issuer, &form, &issuer.urls().revocation_endpoint, &mut attempt).await?;
    let token = form.required("token")?;
    let now = OffsetDateTime::now_utc();
    // RFC 7009 section 2.2: an invalid or expired token needs no revocation, so the response is 200.
    let Some(active) = verify(issuer, token, now) else {
        return Ok(());
    };
    if active.client_id != authenticated.client.record.client_id {
        return Err(OAuthError::new(
            OAuthErrorCode::UnauthorizedClient,
            "the token was issued to another client; a client may revoke only its own tokens",
        ));
    }
    issuer
        .store()
        .revoke_access_token(&active.jti, active.expires_at.saturating_mul(1000), unix_millis(now))
        .await
        .map_err(|error| {
            tracing::error!(%error, "recording a revoked access token failed");
            OAuthError::server_error()
        })?;
    tracing::info!(client_id = %active.client_id, jti = %active.jti, "revoked an access token");
    Ok(())
}

/// Verifies a presented token with the published key of its `kid`; `None` for any defect.
fn verify(issuer: &Issuer, token: &str, now: OffsetDateTime) -> Option<ActiveAccessToken> {
    if token.len() > MAX_ACCESS_TOKEN_CHARS {
        return None;
    }
    let parsed = parse_access_token(token).ok()?;
    let key = issuer.keys().find(parsed.kid()?, unix_millis(now))?;
    parsed.verify(key.key.public_key(), &issuer.urls().issuer, now)
}

async fn is_revoked(issuer: &Issuer, active: &ActiveAccessToken, now: OffsetDateTime) -> Result<bool, OAuthError> {
    issuer.store().is_access_token_revoked(&active.jti, unix_millis(now)).await.map_err(|error| {
        tracing::error!(%error, "reading the revoked access tokens failed");
        OAuthError::server_error()
    })
}

fn inactive() -> Value {
    json!({ "active": false })
}
