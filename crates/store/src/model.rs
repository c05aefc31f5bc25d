//! Records the store reads and writes, and the paging and filter types of its list calls.
//!
//! Records are plain data: validation of names, URLs and documents happens before a record reaches the store.
//! Times are unix milliseconds (UTC).

use std::fmt;

/// Maximum items in one page of a list call; larger requests are clamped to it.
pub const MAX_PAGE_ITEMS: u32 = 1000;

/// Maximum records one `list_audit` call returns; larger limits are clamped to it.
pub const MAX_AUDIT_LIMIT: u32 = 10_000;

/// Audit outcome of a request that succeeded.
pub const OUTCOME_SUCCESS: &str = "Success";

/// Audit outcome of a request that failed.
pub const OUTCOME_FAILURE: &str = "Failure";

/// The account of this deployment and its root credential.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountRecord {
    pub account_id: String,
    pub root_access_key_id: String,
    /// Root AccessKey secret, sealed with the master key named by `master_key_id`.
    pub root_secret_sealed: String,
    pub master_key_id: String,
    pub created_ms: i64,
}

/// Debug output leaves out the sealed secret so that logging a record never exposes it, even encrypted.
impl fmt::Debug for AccountRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountRecord")
            .field("account_id", &self.account_id)
            .field("root_access_key_id", &self.root_access_key_id)
            .field("root_secret_sealed", &"<redacted>")
            .field("master_key_id", &self.master_key_id)
            .field("created_ms", &self.created_ms)
            .finish()
    }
}

/// An OIDC identity provider. `name` is unique case-sensitively and `issuer_url` is unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcProviderRecord {
    pub name: String,
    pub arn: String,
    pub issuer_url: String,
    /// Accepted `aud` values, in caller order, without duplicates.
    pub client_ids: Vec<String>,
    /// SHA-1 certificate fingerprints, in caller order, without duplicates.
    pub fingerprints: Vec<String>,
    pub issuance_limit_hours: u32,
    pub description: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// A RAM role. `name` is unique case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRecord {
    pub role_id: String,
    pub name: String,
    pub arn: String,
    pub trust_policy: String,
    /// Provider ARNs that `trust_policy` names as Federated principals. The store keeps the first of any
    /// entries that differ only in case, and uses the list to reject deleting a provider that a role trusts.
    pub trusted_provider_arns: Vec<String>,
    pub description: String,
    pub max_session_duration: u32,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// A custom permission policy. `name` is unique case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRecord {
    pub name: String,
    /// Always "Custom" for policies created through the API.
    pub policy_type: String,
    pub document: String,
    pub description: String,
    /// Always "v1": policies have a single version.
    pub default_version: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// Number of roles the policy is attached to. The store computes it and ignores the value on create.
    pub attachment_count: u32,
}

/// A role together with the policies attached to it, read from one snapshot of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleWithPolicies {
    pub role: RoleRecord,
    /// Attached policies, ordered by lower-cased name.
    pub policies: Vec<PolicyRecord>,
}

/// One audited request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Assigned by the store, so it is ignored on insert (pass 0).
    pub id: i64,
    pub time_ms: i64,
    pub request_id: String,
    pub source_ip: String,
    /// API action, e.g. "AssumeRoleWithOIDC".
    pub action: String,
    pub provider_arn: Option<String>,
    pub role_arn: Option<String>,
    /// `sub` claim of the OIDC token, when the request carried one.
    pub subject: Option<String>,
    pub jti: Option<String>,
    /// [`OUTCOME_SUCCESS`] or [`OUTCOME_FAILURE`].
    pub outcome: String,
    pub error_code: Option<String>,
    /// Name of the verification step that failed, e.g. "audience".
    pub failed_check: Option<String>,
}

/// Selection for `list_audit`. Unset fields match every record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFilter {
    /// Exact role ARN.
    pub role_arn: Option<String>,
    /// Exact provider ARN.
    pub provider_arn: Option<String>,
    /// Exact outcome, "Success" or "Failure".
    pub outcome: Option<String>,
    /// Records with `time_ms >= since_ms`.
    pub since_ms: Option<i64>,
    /// Records with `time_ms < until_ms`.
    pub until_ms: Option<i64>,
    /// Maximum records returned, clamped to 1..=[`MAX_AUDIT_LIMIT`].
    pub limit: u32,
}

impl Default for AuditFilter {
    fn default() -> Self {
        Self {
            role_arn: None,
            provider_arn: None,
            outcome: None,
            since_ms: None,
            until_ms: None,
            limit: 100,
        }
    }
}

/// One page of a list call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Opaque marker for the next page, or `None` when this page is the last.
    pub next_marker: Option<String>,
}

/// Returns the key under which a case-insensitive name or ARN is stored and looked up.
pub fn case_insensitive_key(value: &str) -> String {
    value.to_lowercase()
}

/// Clamps a requested page size to 1..=[`MAX_PAGE_ITEMS`], because callers' values are not trusted.
pub fn clamp_page_size(max_items: u32) -> u32 {
    max_items.clamp(1, MAX_PAGE_ITEMS)
}

/// Clamps a requested audit limit to 1..=[`MAX_AUDIT_LIMIT`].
pub fn clamp_audit_limit(limit: u32) -> u32 {
    limit.clamp(1, MAX_AUDIT_LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_clamped_to_range() {
        assert_eq!(clamp_page_size(0), 1);
        assert_eq!(clamp_page_size(50), 50);
        assert_eq!(clamp_page_size(u32::MAX), MAX_PAGE_ITEMS);
    }

    #[test]
    fn audit_limit_clamped_to_range() {
        assert_eq!(clamp_audit_limit(0), 1);
        assert_eq!(clamp_audit_limit(10), 10);
        assert_eq!(clamp_audit_limit(1_000_000), MAX_AUDIT_LIMIT);
    }

    #[test]
    fn account_debug_redacts_secret() {
        let account = AccountRecord {
            account_id: "1234567890123456".into(),
            root_access_key_id: "LTAIexample".into(),
            root_secret_sealed: "sealed-secret-text".into(),
            master_key_id: "abcd0123".into(),
            created_ms: 1,
        };
        let text = format!("{account:?}");
        assert!(!text.contains("sealed-secret-text"), "{text}");
        assert!(text.contains("LTAIexample"), "{text}");
    }
}
