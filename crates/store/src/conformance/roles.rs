//! Conformance cases for roles.

use crate::error::{EntityKind, StoreError};
use crate::Store;

use super::{policy, provider_arn, role};

pub async fn role_create_and_get(store: &dyn Store) {
    let record = role("Deploy", &[provider_arn("github"), provider_arn("gitlab")]);
    store.create_role(&record).await.expect("create");

    let found = store.get_role("Deploy").await.expect("get");
    assert_eq!(found, Some(record));
    assert_eq!(store.get_role("absent").await.expect("get missing"), None);
}

pub async fn role_lookup_case_insensitive(store: &dyn Store) {
    let record = role("Deploy-Prod", &[]);
    store.create_role(&record).await.expect("create");

    for name in ["deploy-prod", "DEPLOY-PROD", "dEpLoY-pRoD"] {
        let found = store.get_role(name).await.expect("get");
        assert_eq!(found.as_ref(), Some(&record), "lookup by {name:?}");
    }
}

pub async fn role_duplicate_name_conflicts(store: &dyn Store) {
    store
        .create_role(&role("Deploy", &[]))
        .await
        .expect("create");

    let mut other = role("DEPLOY", &[]);
    other.role_id = "399999999999999999".into();
    other.arn = "acs:ram::1234567890123456:role/other-arn".into();
    let err = store
        .create_role(&other)
        .await
        .expect_err("name differing only in case");
    assert_eq!(
        err,
        StoreError::Conflict {
            kind: EntityKind::Role,
            name: "DEPLOY".into(),
        }
    );
    let found = store.get_role("deploy").await.expect("get").expect("role");
    assert_eq!(found.name, "Deploy", "the first role must stay unchanged");
}

pub async fn role_duplicate_id_or_arn_conflicts(store: &dyn Store) {
    let first = role("first", &[]);
    store.create_role(&first).await.expect("create");

    let mut same_id = role("second", &[]);
    same_id.role_id = first.role_id.clone();
    let err = store.create_role(&same_id).await.expect_err("same role ID");
    assert_eq!(
        err,
        StoreError::Conflict {
            kind: EntityKind::Role,
            name: "second".into(),
        }
    );

    let mut same_arn = role("third", &[]);
    same_arn.arn = first.arn.clone();
    let err = store.create_role(&same_arn).await.expect_err("same ARN");
    assert_eq!(
        err,
        StoreError::Conflict {
            kind: EntityKind::Role,
            name: "third".into(),
        }
    );
    assert_eq!(store.get_role("second").await.expect("get"), None);
    assert_eq!(store.get_role("third").await.expect("get"), None);
}

pub async fn role_list_pages_in_name_order(store: &dyn Store) {
    // Roles sort by lower-cased name, so "Bravo" falls between "alpha" and "charlie".
    for name in ["charlie", "Bravo", "alpha"] {
        store
            .create_role(&role(name, &[provider_arn(name)]))
            .await
            .expect("create");
    }

    let first = store.list_roles(None, 2).await.expect("page 1");
    let names: Vec<_> = first.items.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["alpha", "Bravo"]);
    assert_eq!(first.items[1], role("Bravo", &[provider_arn("Bravo")]));
    let marker = first.next_marker.expect("page 1 marker");

    let second = store.list_roles(Some(&marker), 2).await.expect("page 2");
    let names: Vec<_> = second.items.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["charlie"]);
    assert_eq!(
        second.items[0].trusted_provider_arns,
        [provider_arn("charlie")]
    );
    assert_eq!(second.next_marker, None);
}

pub async fn role_list_invalid_marker(store: &dyn Store) {
    let err = store
        .list_roles(Some("%%%"), 10)
        .await
        .expect_err("garbage marker");
    assert_eq!(err, StoreError::InvalidMarker);
}

pub async fn role_update_replaces_fields(store: &dyn Store) {
    let original = role("Deploy", &[provider_arn("github")]);
    store.create_role(&original).await.expect("create");

    let mut change = role(
        "deploy",
        &[provider_arn("gitlab"), provider_arn("bitbucket")],
    );
    change.trust_policy = r#"{"Version":"1","Statement":[{"Effect":"Deny"}]}"#.into();
    change.description = "updated".into();
    change.max_session_duration = 43_200;
    change.updated_ms = original.updated_ms + 1_000;
    change.created_ms = 1;
    change.role_id = "300000000000000001".into();

    let stored = store
        .update_role(&change)
        .await
        .expect("update by other case");
    let mut expected = original.clone();
    expected.trust_policy = change.trust_policy.clone();
    expected.trusted_provider_arns = change.trusted_provider_arns.clone();
    expected.description = change.description.clone();
    expected.max_session_duration = change.max_session_duration;
    expected.updated_ms = change.updated_ms;
    assert_eq!(
        stored, expected,
        "name, ID, ARN and creation time must stay"
    );
    assert_eq!(store.get_role("DEPLOY").await.expect("get"), Some(expected));
}

pub async fn role_update_missing_not_found(store: &dyn Store) {
    let err = store
        .update_role(&role("absent", &[]))
        .await
        .expect_err("update of missing role");
    assert_eq!(
        err,
        StoreError::NotFound {
            kind: EntityKind::Role,
            name: "absent".into(),
        }
    );
}

pub async fn role_trusted_arns_deduplicated(store: &dyn Store) {
    let github = provider_arn("github");
    let record = role(
        "Deploy",
        &[
            github.clone(),
            github.to_uppercase(),
            provider_arn("gitlab"),
            github.clone(),
        ],
    );
    store.create_role(&record).await.expect("create");

    let found = store.get_role("deploy").await.expect("get").expect("role");
    assert_eq!(
        found.trusted_provider_arns,
        [github, provider_arn("gitlab")]
    );
}

pub async fn role_delete_then_missing(store: &dyn Store) {
    store
        .create_role(&role("Deploy", &[provider_arn("github")]))
        .await
        .expect("create");
    store
        .delete_role("DEPLOY")
        .await
        .expect("delete by other case");
    assert_eq!(store.get_role("Deploy").await.expect("get"), None);

    // A recreated role starts without the old trusted providers.
    store
        .create_role(&role("Deploy", &[]))
        .await
        .expect("recreate");
    let found = store.get_role("Deploy").await.expect("get").expect("role");
    assert!(found.trusted_provider_arns.is_empty(), "{found:?}");
}

pub async fn role_delete_missing_not_found(store: &dyn Store) {
    let err = store
        .delete_role("absent")
        .await
        .expect_err("delete missing");
    assert_eq!(
        err,
        StoreError::NotFound {
            kind: EntityKind::Role,
            name: "absent".into(),
        }
    );
}

pub async fn role_delete_in_use_by_policy(store: &dyn Store) {
    store
        .create_role(&role("Deploy", &[]))
        .await
        .expect("create role");
    store
        .create_policy(&policy("Write-Logs"))
        .await
        .expect("create policy");
    store
        .create_policy(&policy("alpha"))
        .await
        .expect("create policy");
    store
        .attach_policy_to_role("deploy", "write-logs")
        .await
        .expect("attach");
    store
        .attach_policy_to_role("Deploy", "alpha")
        .await
        .expect("attach");

    let err = store
        .delete_role("Deploy")
        .await
        .expect_err("role with policies");
    assert_eq!(
        err,
        StoreError::InUse {
            kind: EntityKind::Role,
            name: "Deploy".into(),
            users: vec!["alpha".into(), "Write-Logs".into()],
        }
    );
    assert!(store.get_role("Deploy").await.expect("get").is_some());

    store
        .detach_policy_from_role("Deploy", "Write-Logs")
        .await
        .expect("detach");
    store
        .detach_policy_from_role("Deploy", "alpha")
        .await
        .expect("detach");
    store
        .delete_role("Deploy")
        .await
        .expect("delete after detach");
    assert_eq!(store.get_role("Deploy").await.expect("get"), None);
}
