//! Conformance cases for OIDC providers.

use crate::error::{EntityKind, StoreError};
use crate::Store;

use super::{provider, provider_arn, role};

/// Provider limit used where a case does not test the limit.
const LIMIT: u32 = 100;

pub async fn provider_create_and_get(store: &dyn Store) {
    let mut record = provider("github", "https://token.actions.githubusercontent.com");
    record.client_ids = vec!["zeta".into(), "alpha".into(), "mid".into()];
    record.fingerprints = vec!["bb".repeat(20), "aa".repeat(20)];
    store
        .create_oidc_provider(&record, LIMIT)
        .await
        .expect("create");

    let found = store.get_oidc_provider("github").await.expect("get");
    assert_eq!(found, Some(record), "lists must keep caller order");
}

pub async fn provider_get_missing_returns_none(store: &dyn Store) {
    let found = store.get_oidc_provider("absent").await.expect("get");
    assert_eq!(found, None);
}

pub async fn provider_names_case_sensitive(store: &dyn Store) {
    let upper = provider("GitHub", "https://a.example.com");
    let lower = provider("github", "https://b.example.com");
    store
        .create_oidc_provider(&upper, LIMIT)
        .await
        .expect("create GitHub");
    store
        .create_oidc_provider(&lower, LIMIT)
        .await
        .expect("create github");

    assert_eq!(
        store.get_oidc_provider("GitHub").await.expect("get"),
        Some(upper)
    );
    assert_eq!(
        store.get_oidc_provider("github").await.expect("get"),
        Some(lower)
    );
    assert_eq!(store.get_oidc_provider("GITHUB").await.expect("get"), None);
}

pub async fn provider_duplicate_name_conflicts(store: &dyn Store) {
    store
        .create_oidc_provider(&provider("github", "https://a.example.com"), LIMIT)
        .await
        .expect("create");

    let err = store
        .create_oidc_provider(&provider("github", "https://b.example.com"), LIMIT)
        .await
        .expect_err("same name must conflict");
    assert_eq!(
        err,
        StoreError::Conflict {
            kind: EntityKind::OidcProvider,
            name: "github".into(),
        }
    );
}

pub async fn provider_duplicate_arn_conflicts(store: &dyn Store) {
    store
        .create_oidc_provider(&provider("github", "https://a.example.com"), LIMIT)
        .await
        .expect("create");

    let mut other = provider("gitlab", "https://b.example.com");
    other.arn = provider_arn("github");
    let err = store
        .create_oidc_provider(&other, LIMIT)
        .await
        .expect_err("same ARN must conflict");
    assert_eq!(
        err,
        StoreError::Conflict {
            kind: EntityKind::OidcProvider,
            name: "gitlab".into(),
        }
    );
}

pub async fn provider_duplicate_issuer_conflicts(store: &dyn Store) {
    store
        .create_oidc_provider(&provider("github", "https://a.example.com"), LIMIT)
        .await
        .expect("create");

    let err = store
        .create_oidc_provider(&provider("other", "https://a.example.com"), LIMIT)
        .await
        .expect_err("same issuer URL must conflict");
    assert_eq!(
        err,
        StoreError::Conflict {
            kind: EntityKind::IssuerUrl,
            name: "https://a.example.com".into(),
        }
    );
    assert_eq!(store.get_oidc_provider("other").await.expect("get"), None);
}

pub async fn provider_duplicate_list_entries_rejected(store: &dyn Store) {
    let mut record = provider("github", "https://a.example.com");
    record.client_ids = vec!["app".into(), "app".into()];
    let err = store
        .create_oidc_provider(&record, LIMIT)
        .await
        .expect_err("duplicate client ID must be rejected");
    assert!(
        matches!(
            err,
            StoreError::InvalidRecord {
                kind: EntityKind::OidcProvider,
                ..
            }
        ),
        "{err:?}"
    );

    let mut record = provider("github", "https://a.example.com");
    record.fingerprints = vec!["aa".repeat(20), "aa".repeat(20)];
    let err = store
        .create_oidc_provider(&record, LIMIT)
        .await
        .expect_err("duplicate fingerprint must be rejected");
    assert!(
        matches!(
            err,
            StoreError::InvalidRecord {
                kind: EntityKind::OidcProvider,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(store.get_oidc_provider("github").await.expect("get"), None);
}

pub async fn provider_limit_exceeded(store: &dyn Store) {
    for name in ["p1", "p2"] {
        let issuer = format!("https://{name}.example.com");
        store
            .create_oidc_provider(&provider(name, &issuer), 2)
            .await
            .expect("create within limit");
    }

    let err = store
        .create_oidc_provider(&provider("p3", "https://p3.example.com"), 2)
        .await
        .expect_err("third provider must exceed the limit");
    assert_eq!(
        err,
        StoreError::LimitExceeded {
            kind: EntityKind::OidcProvider,
            limit: 2,
        }
    );
    assert_eq!(store.get_oidc_provider("p3").await.expect("get"), None);

    store.delete_oidc_provider("p1").await.expect("delete");
    store
        .create_oidc_provider(&provider("p3", "https://p3.example.com"), 2)
        .await
        .expect("create after a delete freed a slot");
}

pub async fn provider_list_pages_in_name_order(store: &dyn Store) {
    // Byte order puts upper-case names before lower-case ones.
    let names = ["delta", "Alpha", "charlie", "bravo", "echo"];
    for name in names {
        let issuer = format!("https://{}.example.com", name.to_lowercase());
        store
            .create_oidc_provider(&provider(name, &issuer), LIMIT)
            .await
            .expect("create");
    }

    let first = store.list_oidc_providers(None, 2).await.expect("page 1");
    let first_names: Vec<_> = first.items.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(first_names, ["Alpha", "bravo"]);
    assert_eq!(
        first.items[0],
        provider("Alpha", "https://alpha.example.com")
    );
    let marker = first.next_marker.expect("page 1 must have a marker");

    let second = store
        .list_oidc_providers(Some(&marker), 2)
        .await
        .expect("page 2");
    let second_names: Vec<_> = second.items.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(second_names, ["charlie", "delta"]);
    let marker = second.next_marker.expect("page 2 must have a marker");

    let third = store
        .list_oidc_providers(Some(&marker), 2)
        .await
        .expect("page 3");
    let third_names: Vec<_> = third.items.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(third_names, ["echo"]);
    assert_eq!(third.next_marker, None);
    assert_eq!(
        third.items[0].client_ids,
        ["sts.aliyuncs.com", "echo-client"]
    );

    let all = store
        .list_oidc_providers(None, 5)
        .await
        .expect("exact page");
    assert_eq!(all.items.len(), 5);
    assert_eq!(
        all.next_marker, None,
        "a full last page must not have a marker"
    );

    let one = store
        .list_oidc_providers(None, 0)
        .await
        .expect("max_items 0");
    assert_eq!(one.items.len(), 1, "max_items 0 must be clamped to 1");
}

pub async fn provider_list_empty(store: &dyn Store) {
    let page = store.list_oidc_providers(None, 100).await.expect("list");
    assert!(page.items.is_empty());
    assert_eq!(page.next_marker, None);
}

pub async fn provider_list_invalid_marker(store: &dyn Store) {
    let err = store
        .list_oidc_providers(Some("not a marker"), 10)
        .await
        .expect_err("garbage marker");
    assert_eq!(err, StoreError::InvalidMarker);

    store
        .create_role(&role("a-role", &[]))
        .await
        .expect("create role");
    store
        .create_role(&role("b-role", &[]))
        .await
        .expect("create role");
    let roles = store.list_roles(None, 1).await.expect("list roles");
    let role_marker = roles.next_marker.expect("role marker");
    let err = store
        .list_oidc_providers(Some(&role_marker), 10)
        .await
        .expect_err("role marker on provider list");
    assert_eq!(err, StoreError::InvalidMarker);
}

pub async fn provider_update_replaces_fields(store: &dyn Store) {
    let original = provider("github", "https://a.example.com");
    store
        .create_oidc_provider(&original, LIMIT)
        .await
        .expect("create");

    let mut change = original.clone();
    change.issuer_url = "https://b.example.com".into();
    change.client_ids = vec!["new-client".into()];
    change.fingerprints = vec![];
    change.issuance_limit_hours = 1;
    change.description = "updated".into();
    change.updated_ms = original.updated_ms + 5_000;
    // The store keeps the stored ARN and creation time whatever the update carries.
    change.arn = "acs:ram::1:oidc-provider/forged".into();
    change.created_ms = 1;

    let stored = store.update_oidc_provider(&change).await.expect("update");
    let mut expected = change.clone();
    expected.arn = original.arn.clone();
    expected.created_ms = original.created_ms;
    assert_eq!(stored, expected);
    assert_eq!(
        store.get_oidc_provider("github").await.expect("get"),
        Some(expected)
    );
}

pub async fn provider_update_missing_not_found(store: &dyn Store) {
    let err = store
        .update_oidc_provider(&provider("absent", "https://a.example.com"))
        .await
        .expect_err("update of missing provider");
    assert_eq!(
        err,
        StoreError::NotFound {
            kind: EntityKind::OidcProvider,
            name: "absent".into(),
        }
    );
}

pub async fn provider_update_issuer_conflict(store: &dyn Store) {
    let first = provider("first", "https://a.example.com");
    store
        .create_oidc_provider(&first, LIMIT)
        .await
        .expect("create first");
    store
        .create_oidc_provider(&provider("second", "https://b.example.com"), LIMIT)
        .await
        .expect("create second");

    let mut change = first.clone();
    change.issuer_url = "https://b.example.com".into();
    change.description = "must not be stored".into();
    let err = store
        .update_oidc_provider(&change)
        .await
        .expect_err("issuer of another provider");
    assert_eq!(
        err,
        StoreError::Conflict {
            kind: EntityKind::IssuerUrl,
            name: "https://b.example.com".into(),
        }
    );
    assert_eq!(
        store.get_oidc_provider("first").await.expect("get"),
        Some(first)
    );
}

pub async fn provider_delete_removes_lists(store: &dyn Store) {
    store
        .create_oidc_provider(&provider("github", "https://a.example.com"), LIMIT)
        .await
        .expect("create");
    store.delete_oidc_provider("github").await.expect("delete");
    assert_eq!(store.get_oidc_provider("github").await.expect("get"), None);

    // Recreating the name must not resurrect the old client IDs or fingerprints.
    let mut again = provider("github", "https://a.example.com");
    again.client_ids = vec!["only".into()];
    again.fingerprints = vec![];
    store
        .create_oidc_provider(&again, LIMIT)
        .await
        .expect("recreate");
    assert_eq!(
        store.get_oidc_provider("github").await.expect("get"),
        Some(again)
    );
}

pub async fn provider_delete_missing_not_found(store: &dyn Store) {
    let err = store
        .delete_oidc_provider("absent")
        .await
        .expect_err("delete of missing provider");
    assert_eq!(
        err,
        StoreError::NotFound {
            kind: EntityKind::OidcProvider,
            name: "absent".into(),
        }
    );
}

pub async fn provider_delete_in_use_by_role(store: &dyn Store) {
    store
        .create_oidc_provider(&provider("github", "https://a.example.com"), LIMIT)
        .await
        .expect("create");
    // Trust evaluation compares ARNs case-insensitively, so an upper-cased ARN also counts as a use.
    let upper_arn = provider_arn("github").to_uppercase();
    store
        .create_role(&role("Deploy", &[provider_arn("github")]))
        .await
        .expect("create Deploy");
    store
        .create_role(&role("audit", &[upper_arn]))
        .await
        .expect("create audit");
    store
        .create_role(&role("unrelated", &[provider_arn("other")]))
        .await
        .expect("create unrelated");

    let err = store
        .delete_oidc_provider("github")
        .await
        .expect_err("provider trusted by roles");
    assert_eq!(
        err,
        StoreError::InUse {
            kind: EntityKind::OidcProvider,
            name: "github".into(),
            users: vec!["audit".into(), "Deploy".into()],
        }
    );
    assert!(store
        .get_oidc_provider("github")
        .await
        .expect("get")
        .is_some());

    store.delete_role("audit").await.expect("delete audit");
    let mut deploy = role("Deploy", &[]);
    deploy.updated_ms += 1;
    store.update_role(&deploy).await.expect("untrust in Deploy");
    store
        .delete_oidc_provider("github")
        .await
        .expect("delete unused provider");
    assert_eq!(store.get_oidc_provider("github").await.expect("get"), None);
}
