//! Policy evaluation: one policy against a request, and the combination of a role's
//! identity policies with a session policy.

use super::context::ConditionContext;
use super::pattern::Subject;
use super::statement::Effect;
use super::{CompiledPolicy, PolicyKind};
use crate::error::ApiError;

/// The request being authorized.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext<'a> {
    /// API action such as `ram:CreateRole`, matched case-insensitively.
    pub action: &'a str,
    /// Resource ARN, matched case-sensitively.
    pub resource: &'a str,
    /// Values for the statements' `Condition` blocks.
    pub conditions: &'a ConditionContext,
}

/// The outcome of one policy for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evaluation {
    /// A `Deny` statement applies; it overrides every `Allow`.
    ExplicitDeny,
    /// An `Allow` statement applies and no `Deny` statement does.
    Allow,
    /// No statement applies.
    NotApplicable,
}

/// Proof that the evaluator allowed `action` on `resource`.
///
/// The fields are private and only this crate constructs one, so code that holds an
/// `AllowDecision` went through [`authorize`], [`authorize_root`] or the trust evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowDecision {
    action: String,
    resource: String,
}

impl AllowDecision {
    pub(crate) fn new(action: &str, resource: &str) -> Self {
        Self { action: action.to_owned(), resource: resource.to_owned() }
    }

    /// Returns the allowed action as the request named it.
    pub fn action(&self) -> &str {
        &self.action
    }

    /// Returns the resource the action is allowed on.
    pub fn resource(&self) -> &str {
        &self.resource
    }
}

/// The reason [`authorize`] rejected a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// A `Deny` statement of an identity or the session policy applies.
    #[error("an explicit Deny statement forbids {action} on {resource}")]
    ExplicitDeny { action: String, resource: String },
    /// No identity policy allows the request, or the session policy does not allow it.
    #[error("no policy allows {action} on {resource}")]
    NoAllow { action: String, resource: String },
}

impl Denial {
    /// Converts to the `NoPermission` API error (HTTP 403).
    pub fn to_api_error(&self) -> ApiError {
        match self {
            Denial::NoAllow { action, resource } => ApiError::no_permission(action, resource),
            Denial::ExplicitDeny { action, resource } => {
                let mut error = ApiError::no_permission(action, resource);
                error.message = format!(
                    "You are not authorized to perform {action} on resource {resource}: an explicit Deny statement in the role's policies or the session policy forbids it. Remove that Deny statement or use another role."
                );
                error
            }
        }
    }
}

/// The request with its action and resource split into characters once.
struct PreparedRequest<'a> {
    action: Subject,
    resource: Subject,
    conditions: &'a ConditionContext,
}

impl<'a> PreparedRequest<'a> {
    fn new(req: &RequestContext<'a>) -> Self {
        Self {
            action: Subject::new(req.action, true),
            resource: Subject::new(req.resource, false),
            conditions: req.conditions,
        }
    }
}

impl CompiledPolicy {
    /// Evaluates the policy for `req`: any applying `Deny` gives `ExplicitDeny`,
    /// otherwise any applying `Allow` gives `Allow`.
    ///
    /// A trust policy always returns `NotApplicable` here, because its statements
    /// apply only to a principal; trust policies are evaluated by the `trust` module.
    pub fn evaluate(&self, req: &RequestContext) -> Evaluation {
        self.evaluate_prepared(&PreparedRequest::new(req))
    }

    fn evaluate_prepared(&self, req: &PreparedRequest) -> Evaluation {
        if self.kind == PolicyKind::Trust {
            return Evaluation::NotApplicable;
        }
        let mut allowed = false;
        for statement in &self.statements {
            let applies = statement.covers_action(&req.action)
                && statement.covers_resource(&req.resource)
                && statement.conditions_hold(req.conditions);
            if !applies {
                continue;
            }
            match statement.effect {
                Effect::Deny => return Evaluation::ExplicitDeny,
                Effect::Allow => allowed = true,
            }
        }
        if allowed {
            Evaluation::Allow
        } else {
            Evaluation::NotApplicable
        }
    }
}

/// Authorizes `req` for a role. An explicit `Deny` in any identity policy or in the
/// session policy wins. Otherwise an identity policy must allow, and a present
/// session policy must allow too, because a session gets the intersection of both.
pub fn authorize(
    identity: &[&CompiledPolicy],
    session: Option<&CompiledPolicy>,
    req: &RequestContext,
) -> Result<AllowDecision, Denial> {
    let prepared = PreparedRequest::new(req);
    let identity_results: Vec<Evaluation> = identity.iter().map(|p| p.evaluate_prepared(&prepared)).collect();
    let session_result = session.map(|p| p.evaluate_prepared(&prepared));

    let denied =
        identity_results.contains(&Evaluation::ExplicitDeny) || session_result == Some(Evaluation::ExplicitDeny);
    if denied {
        return Err(Denial::ExplicitDeny { action: req.action.to_owned(), resource: req.resource.to_owned() });
    }

    let identity_allows = identity_results.contains(&Evaluation::Allow);
    let session_allows = session_result.is_none_or(|r| r == Evaluation::Allow);
    if identity_allows && session_allows {
        Ok(AllowDecision::new(req.action, req.resource))
    } else {
        Err(Denial::NoAllow { action: req.action.to_owned(), resource: req.resource.to_owned() })
    }
}

/// Allows everything for the account's root identity, still returning the proof
/// value so that handlers hold an [`AllowDecision`] on every path.
pub fn authorize_root(action: &str, resource: &str) -> AllowDecision {
    AllowDecision::new(action, resource)
}
