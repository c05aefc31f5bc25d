//! The Alibaba RAM policy language: grammar check, compilation and evaluation.
//!
//! [`compile`] validates a document once and precompiles its wildcard patterns and
//! condition values. [`CompiledPolicy::evaluate`] decides one policy and
//! [`authorize`] combines a role's identity policies with an optional session
//! policy. Only this module creates an [`AllowDecision`], which later steps require
//! as proof that authorization ran.

mod condition;
mod context;
mod error;
mod eval;
mod json;
mod operator;
mod parse;
mod pattern;
mod statement;

#[cfg(test)]
mod tests;

pub use context::ConditionContext;
pub use error::{PolicyError, PolicyErrorKind};
pub use eval::{authorize, authorize_root, AllowDecision, Denial, Evaluation, RequestContext};
pub use parse::{MAX_DOCUMENT_BYTES, MAX_STATEMENTS};

pub(crate) use pattern::Subject;
pub(crate) use statement::{Effect, Statement};

/// The grammar a policy document follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// A permission policy: statements need `Resource` or `NotResource` and have no `Principal`.
    Permission,
    /// A role's trust policy: statements need `Principal` and have no `Resource`.
    Trust,
}

/// A parsed and validated policy, ready for evaluation.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    kind: PolicyKind,
    source: String,
    statements: Vec<Statement>,
}

/// Validates `document` against the grammar of `kind` and compiles it.
///
/// Rejects documents over [`MAX_DOCUMENT_BYTES`] or with more than [`MAX_STATEMENTS`]
/// statements before doing further work.
pub fn compile(document: &str, kind: PolicyKind) -> Result<CompiledPolicy, PolicyError> {
    let statements = parse::parse_document(document, kind)?;
    Ok(CompiledPolicy { kind, source: document.to_owned(), statements })
}

impl CompiledPolicy {
    /// Returns the number of statements.
    pub fn statements(&self) -> usize {
        self.statements.len()
    }

    /// Returns the document text as it was compiled.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Returns the grammar the policy was compiled with.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    pub(crate) fn statement_list(&self) -> &[Statement] {
        &self.statements
    }
}
