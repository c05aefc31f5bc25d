//! STS 2015-04-01: AssumeRoleWithOIDC (anonymous) and GetCallerIdentity (signed).
//!
//! AssumeRoleWithOIDC checks in a fixed order, and each failure has its own
//! code: parameters, provider and role, token format, issuer, keys,
//! signature, time claims, audience, trust policy. Every attempt is audited.

use std::str::FromStr;

use akless_core::arn::{assumed_role_arn, assumed_role_user_arn, root_arn, Arn};
use akless_core::error::ApiError;
use akless_core::jose::parse_compact;
use akless_core::mint::{mint, MintRequest};
use akless_core::policy::{compile, PolicyKind};
use akless_core::timefmt::{iso8601, unix_millis};
use akless_core::token::{check_issuer, select_key, verify, ProviderRules};
use akless_core::trust::evaluate_oidc_trust;
use akless_core::validate;
use akless_store::AuditRecord;
use serde::Serialize;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::rpc::dispatch::HandlerResult;
use crate::rpc::params::RpcRequest;
use crate::state::AppState;

/// Default `DurationSeconds`.
pub const DEFAULT_DURATION_SECS: u32 = 3600;
/// Smallest `DurationSeconds`.
pub const MIN_DURATION_SECS: u32 = 900;
/// Largest `MaxSessionDuration` a role can have, so the largest `DurationSeconds`.
pub const MAX_DURATION_SECS: u32 = 43_200;
/// Maximum length, in characters, of a claim value copied into an audit record.
const MAX_AUDIT_CLAIM_CHARS: usize = 256;

/// The success body of AssumeRoleWithOIDC, in the shape of Alibaba Cloud STS. It is serialized
/// straight from these fields, without building a JSON tree first.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExchangeResponse {
    credentials: CredentialsBody,
    assumed_role_user: AssumedRoleUserBody,
    #[serde(rename = "OIDCTokenInfo")]
    oidc_token_info: OidcTokenInfoBody,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CredentialsBody {
    access_key_id: String,
    access_key_secret: String,
    security_token: String,
    expiration: String,
}

// The secret and the token stay out of debug output.
impl std::fmt::Debug for CredentialsBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsBody")
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct AssumedRoleUserBody {
    arn: String,
    assumed_role_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct OidcTokenInfoBody {
    subject: String,
    issuer: String,
    client_ids: String,
    expiration_time: String,
    issuance_time: String,
    verification_info: &'static str,
}

/// The facts of one exchange attempt that go into its audit record.
#[derive(Default)]
struct Attempt {
    provider_arn: Option<String>,
    role_arn: Option<String>,
    subject: Option<String>,
    jti: Option<String>,
}

/// Exchanges an OIDC token for temporary credentials.
pub async fn assume_role_with_oidc(state: &AppState, req: &RpcRequest) -> Result<ExchangeResponse, ApiError> {
    let mut attempt = Attempt::default();
    let result = exchange(state, req, &mut attempt).await;
    let (outcome, error_code, failed_check) = match &result {
        Ok(_) => ("Success", None, None),
        Err(error) => ("Failure", Some(error.code.to_string()), Some(failed_check(&error.code).to_owned())),
    };
    // A success goes to the audit trail only, because logging it too would cost a write per exchange.
    // Failures are logged at info with their code, so an operator sees them without querying the trail.
    if result.is_ok() {
        tracing::debug!(
            role = attempt.role_arn.as_deref().unwrap_or(""),
            provider = attempt.provider_arn.as_deref().unwrap_or(""),
            outcome,
            "AssumeRoleWithOIDC"
        );
    } else {
        tracing::info!(
            role = attempt.role_arn.as_deref().unwrap_or(""),
            provider = attempt.provider_arn.as_deref().unwrap_or(""),
            outcome,
            code = error_code.as_deref().unwrap_or(""),
            "AssumeRoleWithOIDC"
        );
    }
    state.audit().record(AuditRecord {
        id: 0,
        time_ms: unix_millis(OffsetDateTime::now_utc()),
        request_id: req.request_id.clone(),
        source_ip: req.source_ip.map(|ip| ip.to_string()).unwrap_or_default(),
        action: "AssumeRoleWithOIDC".to_owned(),
        provider_arn: attempt.provider_arn,
        role_arn: attempt.role_arn,
        subject: attempt.subject,
        jti: attempt.jti,
        outcome: outcome.to_owned(),
        error_code,
        failed_check,
    });
    result
}

/// Names the validation step an error code belongs to, for the audit record.
fn failed_check(code: &str) -> &'static str {
    match code {
        "AuthenticationFail.OIDCToken.Invalid" => "token-format",
        "AuthenticationFail.OIDCToken.IssuerNotMatch" => "issuer",
        "AuthenticationFail.OIDCToken.HttpsUrlInvalid" => "keys",
        "AuthenticationFail.OIDCToken.InvalidSignature" => "signature",
        "AuthenticationFail.OIDCToken.Expired" => "time",
        "AuthenticationFail.OIDCToken.AudienceNotMatch" => "audience",
        "AuthenticationFail.NoPermission" => "provider-or-trust",
        "EntityNotExist.Role" => "role",
        c if c.starts_with("InvalidParameter") || c == "MissingParameter" => "parameters",
        _ => "internal",
    }
}

async fn exchange(state: &AppState, req: &RpcRequest, attempt: &mut Attempt) -> Result<ExchangeResponse, ApiError> {
    // 1. Parameters.
    let provider_arn_text = req.required("OIDCProviderArn")?;
    let role_arn_text = req.required("RoleArn")?;
    attempt.provider_arn = Some(truncate(provider_arn_text));
    attempt.role_arn = Some(truncate(role_arn_text));
    let token = req.required("OIDCToken")?;
    let token = validate::oidc_token(token)?;
    let session_name = req.required("RoleSessionName")?;
    validate::role_session_name(session_name)?;
    let session_policy = match req.optional("Policy") {
        Some(document) => {
            validate::session_policy(document)?;
            compile(document, PolicyKind::Permission).map_err(|e| e.to_api_error("Policy"))?;
            Some(document)
        }
        None => None,
    };
    let duration = req.optional_u32("DurationSeconds")?.unwrap_or(DEFAULT_DURATION_SECS);
    validate::duration_seconds(duration, MAX_DURATION_SECS)?;
    let provider_arn = Arn::from_str(provider_arn_text)
        .map_err(|e| ApiError::invalid_parameter("OIDCProviderArn", format!("{e}; use acs:ram::<account>:oidc-provider/<name>")))?;
    let role_arn = Arn::from_str(role_arn_text)
        .map_err(|e| ApiError::invalid_parameter("RoleArn", format!("{e}; use acs:ram::<account>:role/<name>")))?;
    check_name_in_arn(&provider_arn, "OIDCProviderArn", "oidc-provider/", validate::oidc_provider_name)?;
    check_name_in_arn(&role_arn, "RoleArn", "role/", validate::role_name)?;

    // 2. Provider and role exist in this account.
    let account = state.account_id();
    let provider_name = match provider_arn.resource.strip_prefix("oidc-provider/") {
        Some(name) if provider_arn.service == "ram" && provider_arn.account == account => name,
        _ => return Err(ApiError::no_such_oidc_provider()),
    };
    let provider = state
        .registry()
        .provider(provider_name)
        .await
        .map_err(crate::registry::store_failure)?
        .ok_or_else(ApiError::no_such_oidc_provider)?;
    let role_name = match role_arn.resource.strip_prefix("role/") {
        Some(name) if role_arn.service == "ram" && role_arn.account == account => name,
        _ => return Err(ApiError::entity_not_exist("Role", role_arn_text)),
    };
    let role = state
        .registry()
        .role(role_name)
        .await?
        .ok_or_else(|| ApiError::entity_not_exist("Role", role_arn_text))?;
    validate::duration_seconds(duration, role.record.max_session_duration)?;

    // 3-4. Token format and issuer.
    let jws = parse_compact(token).map_err(|e| e.to_api_error())?;
    check_issuer(&jws, &provider.issuer_url).map_err(|e| e.to_api_error())?;

    // 5. Keys over pinned TLS.
    let kid = jws.header().kid.as_deref();
    let keys = state.jwks().keys(&provider.issuer_url, &provider.fingerprints, kid).await.map_err(|e| {
        tracing::warn!(provider = %provider.arn, error = %e, "fetching issuer keys failed");
        e.to_api_error()
    })?;
    let key = select_key(&jws, &keys).map_err(|e| e.to_api_error())?;

    // 6-8. Signature, time claims, audience.
    let rules = ProviderRules {
        issuer_url: &provider.issuer_url,
        client_ids: &provider.client_ids,
        issuance_limit_hours: provider.issuance_limit_hours,
        leeway_secs: state.config().token_leeway.as_secs() as i64,
    };
    let now = OffsetDateTime::now_utc();
    let verified = verify(&jws, key, &rules, now).map_err(|e| e.to_api_error())?;
    // Claims reach the audit record only once the signature holds, so a forged token cannot write records under another subject.
    attempt.subject = Some(truncate(verified.subject()));
    attempt.jti = verified.jti().map(truncate);

    // 9. Trust policy.
    let decision = evaluate_oidc_trust(&role.trust, &provider.arn, &role.record.arn, &verified)
        .map_err(|denial| denial.to_api_error())?;

    let credentials = mint(
        &verified,
        &decision,
        &MintRequest {
            account_id: account,
            role_id: &role.record.role_id,
            role_name: &role.record.name,
            role_arn: &role.record.arn,
            provider_arn: &provider.arn,
            session_name,
            duration_secs: duration,
            session_policy,
            now,
        },
        state.master_key(),
    )
    .map_err(|error| {
        tracing::error!(%error, role = %role.record.arn, "minting credentials failed");
        ApiError::internal()
    })?;

    Ok(ExchangeResponse {
        credentials: CredentialsBody {
            access_key_id: credentials.access_key_id,
            access_key_secret: credentials.access_key_secret,
            security_token: credentials.security_token,
            expiration: iso8601(credentials.expiration),
        },
        assumed_role_user: AssumedRoleUserBody {
            arn: assumed_role_user_arn(account, &role.record.name, session_name),
            assumed_role_id: format!("{}:{}", role.record.role_id, session_name),
        },
        oidc_token_info: OidcTokenInfoBody {
            subject: verified.subject().to_owned(),
            issuer: verified.issuer().to_owned(),
            client_ids: verified.audiences().join(","),
            expiration_time: iso8601(verified.expires_at()),
            issuance_time: iso8601(verified.issued_at()),
            verification_info: "Success",
        },
    })
}

/// Rejects a RAM ARN with a region, or whose name after `prefix` breaks the naming rule, because no
/// stored entity can match it. ARNs of other services or kinds pass here and fail the lookup.
fn check_name_in_arn(
    arn: &Arn,
    field: &str,
    prefix: &str,
    rule: fn(&str) -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    if arn.service == "ram" && !arn.region.is_empty() {
        let message = format!("RAM ARNs have an empty region; use acs:ram::<account>:{prefix}<name>");
        return Err(ApiError::invalid_parameter(field, message));
    }
    let Some(name) = arn.resource.strip_prefix(prefix) else {
        return Ok(());
    };
    if let Err(error) = rule(name) {
        // The rule's own message starts with "The parameter <Name> is invalid: ", so only the rule after it is kept.
        let detail = error.message.split_once(": ").map_or(error.message.as_str(), |(_, rule)| rule);
        let message = format!("the name after {prefix} breaks its rule: {detail}; use acs:ram::<account>:{prefix}<name>");
        return Err(ApiError::invalid_parameter(field, message));
    }
    Ok(())
}

fn truncate(value: &str) -> String {
    value.chars().take(MAX_AUDIT_CLAIM_CHARS).collect()
}

/// Describes the caller of a signed request.
pub async fn get_caller_identity(state: &AppState, caller: &Caller) -> HandlerResult {
    let account = state.account_id();
    let body = match caller {
        Caller::Root { .. } => json!({
            "AccountId": account,
            "UserId": account,
            "PrincipalId": account,
            "Arn": root_arn(account),
            "IdentityType": "Account",
        }),
        Caller::Session(claims) => json!({
            "AccountId": account,
            "RoleId": claims.role_id,
            "PrincipalId": format!("{}:{}", claims.role_id, claims.session_name),
            "Arn": assumed_role_arn(account, &claims.role_name, &claims.session_name),
            "IdentityType": "AssumedRoleUser",
        }),
    };
    match body {
        Value::Object(fields) => Ok(fields),
        _ => Err(ApiError::internal()),
    }
}
