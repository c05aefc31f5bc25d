//! RAM 2015-05-01: custom policies and their attachment to roles.
//!
//! akless has no system policies, so `PolicyType` must be `Custom` where given.

use akless_core::arn::{policy_arn, role_arn};
use akless_core::error::ApiError;
use akless_core::policy::{compile, PolicyKind};
use akless_core::timefmt::unix_millis;
use akless_core::validate;
use akless_store::PolicyRecord;
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use super::{max_items, store_error, wire_date};
use crate::auth::{authorize, Caller};
use crate::rpc::dispatch::HandlerResult;
use crate::rpc::params::RpcRequest;
use crate::state::AppState;

/// Maximum length of a policy document, in characters.
pub const MAX_POLICY_CHARS: usize = 6144;

/// Policy actions served under the RAM version.
pub const ACTIONS: &[&str] = &[
    "CreatePolicy",
    "GetPolicy",
    "ListPolicies",
    "DeletePolicy",
    "AttachPolicyToRole",
    "DetachPolicyFromRole",
    "ListPoliciesForRole",
];

/// Runs one policy action.
pub async fn handle(state: &AppState, req: &RpcRequest, caller: &Caller) -> HandlerResult {
    let action = req.action.as_str();
    let permission = format!("ram:{action}");
    let account = state.account_id();

    match action {
        "ListPolicies" => {
            authorize(state, caller, req, &permission, &[policy_arn(account, "*")]).await?;
            list(state, req).await
        }
        "ListPoliciesForRole" => {
            let role = req.required("RoleName")?;
            validate::role_name(role)?;
            authorize(state, caller, req, &permission, &[role_arn(account, role)]).await?;
            list_for_role(state, role).await
        }
        "AttachPolicyToRole" | "DetachPolicyFromRole" => {
            let policy = policy_name_param(req)?;
            let role = req.required("RoleName")?;
            validate::role_name(role)?;
            let resources = [role_arn(account, role), policy_arn(account, policy)];
            authorize(state, caller, req, &permission, &resources).await?;
            let store = state.registry().store();
            if action == "AttachPolicyToRole" {
                store.attach_policy_to_role(role, policy).await.map_err(store_error)?;
            } else {
                store.detach_policy_from_role(role, policy).await.map_err(store_error)?;
            }
            state.registry().invalidate();
            tracing::info!(role = %resources[0], policy, action, "changed role policies");
            Ok(Map::new())
        }
        _ => {
            let name = policy_name_param(req)?;
            authorize(state, caller, req, &permission, &[policy_arn(account, name)]).await?;
            match action {
                "CreatePolicy" => create(state, req, name).await,
                "GetPolicy" => get(state, name).await,
                "DeletePolicy" => {
                    state.registry().store().delete_policy(name).await.map_err(store_error)?;
                    state.registry().invalidate();
                    tracing::info!(policy = name, "deleted policy");
                    Ok(Map::new())
                }
                _ => Err(ApiError::action_not_found(action, &req.version)),
            }
        }
    }
}

/// Reads `PolicyName`, and `PolicyType` when present (must be `Custom`).
fn policy_name_param(req: &RpcRequest) -> Result<&str, ApiError> {
    let name = req.required("PolicyName")?;
    validate::policy_name(name)?;
    match req.optional("PolicyType") {
        None | Some("Custom") => Ok(name),
        Some("System") if req.action == "CreatePolicy" => {
            Err(ApiError::invalid_parameter("PolicyType", "only Custom policies can be created; use PolicyType=Custom"))
        }
        Some("System") => Err(ApiError::entity_not_exist("Policy", name)),
        Some(_) => Err(ApiError::invalid_parameter("PolicyType", "use Custom; akless has no system policies")),
    }
}

async fn create(state: &AppState, req: &RpcRequest, name: &str) -> HandlerResult {
    let document = req.required("PolicyDocument")?;
    if document.chars().count() > MAX_POLICY_CHARS {
        return Err(ApiError::invalid_parameter(
            "PolicyDocument",
            format!("the document must be at most {MAX_POLICY_CHARS} characters"),
        ));
    }
    compile(document, PolicyKind::Permission).map_err(|e| e.to_api_error("PolicyDocument"))?;
    let description = req.optional("Description").unwrap_or("");
    validate::description("Description", description, 1024)?;

    let now = unix_millis(OffsetDateTime::now_utc());
    let record = PolicyRecord {
        name: name.to_owned(),
        policy_type: "Custom".to_owned(),
        document: document.to_owned(),
        description: description.to_owned(),
        default_version: "v1".to_owned(),
        created_ms: now,
        updated_ms: now,
        attachment_count: 0,
    };
    state.registry().store().create_policy(&record).await.map_err(store_error)?;
    tracing::info!(policy = name, "created policy");
    let mut fields = Map::new();
    fields.insert("Policy".into(), policy_json(&record));
    Ok(fields)
}

async fn get(state: &AppState, name: &str) -> HandlerResult {
    let record = state
        .registry()
        .store()
        .get_policy(name)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::entity_not_exist("Policy", name))?;
    let mut policy = policy_json(&record);
    policy["PolicyDocument"] = Value::String(record.document.clone());
    let mut fields = Map::new();
    fields.insert("Policy".into(), policy);
    fields.insert(
        "DefaultPolicyVersion".into(),
        json!({
            "VersionId": record.default_version,
            "IsDefaultVersion": true,
            "PolicyDocument": record.document,
            "CreateDate": wire_date(record.created_ms),
        }),
    );
    Ok(fields)
}

async fn list(state: &AppState, req: &RpcRequest) -> HandlerResult {
    let max = max_items(req, 100, 1000)?;
    let only_system = match req.optional("PolicyType") {
        None | Some("Custom") => false,
        Some("System") => true,
        Some(_) => return Err(ApiError::invalid_parameter("PolicyType", "use Custom or System")),
    };
    let (items, next_marker) = if only_system {
        (Vec::new(), None)
    } else {
        let page = state.registry().store().list_policies(req.optional("Marker"), max).await.map_err(store_error)?;
        (page.items.iter().map(policy_json).collect::<Vec<_>>(), page.next_marker)
    };
    let mut fields = Map::new();
    fields.insert("IsTruncated".into(), Value::Bool(next_marker.is_some()));
    fields.insert("Marker".into(), Value::String(next_marker.unwrap_or_default()));
    fields.insert("Policies".into(), json!({ "Policy": items }));
    Ok(fields)
}

async fn list_for_role(state: &AppState, role: &str) -> HandlerResult {
    let store = state.registry().store();
    if store.get_role(role).await.map_err(store_error)?.is_none() {
        return Err(ApiError::entity_not_exist("Role", role));
    }
    let policies = store.list_policies_for_role(role).await.map_err(store_error)?;
    let items: Vec<Value> = policies
        .iter()
        .map(|p| {
            json!({
                "PolicyName": p.name,
                "PolicyType": p.policy_type,
                "Description": p.description,
                "DefaultVersion": p.default_version,
                "AttachDate": wire_date(p.updated_ms),
            })
        })
        .collect();
    let mut fields = Map::new();
    fields.insert("Policies".into(), json!({ "Policy": items }));
    Ok(fields)
}

/// Renders a policy with the field names of the official SDK models.
pub fn policy_json(p: &PolicyRecord) -> Value {
    json!({
        "PolicyName": p.name,
        "PolicyType": p.policy_type,
        "Description": p.description,
        "DefaultVersion": p.default_version,
        "AttachmentCount": p.attachment_count,
        "CreateDate": wire_date(p.created_ms),
        "UpdateDate": wire_date(p.updated_ms),
    })
}
