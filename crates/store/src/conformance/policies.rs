//! Conformance cases for policies and their attachments to roles.

use crate::error::{EntityKind, StoreError};
use crate::model::MAX_PAGE_ITEMS;
use crate::Store;

use super::{policy, provider, provider_arn, role};

pub async fn policy_create_and_get(store: &dyn Store) {
    let mut record = policy("ReadOnly");
    record.attachment_count = 7;
    store.create_policy(&record).await.expect("create");

    let found = store.get_policy("ReadOnly").await.expect("get");
    record.attachment_count = 0;
    assert_eq!(found, Some(record), "the store computes attachment_count");
    assert_eq!(store.get_policy("absent").await.expect("get missing"), None);
}

pub async fn policy_lookup_case_insensitive(store: &dyn Store) {
    let record = policy("ReadOnly");
    store.create_policy(&record).await.expect("create");

    for name in ["readonly", "READONLY"] {
        let found = store.get_policy(name).await.expect("get");
        assert_eq!(found.as_ref(), Some(&record), "lookup by {name:?}");
    }
}

pub async fn policy_duplicate_name_conflicts(store: &dyn Store) {
    store
        .create_policy(&policy("ReadOnly"))
        .await
        .expect("create");

    let err = store
        .create_policy(&policy("readonly"))
        .await
        .expect_err("name differing only in case");
    assert_eq!(
        err,
        StoreError::Conflict {
            kind: EntityKind::Policy,
            name: "readonly".into(),
        }
    );
}

pub async fn policy_list_pages_in_name_order(store: &dyn Store) {
    for name in ["delta", "Charlie", "bravo", "Alpha"] {
        store.create_policy(&policy(name)).await.expect("create");
    }
    store
        .create_role(&role("Deploy", &[]))
        .await
        .expect("create role");
    store
        .attach_policy_to_role("Deploy", "bravo")
        .await
        .expect("attach");

    let first = store.list_policies(None, 3).await.expect("page 1");
    let names: Vec<_> = first.items.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Alpha", "bravo", "Charlie"]);
    assert_eq!(first.items[1].attachment_count, 1);
    assert_eq!(first.items[0].attachment_count, 0);
    let marker = first.next_marker.expect("page 1 marker");

    let second = store.list_policies(Some(&marker), 3).await.expect("page 2");
    let names: Vec<_> = second.items.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["delta"]);
    assert_eq!(second.next_marker, None);
}

pub async fn policy_list_clamps_max_items(store: &dyn Store) {
    let total = MAX_PAGE_ITEMS as usize + 1;
    for i in 0..total {
        store
            .create_policy(&policy(&format!("policy-{i:04}")))
            .await
            .expect("create");
    }

    let page = store
        .list_policies(None, u32::MAX)
        .await
        .expect("huge max_items");
    assert_eq!(page.items.len(), MAX_PAGE_ITEMS as usize);
    let marker = page.next_marker.expect("one policy remains");

    let rest = store
        .list_policies(Some(&marker), u32::MAX)
        .await
        .expect("rest");
    let names: Vec<_> = rest.items.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["policy-1000"]);
    assert_eq!(rest.next_marker, None);

    let one = store.list_policies(None, 0).await.expect("max_items 0");
    assert_eq!(one.items.len(), 1, "max_items 0 must be clamped to 1");
}

pub async fn policy_list_invalid_marker(store: &dyn Store) {
    let err = store
        .list_policies(Some("AAAA"), 10)
        .await
        .expect_err("marker without list tag");
    assert_eq!(err, StoreError::InvalidMarker);
}

pub async fn policy_delete_then_missing(store: &dyn Store) {
    store
        .create_policy(&policy("ReadOnly"))
        .await
        .expect("create");
    store
        .delete_policy("READONLY")
        .await
        .expect("delete by other case");
    assert_eq!(store.get_policy("ReadOnly").await.expect("get"), None);
}

pub async fn policy_delete_missing_not_found(store: &dyn Store) {
    let err = store
        .delete_policy("absent")
        .await
        .expect_err("delete missing");
    assert_eq!(
        err,
        StoreError::NotFound {
            kind: EntityKind::Policy,
            name: "absent".into(),
        }
    );
}

pub async fn policy_delete_in_use_by_role(store: &dyn Store) {
    store
        .create_policy(&policy("ReadOnly"))
        .await
        .expect("create policy");
    store
        .create_role(&role("Deploy", &[]))
        .await
        .expect("create role");
    store
        .create_role(&role("audit", &[]))
        .await
        .expect("create role");
    store
        .attach_policy_to_role("Deploy", "ReadOnly")
        .await
        .expect("attach");
    store
        .attach_policy_to_role("audit", "ReadOnly")
        .await
        .expect("attach");

    let err = store
        .delete_policy("ReadOnly")
        .await
        .expect_err("attached policy");
    assert_eq!(
        err,
        StoreError::InUse {
            kind: EntityKind::Policy,
            name: "ReadOnly".into(),
            users: vec!["audit".into(), "Deploy".into()],
        }
    );
    assert!(store.get_policy("ReadOnly").await.expect("get").is_some());
}

pub async fn attach_counts_and_lists(store: &dyn Store) {
    store
        .create_role(&role("Deploy", &[]))
        .await
        .expect("create role");
    store
        .create_role(&role("audit", &[]))
        .await
        .expect("create role");
    for name in ["Write", "read"] {
        store
            .create_policy(&policy(name))
            .await
            .expect("create policy");
    }
    assert!(store
        .list_policies_for_role("Deploy")
        .await
        .expect("list before attach")
        .is_empty());

    store
        .attach_policy_to_role("DEPLOY", "write")
        .await
        .expect("attach");
    store
        .attach_policy_to_role("Deploy", "READ")
        .await
        .expect("attach");
    store
        .attach_policy_to_role("audit", "Write")
        .await
        .expect("attach");

    let attached = store.list_policies_for_role("deploy").await.expect("list");
    let names: Vec<_> = attached.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["read", "Write"]);
    assert_eq!(attached[0].attachment_count, 1);
    assert_eq!(attached[1].attachment_count, 2);

    let write = store
        .get_policy("Write")
        .await
        .expect("get")
        .expect("policy");
    assert_eq!(write.attachment_count, 2);
}

pub async fn attach_missing_role_or_policy(store: &dyn Store) {
    store
        .create_role(&role("Deploy", &[]))
        .await
        .expect("create role");
    store
        .create_policy(&policy("ReadOnly"))
        .await
        .expect("create policy");

    let err = store
        .attach_policy_to_role("absent", "ReadOnly")
        .await
        .expect_err("missing role");
    assert_eq!(
        err,
        StoreError::NotFound {
            kind: EntityKind::Role,
            name: "absent".into(),
        }
    );
    let err = store
        .attach_policy_to_role("Deploy", "absent")
        .await
        .expect_err("missing policy");
    assert_eq!(
        err,
        StoreError::NotFound {
            kind: EntityKind::Policy,
            name: "absent".into(),
        }
    );
    let err = store
        .detach_policy_from_role("absent", "ReadOnly")
        .await
        .expect_err("detach from missing role");
    assert_eq!(
        err,
        StoreError::NotFound {
            kind: EntityKind::Role,
            name: "absent".into(),
        }
    );
    let err = store
        .detach_policy_from_role("Deploy", "absent")
        .await
        .expect_err("detach missing policy");
    assert_eq!(
        err,
        StoreError::NotFound {
            kind: EntityKind::Policy,
            name: "absent".into(),
        }
    );
}

pub async fn attach_twice_conflicts(store: &dyn Store) {
    store
        .create_role(&role("Deploy", &[]))
        .await
        .expect("create role");
    store
        .create_policy(&policy("ReadOnly"))
        .await
        .expect("create policy");
    store
        .attach_policy_to_role("Deploy", "ReadOnly")
        .await
        .expect("attach");

    let err = store
        .attach_policy_to_role("deploy", "readonly")
        .await
        .expect_err("second attach");
    assert_eq!(
        err,
        StoreError::Conflict {
            kind: EntityKind::PolicyAttachment,
            name: "readonly".into(),
        }
    );
    let policy = store
        .get_policy("ReadOnly")
        .await
        .expect("get")
        .expect("policy");
    assert_eq!(policy.attachment_count, 1);
}

pub async fn detach_removes_attachment(store: &dyn Store) {
    store
        .create_role(&role("Deploy", &[]))
        .await
        .expect("create role");
    store
        .create_policy(&policy("ReadOnly"))
        .await
        .expect("create policy");
    store
        .attach_policy_to_role("Deploy", "ReadOnly")
        .await
        .expect("attach");

    store
        .detach_policy_from_role("DEPLOY", "readonly")
        .await
        .expect("detach");
    assert!(store
        .list_policies_for_role("Deploy")
        .await
        .expect("list")
        .is_empty());
    let policy = store
        .get_policy("ReadOnly")
        .await
        .expect("get")
        .expect("policy");
    assert_eq!(policy.attachment_count, 0);
    store
        .delete_policy("ReadOnly")
        .await
        .expect("delete detached policy");
}

pub async fn detach_not_attached_not_found(store: &dyn Store) {
    store
        .create_role(&role("Deploy", &[]))
        .await
        .expect("create role");
    store
        .create_policy(&policy("ReadOnly"))
        .await
        .expect("create policy");

    let err = store
        .detach_policy_from_role("Deploy", "ReadOnly")
        .await
        .expect_err("detach without attach");
    assert_eq!(
        err,
        StoreError::NotFound {
            kind: EntityKind::PolicyAttachment,
            name: "ReadOnly".into(),
        }
    );
}

pub async fn list_policies_for_missing_role(store: &dyn Store) {
    let err = store
        .list_policies_for_role("absent")
        .await
        .expect_err("missing role");
    assert_eq!(
        err,
        StoreError::NotFound {
            kind: EntityKind::Role,
            name: "absent".into(),
        }
    );
}

pub async fn role_with_policies_matches_separate_reads(store: &dyn Store) {
    store
        .create_oidc_provider(&provider("github", "https://github.example.com"), 100)
        .await
        .expect("create provider");
    store
        .create_role(&role("Deploy", &[provider_arn("github")]))
        .await
        .expect("create role");
    store
        .create_role(&role("idle", &[]))
        .await
        .expect("create role");
    for name in ["Write", "read", "unused"] {
        store
            .create_policy(&policy(name))
            .await
            .expect("create policy");
    }
    for name in ["WRITE", "Read"] {
        store
            .attach_policy_to_role("deploy", name)
            .await
            .expect("attach");
    }

    let loaded = store
        .get_role_with_policies("DEPLOY")
        .await
        .expect("load")
        .expect("the role exists");
    let role = store.get_role("Deploy").await.expect("get").expect("exists");
    assert_eq!(loaded.role, role);
    assert_eq!(loaded.role.trusted_provider_arns, [provider_arn("github")]);
    let names: Vec<_> = loaded.policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["read", "Write"], "attached policies in lower-cased name order");
    assert_eq!(
        loaded.policies,
        store
            .list_policies_for_role("Deploy")
            .await
            .expect("list")
    );

    let idle = store
        .get_role_with_policies("idle")
        .await
        .expect("load")
        .expect("the role exists");
    assert_eq!(idle.role.name, "idle");
    assert!(idle.policies.is_empty());

    assert_eq!(
        store.get_role_with_policies("absent").await.expect("load"),
        None
    );
    store
        .detach_policy_from_role("Deploy", "read")
        .await
        .expect("detach");
    let after = store
        .get_role_with_policies("deploy")
        .await
        .expect("load")
        .expect("the role exists");
    let names: Vec<_> = after.policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Write"], "a detached policy is gone from the next read");
}
