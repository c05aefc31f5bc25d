//! The token endpoint: `grant_type=client_credentials` with one audience per token.
//!
//! Order of checks, each with its own error: form shape (`invalid_request`), `grant_type`
//! (`invalid_request` when missing, `unsupported_grant_type` otherwise), client authentication
//! (`invalid_client`), `scope` grammar (`invalid_scope`), a grant on the audience (`invalid_grant`),
//! and the requested permissions within the grant (`invalid_scope`). A known client costs no store
//! read, except the `jti` check of a client assertion, which must reach the shared store.

use akless_core::issuer::{
    issue_access_token, parse_scope, token_response, AccessTokenRequest, IssuedAccessToken, OAuthError, OAuthErrorCode,
};
use akless_core::timefmt::unix_millis;
use akless_store::AuditRecord;
use axum::extract::{Request, State};
use axum::response::Response;
use time::OffsetDateTime;

use super::client_auth::{authenticate, Attempt};
use super::form::FormRequest;
use super::{new_request_id, response, Issuer};
use crate::state::AppState;

/// Audit action name of token requests.
pub const AUDIT_ACTION: &str = "IssueAccessToken";

/// Handles `POST {issuer}/token`.
pub async fn handle(State(state): State<AppState>, request: Request) -> Response {
    let request_id = new_request_id();
    let source_ip = request.extensions().get::<crate::serve::ConnInfo>().map(|info| info.peer.ip().to_string());
    let mut attempt = Attempt::default();
    let result = issue(state.issuer(), request, &mut attempt).await;

    let (outcome, error_code, failed_check) = match &result {
        Ok(_) => ("Success", None, None),
        Err(error) => ("Failure", Some(error.code.as_str().to_owned()), Some(failed_check(error.code).to_owned())),
    };
    // Issued tokens go to the audit trail only, which saves a log write per token. Failures are logged at info.
    if result.is_ok() {
        tracing::debug!(
            request_id = %request_id,
            client_id = attempt.client_id.as_deref().unwrap_or(""),
            method = attempt.method.map(|m| m.as_str()).unwrap_or(""),
            outcome,
            "issuer token request"
        );
    } else {
        tracing::info!(
            request_id = %request_id,
            client_id = attempt.client_id.as_deref().unwrap_or(""),
            method = attempt.method.map(|m| m.as_str()).unwrap_or(""),
            outcome,
            error = error_code.as_deref().unwrap_or(""),
            "issuer token request"
        );
    }
    state.audit().record(AuditRecord {
        id: 0,
        time_ms: unix_millis(OffsetDateTime::now_utc()),
        request_id: request_id.clone(),
        source_ip: source_ip.unwrap_or_default(),
        action: AUDIT_ACTION.to_owned(),
        provider_arn: None,
        role_arn: None,
        subject: attempt.client_id.clone(),
        jti: result.as_ref().ok().map(|issued| issued.jti.clone()),
        outcome: outcome.to_owned(),
        error_code,
        failed_check,
    });

    match result {
        Ok(issued) => response::no_store_json(&request_id, token_response(&issued)),
        Err(error) => response::error(&request_id, &error),
    }
}

/// Names the check an error belongs to, for the audit record.
fn failed_check(code: OAuthErrorCode) -> &'static str {
    match code {
        OAuthErrorCode::InvalidRequest => "request",
        OAuthErrorCode::UnsupportedGrantType => "grant-type",
        OAuthErrorCode::InvalidClient => "client-authentication",
        OAuthErrorCode::InvalidScope => "scope",
        OAuthErrorCode::InvalidGrant => "grant",
        _ => "internal",
    }
}

async fn issue(issuer: &Issuer, request: Request, attempt: &mut Attempt) -> Result<IssuedAccessToken, OAuthError> {
    let form = FormRequest::read(request).await?;
    match form.required("grant_type")? {
        "client_credentials" => {}
        other => {
            let shown = if other.len() <= 64 && other.bytes().all(|b| b.is_ascii_graphic()) { other } else { "given" };
            return Err(OAuthError::new(
                OAuthErrorCode::UnsupportedGrantType,
                format!("the grant_type {shown} is not supported; use client_credentials"),
            ));
        }
    }
    let authenticated = authenticate(issuer, &form, &issuer.urls().token_endpoint, attempt).await?;
    let client = &authenticated.client;

    let scope = parse_scope(form.get("scope").unwrap_or(""))?;
    let granted = client.grants.get(&scope.audience).ok_or_else(|| {
        OAuthError::new(
            OAuthErrorCode::InvalidGrant,
            format!(
                "the client has no grant on a resource server with identifier {} (from scope); ask an administrator to create one with CreateGrant",
                shorten(&scope.audience)
            ),
        )
    })?;
    let permissions = scope.resolve(granted)?;

    let now = OffsetDateTime::now_utc();
    let signer = issuer.keys().signer(unix_millis(now)).ok_or_else(|| {
        tracing::error!("the issuer has no active signing key");
        OAuthError::server_error()
    })?;
    issue_access_token(
        &signer.key,
        &AccessTokenRequest {
            issuer: &issuer.urls().issuer,
            client_id: &client.record.client_id,
            audience: &scope.audience,
            permissions: &permissions,
            lifetime_secs: client.record.access_token_lifetime_secs,
            now,
        },
    )
    .map_err(|error| {
        tracing::error!(%error, "signing an access token failed");
        OAuthError::server_error()
    })
}

fn shorten(value: &str) -> String {
    value.chars().take(128).collect()
}
