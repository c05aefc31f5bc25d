//! The akless issuer API, Version `2026-12-01`: admin actions for the M2M token issuer.
//!
//! Signed like the RAM and IMS actions (root AccessKey, or STS credentials whose role policies allow
//! `akless:<Action>` on the resource). Resource ARNs:
//! - `acs:akless::<account>:resource-server/<ResourceServerName>`;
//! - `acs:akless::<account>:client/<ClientId>` (`client/*` for CreateClient and ListClients);
//! - grant actions need both the client and the resource server ARN;
//! - `acs:akless::<account>:signing-key/*` for RotateSigningKey and ListSigningKeys;
//! - `acs:akless::<account>:issuer` for GetIssuer.
//!
//! Actions and parameters (limits in [`akless_core::issuer::rules`]):
//! - CreateResourceServer: ResourceServerName, Identifier, Permissions (comma-separated), Description?
//! - GetResourceServer, DeleteResourceServer: ResourceServerName
//! - ListResourceServers: Marker?, MaxItems? (1 to 100, default 100)
//! - UpdateResourceServer: ResourceServerName, NewPermissions?, NewDescription?
//! - CreateClient: ClientName, AuthMethods?, AccessTokenLifetime?, Description?, Jwks?
//! - GetClient, DeleteClient: ClientId
//! - ListClients: Marker?, MaxItems?
//! - UpdateClient: ClientId, NewClientName?, NewAuthMethods?, NewAccessTokenLifetime?, NewDescription?
//! - SetClientJwks: ClientId, Jwks (`{"keys":[]}` removes every key)
//! - CreateClientSecret, ListClientSecrets: ClientId
//! - RevokeClientSecret: ClientId, SecretId
//! - CreateGrant, UpdateGrant: ClientId, ResourceServerName, Permissions
//! - GetGrant, DeleteGrant: ClientId, ResourceServerName
//! - ListGrants: ClientId?, ResourceServerName?, Marker?, MaxItems?
//! - RotateSigningKey: Algorithm? (ES256 or RS256, default that of the newest key), ActivationDelay?
//!   (seconds, 0 to 86400, default 60)
//! - ListSigningKeys, GetIssuer: no parameters

mod clients;
mod grants;
mod resource_servers;
mod signing_keys;

use akless_core::error::ApiError;
use akless_store::StoreError;
use serde_json::{Map, Value};

use crate::auth::{authorize, Caller};
use crate::rpc::dispatch::HandlerResult;
use crate::rpc::params::RpcRequest;
use crate::state::AppState;

/// Resource server actions.
const RESOURCE_SERVER_ACTIONS: &[&str] = &[
    "CreateResourceServer",
    "GetResourceServer",
    "ListResourceServers",
    "UpdateResourceServer",
    "DeleteResourceServer",
];
/// Client and client secret actions.
const CLIENT_ACTIONS: &[&str] = &[
    "CreateClient",
    "GetClient",
    "ListClients",
    "UpdateClient",
    "DeleteClient",
    "SetClientJwks",
    "CreateClientSecret",
    "ListClientSecrets",
    "RevokeClientSecret",
];
/// Grant actions.
const GRANT_ACTIONS: &[&str] = &["CreateGrant", "GetGrant", "ListGrants", "UpdateGrant", "DeleteGrant"];
/// Signing key and issuer actions.
const KEY_ACTIONS: &[&str] = &["RotateSigningKey", "ListSigningKeys", "GetIssuer"];

/// Tells whether `action` is an action of this version.
pub fn is_action(action: &str) -> bool {
    [RESOURCE_SERVER_ACTIONS, CLIENT_ACTIONS, GRANT_ACTIONS, KEY_ACTIONS]
        .iter()
        .any(|actions| actions.contains(&action))
}

/// Runs one issuer action.
pub async fn handle(state: &AppState, req: &RpcRequest, caller: &Caller) -> HandlerResult {
    let action = req.action.as_str();
    if RESOURCE_SERVER_ACTIONS.contains(&action) {
        resource_servers::handle(state, req, caller).await
    } else if CLIENT_ACTIONS.contains(&action) {
        clients::handle(state, req, caller).await
    } else if GRANT_ACTIONS.contains(&action) {
        grants::handle(state, req, caller).await
    } else if KEY_ACTIONS.contains(&action) {
        signing_keys::handle(state, req, caller).await
    } else {
        Err(ApiError::action_not_found(action, &req.version))
    }
}

/// Checks that the caller may perform `akless:<Action>` on every resource in `resources`.
async fn authorize_action(
    state: &AppState,
    req: &RpcRequest,
    caller: &Caller,
    resources: &[String],
) -> Result<(), ApiError> {
    let permission = format!("akless:{}", req.action);
    authorize(state, caller, req, &permission, resources).await.map(|_| ())
}

/// Returns `acs:akless::<account>:resource-server/<name>`.
fn resource_server_arn(state: &AppState, name: &str) -> String {
    format!("acs:akless::{}:resource-server/{name}", state.account_id())
}

/// Returns `acs:akless::<account>:client/<client_id>`.
fn client_arn(state: &AppState, client_id: &str) -> String {
    format!("acs:akless::{}:client/{client_id}", state.account_id())
}

/// Maps a store error to its API error, as every handler does.
fn store_error(error: StoreError) -> ApiError {
    super::store_error(error)
}

/// Drops the issuer's caches after a write, so the next token request reads the change.
fn changed(state: &AppState) {
    state.issuer().invalidate();
}

/// Builds a response with one field.
fn single(name: &str, value: Value) -> HandlerResult {
    let mut fields = Map::new();
    fields.insert(name.to_owned(), value);
    Ok(fields)
}

/// Builds a list response: the items under `name`, `IsTruncated` and the next `Marker`.
fn page(name: &str, items: Vec<Value>, next_marker: Option<String>) -> HandlerResult {
    let mut fields = Map::new();
    fields.insert(name.to_owned(), Value::Array(items));
    fields.insert("IsTruncated".into(), Value::Bool(next_marker.is_some()));
    fields.insert("Marker".into(), Value::String(next_marker.unwrap_or_default()));
    Ok(fields)
}

/// Reads an optional description parameter with the common rule.
fn description(req: &RpcRequest, field: &str) -> Result<Option<String>, ApiError> {
    match req.params.get(field) {
        Some(text) => {
            akless_core::validate::description(field, text, akless_core::issuer::rules::MAX_DESCRIPTION_CHARS)?;
            Ok(Some(text.clone()))
        }
        None => Ok(None),
    }
}
