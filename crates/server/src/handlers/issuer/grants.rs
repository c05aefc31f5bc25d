//! Grant actions: which permissions of which resource server a client may receive.
//!
//! One grant per client and resource server; every granted permission must be a permission of the
//! resource server. A token request with `<identifier>|.all` receives all granted permissions.

use akless_core::error::ApiError;
use akless_core::issuer::rules;
use akless_core::timefmt::unix_millis;
use akless_store::{GrantFilter, GrantRecord};
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use super::{authorize_action, changed, client_arn, page, resource_server_arn, single, store_error};
use crate::auth::Caller;
use crate::handlers::{max_items, wire_date};
use crate::rpc::dispatch::HandlerResult;
use crate::rpc::params::RpcRequest;
use crate::state::AppState;

pub(super) async fn handle(state: &AppState, req: &RpcRequest, caller: &Caller) -> HandlerResult {
    if req.action == "ListGrants" {
        return list(state, req, caller).await;
    }
    let client_id = req.required("ClientId")?;
    rules::client_id(client_id)?;
    let server = req.required("ResourceServerName")?;
    rules::resource_server_name(server)?;
    authorize_action(state, req, caller, &[client_arn(state, client_id), resource_server_arn(state, server)]).await?;

    let store = state.issuer().store();
    let now = unix_millis(OffsetDateTime::now_utc());
    match req.action.as_str() {
        "CreateGrant" => {
            let permissions = rules::permissions_csv("Permissions", req.required("Permissions")?)?;
            let grant = GrantRecord {
                client_id: client_id.to_owned(),
                resource_server: server.to_owned(),
                permissions,
                created_ms: now,
                updated_ms: now,
            };
            store.create_grant(&grant).await.map_err(store_error)?;
            changed(state);
            tracing::info!(client_id, resource_server = %server, "created grant");
            single("Grant", grant_json(&grant))
        }
        "GetGrant" => {
            let grant = store
                .get_grant(client_id, server)
                .await
                .map_err(store_error)?
                .ok_or_else(|| ApiError::entity_not_exist("Grant", &format!("{client_id}/{server}")))?;
            single("Grant", grant_json(&grant))
        }
        "UpdateGrant" => {
            let permissions = rules::permissions_csv("Permissions", req.required("Permissions")?)?;
            let grant = GrantRecord {
                client_id: client_id.to_owned(),
                resource_server: server.to_owned(),
                permissions,
                created_ms: now,
                updated_ms: now,
            };
            let stored = store.update_grant(&grant).await.map_err(store_error)?;
            changed(state);
            tracing::info!(client_id, resource_server = %server, "updated grant");
            single("Grant", grant_json(&stored))
        }
        "DeleteGrant" => {
            store.delete_grant(client_id, server).await.map_err(store_error)?;
            changed(state);
            tracing::info!(client_id, resource_server = %server, "deleted grant");
            Ok(Map::new())
        }
        other => Err(ApiError::action_not_found(other, &req.version)),
    }
}

async fn list(state: &AppState, req: &RpcRequest, caller: &Caller) -> HandlerResult {
    let client_id = req.optional("ClientId");
    if let Some(id) = client_id {
        rules::client_id(id)?;
    }
    let server = req.optional("ResourceServerName");
    if let Some(name) = server {
        rules::resource_server_name(name)?;
    }
    let mut resources = Vec::new();
    if let Some(id) = client_id {
        resources.push(client_arn(state, id));
    }
    if let Some(name) = server {
        resources.push(resource_server_arn(state, name));
    }
    if resources.is_empty() {
        resources.push(client_arn(state, "*"));
    }
    authorize_action(state, req, caller, &resources).await?;

    let max = max_items(req, 100, 100)?;
    let filter = GrantFilter { client_id: client_id.map(str::to_owned), resource_server: server.map(str::to_owned) };
    let listed = state.issuer().store().list_grants(&filter, req.optional("Marker"), max).await.map_err(store_error)?;
    page("Grants", listed.items.iter().map(grant_json).collect(), listed.next_marker)
}

/// Renders a grant.
fn grant_json(grant: &GrantRecord) -> Value {
    json!({
        "ClientId": grant.client_id,
        "ResourceServerName": grant.resource_server,
        "Permissions": grant.permissions,
        "CreateDate": wire_date(grant.created_ms),
        "UpdateDate": wire_date(grant.updated_ms),
    })
}
