//! Policy check for signed admin actions.

use akless_core::error::ApiError;
use akless_core::policy::{authorize_root, compile, AllowDecision, ConditionContext, Denial, PolicyKind, RequestContext};
use akless_core::timefmt::iso8601;
use time::OffsetDateTime;

use super::Caller;
use crate::rpc::params::RpcRequest;
use crate::state::AppState;

/// Returns the request's condition keys: `acs:SourceIp`, `acs:CurrentTime`, `acs:SecureTransport`.
pub fn condition_context(req: &RpcRequest) -> ConditionContext {
    let mut context = ConditionContext::new();
    if let Some(ip) = req.source_ip {
        context.insert("acs:SourceIp", ip.to_string());
    }
    context.insert("acs:CurrentTime", iso8601(OffsetDateTime::now_utc()));
    context.insert("acs:SecureTransport", req.secure_transport.to_string());
    context
}

/// Checks that `caller` may perform `action` (for example `ram:CreateRole`) on every resource ARN in `resources`.
///
/// Root may do everything. A session caller needs an Allow from the role's
/// attached policies and, when the session carries a policy, from that policy
/// too, with no explicit Deny anywhere. Returns the decision for the first resource.
pub async fn authorize(
    state: &AppState,
    caller: &Caller,
    req: &RpcRequest,
    action: &str,
    resources: &[String],
) -> Result<AllowDecision, ApiError> {
    let Some(first) = resources.first() else {
        return Err(ApiError::internal());
    };
    let claims = match caller {
        Caller::Root { .. } => return Ok(authorize_root(action, first)),
        Caller::Session(claims) => claims,
    };

    // A role deleted and created again under the same name is another role: its policies do not apply.
    let role = state.registry().role(&claims.role_name).await?.filter(|role| role.record.role_id == claims.role_id);
    let session_policy = match &claims.session_policy {
        Some(document) => Some(compile(document, PolicyKind::Permission).map_err(|error| {
            tracing::error!(%error, role = %claims.role_arn, "session policy in a sealed token does not compile");
            ApiError::internal()
        })?),
        None => None,
    };
    let identity: Vec<_> = match &role {
        Some(role) => role.policies.iter().map(|(_, policy)| policy).collect(),
        None => Vec::new(),
    };
    let conditions = condition_context(req);

    let mut first_decision = None;
    for resource in resources {
        let context = RequestContext { action, resource, conditions: &conditions };
        match akless_core::policy::authorize(&identity, session_policy.as_ref(), &context) {
            Ok(decision) => {
                if first_decision.is_none() {
                    first_decision = Some(decision);
                }
            }
            Err(denial) => {
                let reason = match denial {
                    Denial::ExplicitDeny { .. } => "explicit deny",
                    Denial::NoAllow { .. } => "no allow",
                };
                tracing::info!(
                    request_id = %req.request_id,
                    role = %claims.role_arn,
                    action,
                    resource = %resource,
                    reason,
                    "admin action denied"
                );
                return Err(ApiError::no_permission(action, resource));
            }
        }
    }
    first_decision.ok_or_else(ApiError::internal)
}
