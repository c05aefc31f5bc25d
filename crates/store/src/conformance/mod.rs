//! Backend-independent conformance suite for [`Store`] implementations.
//!
//! Each case is a public async function that expects an empty store and panics on the first broken rule,
//! like a test body. [`conformance_tests!`](crate::conformance_tests) turns every case into one
//! `#[tokio::test]` on a fresh store, so a new backend runs the whole suite with one macro call.

mod account;
mod audit;
mod concurrency;
mod issuer_clients;
mod issuer_keys;
mod issuer_resources;
mod nonces;
mod policies;
mod providers;
mod roles;

pub use account::*;
pub use audit::*;
pub use concurrency::*;
pub use issuer_clients::*;
pub use issuer_keys::*;
pub use issuer_resources::*;
pub use nonces::*;
pub use policies::*;
pub use providers::*;
pub use roles::*;

use crate::model::{AuditRecord, OidcProviderRecord, PolicyRecord, RoleRecord, OUTCOME_SUCCESS};

/// Account ID used in the ARNs of the fixtures.
pub const ACCOUNT_ID: &str = "1234567890123456";

/// Generates one `#[tokio::test]` per conformance case.
///
/// `$open` is the path of an async fn that returns `(guard, Arc<dyn Store>)` for a fresh, empty store.
/// The guard, for example a temporary directory, lives until the test ends. The calling crate needs tokio
/// with the `macros` and `rt-multi-thread` features.
///
/// With `optional` first, `$open` returns `Option<(guard, Arc<dyn Store>)>`. A test whose store is `None`
/// passes without running, and `$open` prints why. This suits backends that need a server the machine
/// may lack.
#[macro_export]
macro_rules! conformance_tests {
    (optional $open:path) => {
        $crate::conformance_tests!(@cases $open; optional_by_ref, optional_by_arc);
    };
    ($open:path) => {
        $crate::conformance_tests!(@cases $open; by_ref, by_arc);
    };
    (@cases $open:path; $by_ref:ident, $by_arc:ident) => {
        $crate::conformance_tests!(@$by_ref $open;
            account_absent_before_init,
            account_init_then_get,
            account_init_twice_conflicts,
            provider_create_and_get,
            provider_get_missing_returns_none,
            provider_names_case_sensitive,
            provider_duplicate_name_conflicts,
            provider_duplicate_arn_conflicts,
            provider_duplicate_issuer_conflicts,
            provider_duplicate_list_entries_rejected,
            provider_limit_exceeded,
            provider_list_pages_in_name_order,
            provider_list_empty,
            provider_list_invalid_marker,
            provider_update_replaces_fields,
            provider_update_missing_not_found,
            provider_update_issuer_conflict,
            provider_delete_removes_lists,
            provider_delete_missing_not_found,
            provider_delete_in_use_by_role,
            role_create_and_get,
            role_lookup_case_insensitive,
            role_duplicate_name_conflicts,
            role_duplicate_id_or_arn_conflicts,
            role_list_pages_in_name_order,
            role_list_invalid_marker,
            role_update_replaces_fields,
            role_update_missing_not_found,
            role_trusted_arns_deduplicated,
            role_delete_then_missing,
            role_delete_missing_not_found,
            role_delete_in_use_by_policy,
            policy_create_and_get,
            policy_lookup_case_insensitive,
            policy_duplicate_name_conflicts,
            policy_list_pages_in_name_order,
            policy_list_clamps_max_items,
            policy_list_invalid_marker,
            policy_delete_then_missing,
            policy_delete_missing_not_found,
            policy_delete_in_use_by_role,
            attach_counts_and_lists,
            attach_missing_role_or_policy,
            attach_twice_conflicts,
            detach_removes_attachment,
            detach_not_attached_not_found,
            list_policies_for_missing_role,
            role_with_policies_matches_separate_reads,
            audit_insert_and_list_newest_first,
            audit_large_batch_keeps_records_in_order,
            audit_filters_select_records,
            audit_limit_clamped,
            audit_invalid_outcome_rejects_batch,
            audit_prune_deletes_older_records,
            resource_server_create_and_get,
            resource_server_conflicts,
            resource_server_limit_exceeded,
            resource_server_list_pages,
            resource_server_update_checks_grants,
            resource_server_delete_in_use,
            grant_create_get_update,
            grant_requires_client_server_and_permission,
            grant_list_filters_and_pages,
            grant_delete_missing_not_found,
            client_create_get_update,
            client_limit_and_listing,
            client_delete_cascades,
            client_secret_lifecycle,
            client_secret_limit_counts_active,
            signing_key_first_created_once,
            signing_key_rotation_sets_times,
            signing_key_rotation_rejects_pending,
            signing_key_rotation_purges_removed,
            assertion_jti_used_once,
            access_token_revocation_expires,
            nonce_first_use_then_replay,
            nonce_arbitrary_bytes_accepted,
            nonce_usable_again_after_expiry,
            nonce_purge_removes_only_expired,
            schema_version_is_positive,
        );
        $crate::conformance_tests!(@$by_arc $open;
            provider_limit_holds_under_concurrency,
            role_create_race_single_winner,
            client_secret_limit_holds_under_concurrency,
            assertion_jti_race_single_winner,
            attach_delete_race_consistent,
            admin_lock_serialises_updates,
            nonce_race_single_winner,
        );
    };
    (@by_ref $open:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let (_guard, store) = $open().await;
                $crate::conformance::$case(&*store).await;
            }
        )*
    };
    (@by_arc $open:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let (_guard, store) = $open().await;
                $crate::conformance::$case(store).await;
            }
        )*
    };
    (@optional_by_ref $open:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let Some((_guard, store)) = $open().await else {
                    return;
                };
                $crate::conformance::$case(&*store).await;
            }
        )*
    };
    (@optional_by_arc $open:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let Some((_guard, store)) = $open().await else {
                    return;
                };
                $crate::conformance::$case(store).await;
            }
        )*
    };
}

/// Returns the ARN of the fixture provider `name`.
pub fn provider_arn(name: &str) -> String {
    format!("acs:ram::{ACCOUNT_ID}:oidc-provider/{name}")
}

/// Returns a provider fixture with two client IDs and one fingerprint.
pub fn provider(name: &str, issuer_url: &str) -> OidcProviderRecord {
    OidcProviderRecord {
        name: name.to_owned(),
        arn: provider_arn(name),
        issuer_url: issuer_url.to_owned(),
        client_ids: vec!["sts.aliyuncs.com".to_owned(), format!("{name}-client")],
        fingerprints: vec!["902ef2deeb3c5b13ea4c3d5193629309e231aaaa".to_owned()],
        issuance_limit_hours: 12,
        description: format!("provider {name}"),
        created_ms: 1_700_000_000_000,
        updated_ms: 1_700_000_000_000,
    }
}

/// Returns a role fixture trusting `trusted` provider ARNs.
pub fn role(name: &str, trusted: &[String]) -> RoleRecord {
    let lower = name.to_lowercase();
    RoleRecord {
        role_id: format!("3{:018}", fixture_number(&lower)),
        name: name.to_owned(),
        arn: format!("acs:ram::{ACCOUNT_ID}:role/{lower}"),
        trust_policy: r#"{"Version":"1","Statement":[]}"#.to_owned(),
        trusted_provider_arns: trusted.to_vec(),
        description: format!("role {name}"),
        max_session_duration: 3600,
        created_ms: 1_700_000_000_000,
        updated_ms: 1_700_000_000_000,
    }
}

/// Returns a custom policy fixture.
pub fn policy(name: &str) -> PolicyRecord {
    PolicyRecord {
        name: name.to_owned(),
        policy_type: "Custom".to_owned(),
        document:
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:*","Resource":"*"}]}"#
                .to_owned(),
        description: format!("policy {name}"),
        default_version: "v1".to_owned(),
        created_ms: 1_700_000_000_000,
        updated_ms: 1_700_000_000_000,
        attachment_count: 0,
    }
}

/// Returns a successful AssumeRoleWithOIDC audit record at `time_ms`.
pub fn audit_record(time_ms: i64, request_id: &str) -> AuditRecord {
    AuditRecord {
        id: 0,
        time_ms,
        request_id: request_id.to_owned(),
        source_ip: "127.0.0.1".to_owned(),
        action: "AssumeRoleWithOIDC".to_owned(),
        provider_arn: Some(provider_arn("github")),
        role_arn: Some(format!("acs:ram::{ACCOUNT_ID}:role/deploy")),
        subject: Some("repo:example/app:ref:refs/heads/main".to_owned()),
        jti: Some(format!("jti-{request_id}")),
        outcome: OUTCOME_SUCCESS.to_owned(),
        error_code: None,
        failed_check: None,
    }
}

/// Derives a stable number from a name so role IDs differ between fixture names.
fn fixture_number(name: &str) -> u64 {
    name.bytes().fold(1469598103934665603u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(1099511628211)
    }) % 1_000_000_000_000_000_000
}
