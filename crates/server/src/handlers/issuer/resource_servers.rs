//! Resource server actions: the APIs tokens are issued for, with their audience and permissions.
//!
//! The name and the Identifier cannot change, because grants and tokens refer to the one and OIDC
//! providers list the other as a client ID. Removing a permission that a grant still contains, and
//! deleting a resource server that has grants, fail with `DeleteConflict.*.Client`.

use akless_core::error::ApiError;
use akless_core::issuer::rules;
use akless_core::timefmt::unix_millis;
use akless_store::ResourceServerRecord;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::{authorize_action, changed, description, page, resource_server_arn, single, store_error};
use crate::auth::Caller;
use crate::handlers::{max_items, wire_date};
use crate::rpc::dispatch::HandlerResult;
use crate::rpc::params::RpcRequest;
use crate::state::AppState;

pub(super) async fn handle(state: &AppState, req: &RpcRequest, caller: &Caller) -> HandlerResult {
    if req.action == "ListResourceServers" {
        authorize_action(state, req, caller, &[resource_server_arn(state, "*")]).await?;
        let max = max_items(req, 100, 100)?;
        let listed =
            state.issuer().store().list_resource_servers(req.optional("Marker"), max).await.map_err(store_error)?;
        return page("ResourceServers", listed.items.iter().map(resource_server_json).collect(), listed.next_marker);
    }

    let name = req.required("ResourceServerName")?;
    rules::resource_server_name(name)?;
    authorize_action(state, req, caller, &[resource_server_arn(state, name)]).await?;
    let store = state.issuer().store();
    match req.action.as_str() {
        "CreateResourceServer" => create(state, req, name).await,
        "GetResourceServer" => single("ResourceServer", resource_server_json(&load(state, name).await?)),
        "UpdateResourceServer" => update(state, req, name).await,
        "DeleteResourceServer" => {
            store.delete_resource_server(name).await.map_err(store_error)?;
            changed(state);
            tracing::info!(resource_server = %name, "deleted resource server");
            Ok(Default::default())
        }
        other => Err(ApiError::action_not_found(other, &req.version)),
    }
}

async fn create(state: &AppState, req: &RpcRequest, name: &str) -> HandlerResult {
    let identifier = req.required("Identifier")?;
    rules::identifier(identifier)?;
    let permissions = rules::permissions_csv("Permissions", req.required("Permissions")?)?;
    let description = description(req, "Description")?.unwrap_or_default();
    let now = unix_millis(OffsetDateTime::now_utc());
    let record = ResourceServerRecord {
        name: name.to_owned(),
        identifier: identifier.to_owned(),
        permissions,
        description,
        created_ms: now,
        updated_ms: now,
    };
    state.issuer().store().create_resource_server(&record, rules::MAX_RESOURCE_SERVERS).await.map_err(store_error)?;
    changed(state);
    tracing::info!(resource_server = %name, identifier = %identifier, "created resource server");
    single("ResourceServer", resource_server_json(&record))
}

async fn update(state: &AppState, req: &RpcRequest, name: &str) -> HandlerResult {
    let permissions =
        req.optional("NewPermissions").map(|text| rules::permissions_csv("NewPermissions", text)).transpose()?;
    let new_description = description(req, "NewDescription")?;
    let _guard = state.registry().write_lock().await?;
    let mut record = load(state, name).await?;
    if let Some(permissions) = permissions {
        record.permissions = permissions;
    }
    if let Some(text) = new_description {
        record.description = text;
    }
    record.updated_ms = unix_millis(OffsetDateTime::now_utc());
    let stored = state.issuer().store().update_resource_server(&record).await.map_err(store_error)?;
    changed(state);
    tracing::info!(resource_server = %name, "updated resource server");
    single("ResourceServer", resource_server_json(&stored))
}

async fn load(state: &AppState, name: &str) -> Result<ResourceServerRecord, ApiError> {
    state
        .issuer()
        .store()
        .get_resource_server(name)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::entity_not_exist("ResourceServer", name))
}

/// Renders a resource server.
pub(super) fn resource_server_json(record: &ResourceServerRecord) -> Value {
    json!({
        "ResourceServerName": record.name,
        "Identifier": record.identifier,
        "Permissions": record.permissions,
        "Description": record.description,
        "CreateDate": wire_date(record.created_ms),
        "UpdateDate": wire_date(record.updated_ms),
    })
}
