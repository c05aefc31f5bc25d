//! IMS 2019-08-15: OIDC identity providers.
//!
//! Limits: at most 100 providers per account, 50 client IDs and 5
//! fingerprints per provider. The IssuerUrl is stored exactly as given because
//! the token's `iss` must equal it byte for byte. CreateOIDCProvider without
//! `Fingerprints` fetches the issuer's discovery document and JWKS and registers
//! the SHA-1 fingerprint of the last certificate the `jwks_uri` host presents,
//! the certificate that key fetches check.

use akless_core::arn::oidc_provider_arn;
use akless_core::error::ApiError;
use akless_core::timefmt::unix_millis;
use akless_core::validate;
use akless_store::OidcProviderRecord;
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use super::{max_items, store_error, wire_date};
use crate::auth::{authorize, Caller};
use crate::rpc::dispatch::HandlerResult;
use crate::rpc::params::RpcRequest;
use crate::state::AppState;

/// Providers per account, at most.
pub const MAX_PROVIDERS: u32 = 100;
/// Client IDs per provider, at most.
pub const MAX_CLIENT_IDS: usize = 50;
/// Fingerprints per provider, at most.
pub const MAX_FINGERPRINTS: usize = 5;
/// Default `IssuanceLimitTime`, in hours.
pub const DEFAULT_ISSUANCE_LIMIT_HOURS: u32 = 12;

/// Actions served under this version.
pub const ACTIONS: &[&str] = &[
    "CreateOIDCProvider",
    "GetOIDCProvider",
    "ListOIDCProviders",
    "UpdateOIDCProvider",
    "DeleteOIDCProvider",
    "AddClientIdToOIDCProvider",
    "RemoveClientIdFromOIDCProvider",
    "AddFingerprintToOIDCProvider",
    "RemoveFingerprintFromOIDCProvider",
];

/// Runs one IMS action.
pub async fn handle(state: &AppState, req: &RpcRequest, caller: &Caller) -> HandlerResult {
    let action = req.action.as_str();
    let permission = format!("ims:{action}");
    if action == "ListOIDCProviders" {
        let resource = oidc_provider_arn(state.account_id(), "*");
        authorize(state, caller, req, &permission, &[resource]).await?;
        return list(state, req).await;
    }

    let name = req.required("OIDCProviderName")?;
    validate::oidc_provider_name(name)?;
    let arn = oidc_provider_arn(state.account_id(), name);
    authorize(state, caller, req, &permission, &[arn.clone()]).await?;

    match action {
        "CreateOIDCProvider" => create(state, req, name, arn).await,
        "GetOIDCProvider" => provider_response(&load(state, name).await?),
        "UpdateOIDCProvider" => update(state, req, name).await,
        "DeleteOIDCProvider" => {
            state.registry().store().delete_oidc_provider(name).await.map_err(store_error)?;
            state.registry().invalidate();
            tracing::info!(provider = %arn, "deleted OIDC provider");
            Ok(Map::new())
        }
        "AddClientIdToOIDCProvider" => {
            let client_id = req.required("ClientId")?;
            validate::client_id(client_id)?;
            modify(state, name, |p| {
                if p.client_ids.iter().any(|c| c == client_id) {
                    return Err(ApiError::entity_already_exists("OIDCProvider.ClientId", format!("\"{client_id}\"")));
                }
                if p.client_ids.len() >= MAX_CLIENT_IDS {
                    return Err(ApiError::limit_exceeded(
                        "OIDCProvider.ClientId",
                        MAX_CLIENT_IDS as u32,
                        "client IDs of the OIDC provider",
                    ));
                }
                p.client_ids.push(client_id.to_owned());
                Ok(())
            })
            .await
        }
        "RemoveClientIdFromOIDCProvider" => {
            let client_id = req.required("ClientId")?;
            modify(state, name, |p| {
                let before = p.client_ids.len();
                p.client_ids.retain(|c| c != client_id);
                if p.client_ids.len() == before {
                    return Err(ApiError::entity_not_exist("OIDCProvider.ClientId", client_id));
                }
                Ok(())
            })
            .await
        }
        "AddFingerprintToOIDCProvider" => {
            let fingerprint = validate::fingerprint(req.required("Fingerprint")?)?;
            modify(state, name, |p| {
                if p.fingerprints.contains(&fingerprint) {
                    return Err(ApiError::entity_already_exists("OIDCProvider.Fingerprint", format!("\"{fingerprint}\"")));
                }
                if p.fingerprints.len() >= MAX_FINGERPRINTS {
                    return Err(ApiError::limit_exceeded(
                        "OIDCProvider.Fingerprint",
                        MAX_FINGERPRINTS as u32,
                        "fingerprints of the OIDC provider",
                    ));
                }
                p.fingerprints.push(fingerprint.clone());
                Ok(())
            })
            .await
        }
        "RemoveFingerprintFromOIDCProvider" => {
            let fingerprint = validate::fingerprint(req.required("Fingerprint")?)?;
            modify(state, name, |p| {
                let before = p.fingerprints.len();
                p.fingerprints.retain(|f| f != &fingerprint);
                if p.fingerprints.len() == before {
                    return Err(ApiError::entity_not_exist("OIDCProvider.Fingerprint", &fingerprint));
                }
                Ok(())
            })
            .await
        }
        _ => Err(ApiError::action_not_found(action, &req.version)),
    }
}

async fn create(state: &AppState, req: &RpcRequest, name: &str, arn: String) -> HandlerResult {
    let issuer_url = validate::issuer_url(req.required("IssuerUrl")?)?;
    let fingerprints = match req.optional("Fingerprints") {
        Some(text) => validate::fingerprints_csv(text)?,
        None => vec![fetch_fingerprint(state, &issuer_url).await?],
    };
    let client_ids = match req.optional("ClientIds") {
        Some(raw) => validate::client_ids_csv(raw)?,
        None => Vec::new(),
    };
    let issuance_limit_hours = match req.optional_u32("IssuanceLimitTime")? {
        Some(hours) => validate::issuance_limit_time(hours)?,
        None => DEFAULT_ISSUANCE_LIMIT_HOURS,
    };
    let description = req.optional("Description").unwrap_or("");
    validate::description("Description", description, 256)?;

    let now = unix_millis(OffsetDateTime::now_utc());
    let record = OidcProviderRecord {
        name: name.to_owned(),
        arn: arn.clone(),
        issuer_url,
        client_ids,
        fingerprints,
        issuance_limit_hours,
        description: description.to_owned(),
        created_ms: now,
        updated_ms: now,
    };
    state.registry().store().create_oidc_provider(&record, MAX_PROVIDERS).await.map_err(store_error)?;
    state.registry().invalidate();
    tracing::info!(provider = %arn, issuer = %record.issuer_url, "created OIDC provider");
    provider_response(&record)
}

/// Reads the certificate chain that the issuer's `jwks_uri` host presents (chain, hostname and address
/// checks apply, the fingerprint check does not) and returns the fingerprint of its last certificate.
async fn fetch_fingerprint(state: &AppState, issuer_url: &str) -> Result<String, ApiError> {
    let failed = |detail: String| {
        ApiError::invalid_parameter(
            "Fingerprints",
            format!(
                "it was not given, and reading the certificate chain of the issuer failed: {detail}. Pass Fingerprints, \
                 or make the issuer reachable over HTTPS from akless"
            ),
        )
    };
    let chains = state.jwks().inspect_issuer(issuer_url).await.map_err(|error| {
        tracing::info!(issuer = %issuer_url, %error, "fetching the issuer's certificate chain failed");
        failed(error.to_string())
    })?;
    let fingerprint = chains
        .jwks
        .last_fingerprint()
        .map(str::to_owned)
        .ok_or_else(|| failed(String::from("the jwks_uri host presented no certificate")))?;
    tracing::info!(issuer = %issuer_url, jwks_uri = %chains.jwks_uri, %fingerprint, "registered the fingerprint the issuer presents");
    Ok(fingerprint)
}

async fn update(state: &AppState, req: &RpcRequest, name: &str) -> HandlerResult {
    let client_ids = req.optional("ClientIds").map(validate::client_ids_csv).transpose()?;
    let hours = req.optional_u32("IssuanceLimitTime")?.map(validate::issuance_limit_time).transpose()?;
    let description = req.params.get("NewDescription").map(String::as_str);
    if let Some(text) = description {
        validate::description("NewDescription", text, 256)?;
    }
    modify(state, name, |p| {
        if let Some(ids) = client_ids {
            p.client_ids = ids;
        }
        if let Some(hours) = hours {
            p.issuance_limit_hours = hours;
        }
        if let Some(text) = description {
            p.description = text.to_owned();
        }
        Ok(())
    })
    .await
}

/// Loads a provider, applies `change`, stores it and returns the updated provider.
async fn modify(
    state: &AppState,
    name: &str,
    change: impl FnOnce(&mut OidcProviderRecord) -> Result<(), ApiError>,
) -> HandlerResult {
    let _guard = state.registry().write_lock().await?;
    let mut record = load(state, name).await?;
    change(&mut record)?;
    record.updated_ms = unix_millis(OffsetDateTime::now_utc());
    state.registry().store().update_oidc_provider(&record).await.map_err(store_error)?;
    state.registry().invalidate();
    tracing::info!(provider = %record.arn, "updated OIDC provider");
    provider_response(&record)
}

async fn load(state: &AppState, name: &str) -> Result<OidcProviderRecord, ApiError> {
    state
        .registry()
        .store()
        .get_oidc_provider(name)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::entity_not_exist("OIDCProvider", name))
}

async fn list(state: &AppState, req: &RpcRequest) -> HandlerResult {
    let max = max_items(req, 100, 100)?;
    let page = state.registry().store().list_oidc_providers(req.optional("Marker"), max).await.map_err(store_error)?;
    let items: Vec<Value> = page.items.iter().map(provider_json).collect();
    let mut fields = Map::new();
    fields.insert("IsTruncated".into(), Value::Bool(page.next_marker.is_some()));
    fields.insert("Marker".into(), Value::String(page.next_marker.unwrap_or_default()));
    fields.insert("OIDCProviders".into(), json!({ "OIDCProvider": items }));
    Ok(fields)
}

fn provider_response(record: &OidcProviderRecord) -> HandlerResult {
    let mut fields = Map::new();
    fields.insert("OIDCProvider".into(), provider_json(record));
    Ok(fields)
}

/// Renders a provider with the field names of the official SDK models.
pub fn provider_json(p: &OidcProviderRecord) -> Value {
    json!({
        "Arn": p.arn,
        "OIDCProviderName": p.name,
        "IssuerUrl": p.issuer_url,
        "ClientIds": p.client_ids.join(","),
        "Fingerprints": p.fingerprints.join(","),
        "IssuanceLimitTime": p.issuance_limit_hours,
        "Description": p.description,
        "CreateDate": wire_date(p.created_ms),
        "UpdateDate": wire_date(p.updated_ms),
        "GmtCreate": p.created_ms.to_string(),
        "GmtModified": p.updated_ms.to_string(),
    })
}
