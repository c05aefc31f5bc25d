//! Grammar errors of policy documents: where (a JSON path) and what is wrong.

use std::fmt;

use crate::error::ApiError;

/// Maximum length of a policy value quoted in an error message, in characters.
const MAX_QUOTED_CHARS: usize = 64;

/// A policy document that failed the grammar check.
///
/// `path` locates the offending value, for example `Statement[0].Condition.StringEquals`;
/// it is empty when the document as a whole is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PolicyError {
    /// JSON path of the offending value, empty for the whole document.
    pub path: String,
    /// The grammar rule broken at `path`.
    pub kind: PolicyErrorKind,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.kind)
        } else {
            write!(f, "{}: {}", self.path, self.kind)
        }
    }
}

impl PolicyError {
    pub(crate) fn new(path: impl Into<String>, kind: PolicyErrorKind) -> Self {
        Self { path: path.into(), kind }
    }

    /// Converts to `InvalidParameter.PolicyGrammar` for the request parameter `field`
    /// (for example `PolicyDocument` or `Policy`).
    pub fn to_api_error(&self, field: &str) -> ApiError {
        ApiError::policy_grammar(field, self)
    }
}

/// A grammar rule a policy document can break. Each message tells how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyErrorKind {
    #[error(
        "the document has {actual} bytes, more than the limit of {limit}; shorten it or split it into several policies"
    )]
    DocumentTooLarge { limit: usize, actual: usize },

    #[error("the document is not valid JSON ({detail}); check quotes, commas and brackets")]
    InvalidJson { detail: String },

    #[error(
        "the document has {actual} statements, more than the limit of {limit}; merge statements or split the policy"
    )]
    TooManyStatements { limit: usize, actual: usize },

    #[error("unknown field \"{found}\"{}; allowed fields are {allowed}", did_you_mean(.suggestion))]
    UnknownField { found: String, allowed: &'static str, suggestion: Option<&'static str> },

    #[error("the field \"{field}\" appears more than once; keep one")]
    DuplicateField { field: String },

    #[error("the required field \"{field}\" is missing; {hint}")]
    MissingField { field: &'static str, hint: &'static str },

    #[error("the value is {found}, but it must be {expected}")]
    WrongType { expected: &'static str, found: &'static str },

    #[error("the value is an empty string; give a non-empty value")]
    EmptyString,

    #[error("the array is empty; give at least one value")]
    EmptyArray,

    #[error("the {field} object is empty; {hint}")]
    EmptyObject { field: &'static str, hint: &'static str },

    #[error("the Version is {found}; the only supported Version is the string \"1\"")]
    UnsupportedVersion { found: String },

    #[error("the Effect is \"{}\"; use \"Allow\" or \"Deny\"", quote(.found))]
    InvalidEffect { found: String },

    #[error("a statement has both {first} and {second}; keep only one of them")]
    ConflictingFields { first: &'static str, second: &'static str },

    #[error("a statement needs {first} or {second}; add one of them")]
    MissingOneOf { first: &'static str, second: &'static str },

    #[error("the action \"{}\" is invalid; use \"*\" or <service>:<api> such as \"sts:AssumeRole\" or \"ram:Get*\" (letters, digits, - _ . and the wildcards * ?)", quote(.found))]
    InvalidAction { found: String },

    #[error("the resource \"{}\" is invalid; use \"*\" or an ARN pattern such as \"acs:ram:*:123456789012:role/*\" without spaces or control characters", quote(.found))]
    InvalidResource { found: String },

    #[error("{field} is not allowed in a {kind} policy; {hint}")]
    FieldNotAllowed { field: &'static str, kind: &'static str, hint: &'static str },

    #[error("unknown principal type \"{}\"; use Federated, RAM or Service", quote(.found))]
    UnknownPrincipalType { found: String },

    #[error("the Federated principal \"{}\" is invalid; use a provider ARN such as \"acs:ram::123456789012:oidc-provider/Name\"", quote(.found))]
    InvalidFederatedPrincipal { found: String },

    #[error("the principal \"{}\" contains whitespace or control characters; remove them", quote(.found))]
    InvalidPrincipal { found: String },

    #[error("unknown condition operator \"{}\"{}; see the supported operators StringEquals, StringLike, NumericLessThan, DateGreaterThan, Bool, IpAddress and their variants", quote(.found), did_you_mean(.suggestion))]
    UnknownOperator { found: String, suggestion: Option<&'static str> },

    #[error("the condition key \"{}\" is invalid; use <prefix>:<name> such as \"oidc:sub\" or \"acs:SourceIp\"", quote(.found))]
    InvalidConditionKey { found: String },

    #[error("the condition value \"{}\" is not a number; use a finite decimal number such as 42 or 1.5", quote(.found))]
    InvalidNumber { found: String },

    #[error("the condition value \"{}\" is not a date; use RFC 3339 such as \"2026-01-01T00:00:00Z\" or Unix seconds", quote(.found))]
    InvalidDate { found: String },

    #[error("the condition value \"{}\" is not a boolean; use true or false", quote(.found))]
    InvalidBool { found: String },

    #[error("the condition value \"{}\" is not an IP address or CIDR block; use for example \"192.168.0.0/16\" or \"2001:db8::/32\"", quote(.found))]
    InvalidIpAddress { found: String },
}

fn did_you_mean(suggestion: &Option<&'static str>) -> String {
    match suggestion {
        Some(s) => format!(" (did you mean \"{s}\"?)"),
        None => String::new(),
    }
}

/// Shortens a policy value for an error message and escapes quotes and control characters.
fn quote(text: &str) -> String {
    let mut out: String = text.chars().take(MAX_QUOTED_CHARS).flat_map(char::escape_debug).collect();
    if text.chars().count() > MAX_QUOTED_CHARS {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_prefixes_path() {
        let e = PolicyError::new("Statement[0].Effect", PolicyErrorKind::InvalidEffect { found: "allow".into() });
        assert_eq!(e.to_string(), "Statement[0].Effect: the Effect is \"allow\"; use \"Allow\" or \"Deny\"");
    }

    #[test]
    fn display_without_path_is_kind_only() {
        let e = PolicyError::new("", PolicyErrorKind::EmptyArray);
        assert_eq!(e.to_string(), "the array is empty; give at least one value");
    }

    #[test]
    fn api_error_is_policy_grammar() {
        let e = PolicyError::new("Version", PolicyErrorKind::UnsupportedVersion { found: "2".into() });
        let api = e.to_api_error("PolicyDocument");
        assert_eq!(api.code, "InvalidParameter.PolicyGrammar");
        assert_eq!(api.status, 400);
        assert!(api.message.contains("PolicyDocument"), "{}", api.message);
        assert!(api.message.contains("Version: the Version is 2"), "{}", api.message);
    }

    #[test]
    fn long_values_are_truncated_and_escaped() {
        let long = format!("\"{}\n", "a".repeat(200));
        let e = PolicyErrorKind::InvalidAction { found: long };
        let text = e.to_string();
        assert!(text.len() < 300, "{text}");
        assert!(text.contains("\\\"aaa"), "{text}");
        assert!(text.contains("..."), "{text}");
        assert!(!text.contains('\n'), "{text}");
    }

    #[test]
    fn suggestion_is_shown() {
        let e = PolicyErrorKind::UnknownField { found: "effect".into(), allowed: "Effect", suggestion: Some("Effect") };
        assert!(e.to_string().contains("did you mean \"Effect\"?"));
    }
}
