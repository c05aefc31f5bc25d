//! RAM 2015-05-01: roles.

use akless_core::arn::role_arn;
use akless_core::error::ApiError;
use akless_core::policy::{compile, PolicyKind};
use akless_core::random::random_digits;
use akless_core::timefmt::unix_millis;
use akless_core::validate;
use akless_store::RoleRecord;
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use super::{max_items, store_error, wire_date};
use crate::auth::{authorize, Caller};
use crate::rpc::dispatch::HandlerResult;
use crate::rpc::params::RpcRequest;
use crate::state::AppState;

/// Maximum length of a trust policy document, in characters.
pub const MAX_TRUST_POLICY_CHARS: usize = 2048;
/// Default `MaxSessionDuration`, in seconds.
pub const DEFAULT_MAX_SESSION_DURATION: u32 = 3600;

/// Role actions served under the RAM version.
pub const ACTIONS: &[&str] = &["CreateRole", "GetRole", "ListRoles", "UpdateRole", "DeleteRole"];

/// Runs one role action.
pub async fn handle(state: &AppState, req: &RpcRequest, caller: &Caller) -> HandlerResult {
    let action = req.action.as_str();
    let permission = format!("ram:{action}");
    if action == "ListRoles" {
        authorize(state, caller, req, &permission, &[role_arn(state.account_id(), "*")]).await?;
        return list(state, req).await;
    }

    let name = req.required("RoleName")?;
    validate::role_name(name)?;
    let arn = role_arn(state.account_id(), name);
    authorize(state, caller, req, &permission, &[arn.clone()]).await?;

    match action {
        "CreateRole" => create(state, req, name, arn).await,
        "GetRole" => role_response(&load(state, name).await?),
        "UpdateRole" => update(state, req, name).await,
        "DeleteRole" => {
            state.registry().store().delete_role(name).await.map_err(store_error)?;
            state.registry().invalidate();
            tracing::info!(role = %arn, "deleted role");
            Ok(Map::new())
        }
        _ => Err(ApiError::action_not_found(action, &req.version)),
    }
}

async fn create(state: &AppState, req: &RpcRequest, name: &str, arn: String) -> HandlerResult {
    let document = req.required("AssumeRolePolicyDocument")?;
    let trusted_provider_arns = check_trust_policy("AssumeRolePolicyDocument", document)?;
    let description = req.optional("Description").unwrap_or("");
    validate::description("Description", description, 1024)?;
    let max_session_duration = match req.optional_u32("MaxSessionDuration")? {
        Some(seconds) => validate::max_session_duration(seconds)?,
        None => DEFAULT_MAX_SESSION_DURATION,
    };

    let now = unix_millis(OffsetDateTime::now_utc());
    let record = RoleRecord {
        role_id: random_digits(17),
        name: name.to_owned(),
        arn: arn.clone(),
        trust_policy: document.to_owned(),
        trusted_provider_arns,
        description: description.to_owned(),
        max_session_duration,
        created_ms: now,
        updated_ms: now,
    };
    state.registry().store().create_role(&record).await.map_err(store_error)?;
    state.registry().invalidate();
    tracing::info!(role = %arn, "created role");
    role_response(&record)
}

async fn update(state: &AppState, req: &RpcRequest, name: &str) -> HandlerResult {
    let document = req.optional("NewAssumeRolePolicyDocument");
    let trusted = document.map(|d| check_trust_policy("NewAssumeRolePolicyDocument", d)).transpose()?;
    let duration = req.optional_u32("NewMaxSessionDuration")?.map(validate::max_session_duration).transpose()?;
    let description = req.params.get("NewDescription").map(String::as_str);
    if let Some(text) = description {
        validate::description("NewDescription", text, 1024)?;
    }

    let _guard = state.registry().write_lock().await?;
    let mut record = load(state, name).await?;
    if let (Some(document), Some(trusted)) = (document, trusted) {
        record.trust_policy = document.to_owned();
        record.trusted_provider_arns = trusted;
    }
    if let Some(seconds) = duration {
        record.max_session_duration = seconds;
    }
    if let Some(text) = description {
        record.description = text.to_owned();
    }
    record.updated_ms = unix_millis(OffsetDateTime::now_utc());
    state.registry().store().update_role(&record).await.map_err(store_error)?;
    state.registry().invalidate();
    tracing::info!(role = %record.arn, "updated role");
    role_response(&record)
}

/// Grammar-checks a trust policy and returns the OIDC provider ARNs its statements trust.
fn check_trust_policy(field: &str, document: &str) -> Result<Vec<String>, ApiError> {
    if document.chars().count() > MAX_TRUST_POLICY_CHARS {
        return Err(ApiError::invalid_parameter(
            field,
            format!("the document must be at most {MAX_TRUST_POLICY_CHARS} characters"),
        ));
    }
    compile(document, PolicyKind::Trust).map_err(|e| e.to_api_error(field))?;
    Ok(federated_principals(document))
}

/// Collects `Principal.Federated` values of a document that already compiled.
fn federated_principals(document: &str) -> Vec<String> {
    let Ok(value) = serde_json::from_str::<Value>(document) else {
        return Vec::new();
    };
    let statements = match &value["Statement"] {
        Value::Array(items) => items.clone(),
        single @ Value::Object(_) => vec![single.clone()],
        _ => Vec::new(),
    };
    let mut arns: Vec<String> = Vec::new();
    for statement in statements {
        match &statement["Principal"]["Federated"] {
            Value::String(arn) => arns.push(arn.clone()),
            Value::Array(items) => arns.extend(items.iter().filter_map(|v| v.as_str().map(str::to_owned))),
            _ => {}
        }
    }
    arns.sort();
    arns.dedup();
    arns
}

async fn load(state: &AppState, name: &str) -> Result<RoleRecord, ApiError> {
    state
        .registry()
        .store()
        .get_role(name)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::entity_not_exist("Role", name))
}

async fn list(state: &AppState, req: &RpcRequest) -> HandlerResult {
    let max = max_items(req, 100, 1000)?;
    let page = state.registry().store().list_roles(req.optional("Marker"), max).await.map_err(store_error)?;
    let items: Vec<Value> = page.items.iter().map(role_json).collect();
    let mut fields = Map::new();
    fields.insert("IsTruncated".into(), Value::Bool(page.next_marker.is_some()));
    fields.insert("Marker".into(), Value::String(page.next_marker.unwrap_or_default()));
    fields.insert("Roles".into(), json!({ "Role": items }));
    Ok(fields)
}

fn role_response(record: &RoleRecord) -> HandlerResult {
    let mut fields = Map::new();
    fields.insert("Role".into(), role_json(record));
    Ok(fields)
}

/// Renders a role with the field names of the official SDK models.
pub fn role_json(r: &RoleRecord) -> Value {
    json!({
        "Arn": r.arn,
        "RoleId": r.role_id,
        "RoleName": r.name,
        "Description": r.description,
        "AssumeRolePolicyDocument": r.trust_policy,
        "MaxSessionDuration": r.max_session_duration,
        "CreateDate": wire_date(r.created_ms),
        "UpdateDate": wire_date(r.updated_ms),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn federated_principals_from_string_and_array() {
        let doc = r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Federated":"acs:ram::1:oidc-provider/b"}},
            {"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Federated":["acs:ram::1:oidc-provider/a","acs:ram::1:oidc-provider/b"]}}]}"#;
        assert_eq!(federated_principals(doc), vec!["acs:ram::1:oidc-provider/a", "acs:ram::1:oidc-provider/b"]);
    }
}
