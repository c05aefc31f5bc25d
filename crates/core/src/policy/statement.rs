//! A compiled policy statement and the tests that decide whether it applies to a request.

use super::condition::Condition;
use super::context::ConditionContext;
use super::pattern::{Pattern, Subject};

/// The `Effect` of a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

/// Patterns of `Action`/`Resource`, or of `NotAction`/`NotResource` when `negated`.
#[derive(Debug, Clone)]
pub(crate) struct PatternSet {
    patterns: Vec<Pattern>,
    negated: bool,
}

impl PatternSet {
    pub(crate) fn new(patterns: Vec<Pattern>, negated: bool) -> Self {
        Self { patterns, negated }
    }

    /// Returns whether the set covers `subject`: some pattern matches it, or for a `Not` set none does.
    pub(crate) fn covers(&self, subject: &Subject) -> bool {
        self.patterns.iter().any(|p| p.matches_prepared(subject)) != self.negated
    }
}

/// The `Principal` of a trust policy statement. Entries are stored lower-cased
/// because principals are compared case-insensitively.
#[derive(Debug, Clone, Default)]
pub(crate) struct Principals {
    pub(crate) federated: Vec<String>,
    pub(crate) ram: Vec<String>,
    pub(crate) service: Vec<String>,
}

impl Principals {
    /// Returns whether `Federated` names `provider_arn` exactly; provider names are case-sensitive.
    pub(crate) fn trusts_federated(&self, provider_arn: &str) -> bool {
        self.federated.iter().any(|arn| arn == provider_arn)
    }
}

/// One statement of a compiled policy.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub(crate) effect: Effect,
    /// Action patterns, compiled case-insensitively.
    pub(crate) actions: PatternSet,
    /// Resource patterns; `None` in trust policies, which have no `Resource`.
    pub(crate) resources: Option<PatternSet>,
    /// Principals; `None` in permission policies, which have no `Principal`.
    pub(crate) principals: Option<Principals>,
    /// Conditions in document order; all must hold.
    pub(crate) conditions: Vec<Condition>,
}

impl Statement {
    /// Returns whether the statement's action patterns cover `action`, a subject prepared lower-cased.
    pub(crate) fn covers_action(&self, action: &Subject) -> bool {
        self.actions.covers(action)
    }

    /// Returns whether the statement's resource patterns cover `resource` (always, without `Resource`).
    pub(crate) fn covers_resource(&self, resource: &Subject) -> bool {
        self.resources.as_ref().is_none_or(|set| set.covers(resource))
    }

    /// Returns whether every condition holds.
    pub(crate) fn conditions_hold(&self, context: &ConditionContext) -> bool {
        self.conditions.iter().all(|c| c.holds(context))
    }

    /// Counts the conditions that hold and returns the key of the first one that does not.
    pub(crate) fn condition_report(&self, context: &ConditionContext) -> (usize, Option<&str>) {
        let mut satisfied = 0;
        let mut first_failed = None;
        for condition in &self.conditions {
            if condition.holds(context) {
                satisfied += 1;
            } else if first_failed.is_none() {
                first_failed = Some(condition.key());
            }
        }
        (satisfied, first_failed)
    }
}
