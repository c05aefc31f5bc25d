//! Client actions: client applications, their secrets and their registered JWKS.
//!
//! CreateClient generates the ClientId and, when the allowed methods include a secret-based one,
//! a first secret. CreateClient and CreateClientSecret return the secret text once, in
//! `ClientSecret.Secret`; it is never stored or shown again. A client has at most 5 active secrets.

use akless_core::error::ApiError;
use akless_core::issuer::{client_jwks, new_client_id, new_secret_id, rules, AuthMethod};
use akless_core::timefmt::unix_millis;
use akless_store::{ClientRecord, ClientSecretRecord};
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use super::{authorize_action, changed, client_arn, description, page, single, store_error};
use crate::auth::Caller;
use crate::handlers::{max_items, wire_date};
use crate::rpc::dispatch::HandlerResult;
use crate::rpc::params::RpcRequest;
use crate::state::AppState;

pub(super) async fn handle(state: &AppState, req: &RpcRequest, caller: &Caller) -> HandlerResult {
    match req.action.as_str() {
        "CreateClient" => {
            authorize_action(state, req, caller, &[client_arn(state, "*")]).await?;
            return create(state, req).await;
        }
        "ListClients" => {
            authorize_action(state, req, caller, &[client_arn(state, "*")]).await?;
            let max = max_items(req, 100, 100)?;
            let listed = state.issuer().store().list_clients(req.optional("Marker"), max).await.map_err(store_error)?;
            return page("Clients", listed.items.iter().map(client_json).collect(), listed.next_marker);
        }
        _ => {}
    }

    let client_id = req.required("ClientId")?;
    rules::client_id(client_id)?;
    authorize_action(state, req, caller, &[client_arn(state, client_id)]).await?;
    let store = state.issuer().store();
    match req.action.as_str() {
        "GetClient" => single("Client", client_json(&load(state, client_id).await?)),
        "UpdateClient" => update(state, req, client_id).await,
        "DeleteClient" => {
            store.delete_client(client_id).await.map_err(store_error)?;
            changed(state);
            tracing::info!(client_id, "deleted client");
            Ok(Map::new())
        }
        "SetClientJwks" => set_jwks(state, req, client_id).await,
        "CreateClientSecret" => {
            let secret = create_secret(state, client_id).await?;
            single("ClientSecret", secret)
        }
        "ListClientSecrets" => {
            let secrets = store.list_client_secrets(client_id).await.map_err(store_error)?;
            single("ClientSecrets", Value::Array(secrets.iter().map(secret_json).collect()))
        }
        "RevokeClientSecret" => {
            let secret_id = req.required("SecretId")?;
            rules::secret_id(secret_id)?;
            let now = unix_millis(OffsetDateTime::now_utc());
            let revoked = store.revoke_client_secret(client_id, secret_id, now).await.map_err(store_error)?;
            changed(state);
            tracing::info!(client_id, secret_id, "revoked client secret");
            single("ClientSecret", secret_json(&revoked))
        }
        other => Err(ApiError::action_not_found(other, &req.version)),
    }
}

async fn create(state: &AppState, req: &RpcRequest) -> HandlerResult {
    let name = req.required("ClientName")?;
    rules::client_name("ClientName", name)?;
    let methods = match req.optional("AuthMethods") {
        Some(text) => rules::auth_methods_csv("AuthMethods", text)?,
        None => rules::DEFAULT_AUTH_METHODS.to_vec(),
    };
    let lifetime = match req.optional_u32("AccessTokenLifetime")? {
        Some(seconds) => rules::access_token_lifetime("AccessTokenLifetime", seconds)?,
        None => rules::DEFAULT_ACCESS_TOKEN_LIFETIME_SECS,
    };
    let jwks = req.optional("Jwks").map(normalized_jwks).transpose()?.unwrap_or_default();
    let description = description(req, "Description")?.unwrap_or_default();

    let now = unix_millis(OffsetDateTime::now_utc());
    let record = ClientRecord {
        client_id: new_client_id(),
        name: name.to_owned(),
        description,
        auth_methods: methods.iter().map(|m| m.as_str().to_owned()).collect(),
        access_token_lifetime_secs: lifetime,
        jwks,
        created_ms: now,
        updated_ms: now,
    };
    state.issuer().store().create_client(&record, rules::MAX_CLIENTS).await.map_err(store_error)?;
    changed(state);
    tracing::info!(client_id = %record.client_id, "created client");

    let mut fields = Map::new();
    fields.insert("Client".into(), client_json(&record));
    if methods.iter().any(|m| m.uses_secret()) {
        // NOTE: the client and its first secret are stored in two transactions. If the second fails,
        // the client exists without a secret and CreateClientSecret adds one.
        fields.insert("ClientSecret".into(), create_secret(state, &record.client_id).await?);
    }
    Ok(fields)
}

async fn update(state: &AppState, req: &RpcRequest, client_id: &str) -> HandlerResult {
    let name = req
        .optional("NewClientName")
        .map(|text| rules::client_name("NewClientName", text).map(|()| text))
        .transpose()?;
    let methods =
        req.optional("NewAuthMethods").map(|text| rules::auth_methods_csv("NewAuthMethods", text)).transpose()?;
    let lifetime = req
        .optional_u32("NewAccessTokenLifetime")?
        .map(|seconds| rules::access_token_lifetime("NewAccessTokenLifetime", seconds))
        .transpose()?;
    let new_description = description(req, "NewDescription")?;
    modify(state, client_id, |record| {
        if let Some(name) = name {
            record.name = name.to_owned();
        }
        if let Some(methods) = &methods {
            record.auth_methods = methods.iter().map(|m| m.as_str().to_owned()).collect();
        }
        if let Some(lifetime) = lifetime {
            record.access_token_lifetime_secs = lifetime;
        }
        if let Some(text) = new_description {
            record.description = text;
        }
    })
    .await
}

async fn set_jwks(state: &AppState, req: &RpcRequest, client_id: &str) -> HandlerResult {
    let jwks = normalized_jwks(req.required("Jwks")?)?;
    modify(state, client_id, |record| record.jwks = jwks).await
}

/// Loads a client, applies `change`, stores it and returns the stored client.
async fn modify(state: &AppState, client_id: &str, change: impl FnOnce(&mut ClientRecord)) -> HandlerResult {
    let _guard = state.registry().write_lock().await?;
    let mut record = load(state, client_id).await?;
    change(&mut record);
    record.updated_ms = unix_millis(OffsetDateTime::now_utc());
    let stored = state.issuer().store().update_client(&record).await.map_err(store_error)?;
    changed(state);
    tracing::info!(client_id, "updated client");
    single("Client", client_json(&stored))
}

/// Checks a JWKS document and returns it compacted, or an empty string when it has no keys.
fn normalized_jwks(text: &str) -> Result<String, ApiError> {
    if client_jwks(text)?.is_empty() {
        return Ok(String::new());
    }
    // client_jwks accepted the text as a JSON object, so it parses again here.
    let value: Value =
        serde_json::from_str(text).map_err(|_| ApiError::invalid_parameter("Jwks", "it must be JSON"))?;
    Ok(value.to_string())
}

/// Generates and stores a secret and returns it with its text, the only time the text is shown.
async fn create_secret(state: &AppState, client_id: &str) -> Result<Value, ApiError> {
    let secret_id = new_secret_id();
    let generated = state.issuer().secrets().generate(client_id, &secret_id);
    let record = ClientSecretRecord {
        secret_id: secret_id.clone(),
        client_id: client_id.to_owned(),
        seed: generated.seed,
        created_ms: unix_millis(OffsetDateTime::now_utc()),
        revoked_ms: None,
    };
    state.issuer().store().create_client_secret(&record, rules::MAX_ACTIVE_SECRETS).await.map_err(store_error)?;
    changed(state);
    tracing::info!(client_id, secret_id = %secret_id, "created client secret");
    let mut value = secret_json(&record);
    value["Secret"] = Value::String(generated.secret);
    Ok(value)
}

async fn load(state: &AppState, client_id: &str) -> Result<ClientRecord, ApiError> {
    state
        .issuer()
        .store()
        .get_client(client_id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::entity_not_exist("Client", client_id))
}

/// Renders a client. `Jwks` is the registered JWKS object, or null.
fn client_json(record: &ClientRecord) -> Value {
    let jwks =
        if record.jwks.is_empty() { Value::Null } else { serde_json::from_str(&record.jwks).unwrap_or(Value::Null) };
    let methods: Vec<&str> =
        record.auth_methods.iter().filter(|m| m.parse::<AuthMethod>().is_ok()).map(String::as_str).collect();
    json!({
        "ClientId": record.client_id,
        "ClientName": record.name,
        "Description": record.description,
        "AuthMethods": methods,
        "AccessTokenLifetime": record.access_token_lifetime_secs,
        "Jwks": jwks,
        "CreateDate": wire_date(record.created_ms),
        "UpdateDate": wire_date(record.updated_ms),
    })
}

/// Renders a secret without its text: `Status` is `Active` or `Revoked`, `RevokeDate` only when revoked.
fn secret_json(record: &ClientSecretRecord) -> Value {
    let mut value = json!({
        "SecretId": record.secret_id,
        "ClientId": record.client_id,
        "Status": if record.revoked_ms.is_some() { "Revoked" } else { "Active" },
        "CreateDate": wire_date(record.created_ms),
    });
    if let Some(revoked) = record.revoked_ms {
        value["RevokeDate"] = Value::String(wire_date(revoked));
    }
    value
}
