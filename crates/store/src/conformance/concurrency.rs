//! Conformance cases where concurrent writers race for the same limit or name.

use std::sync::Arc;

use tokio::task::JoinSet;

use crate::error::{EntityKind, StoreError};
use crate::Store;

use super::{policy, provider, role};

/// Tasks started by each race; more than the limit so that several must lose.
const RACERS: usize = 12;

pub async fn provider_limit_holds_under_concurrency(store: Arc<dyn Store>) {
    const LIMIT: u32 = 5;
    store
        .create_oidc_provider(&provider("existing", "https://existing.example.com"), LIMIT)
        .await
        .expect("create first provider");

    let mut tasks = JoinSet::new();
    for i in 0..RACERS {
        let store = Arc::clone(&store);
        tasks.spawn(async move {
            let name = format!("racer-{i:02}");
            let issuer = format!("https://{name}.example.com");
            store
                .create_oidc_provider(&provider(&name, &issuer), LIMIT)
                .await
        });
    }

    let mut created = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined.expect("task panicked") {
            Ok(()) => created += 1,
            Err(StoreError::LimitExceeded {
                kind: EntityKind::OidcProvider,
                limit,
            }) => {
                assert_eq!(limit, LIMIT);
            }
            Err(other) => panic!("unexpected error in race: {other:?}"),
        }
    }
    assert_eq!(
        created,
        LIMIT as usize - 1,
        "only the free slots may be filled"
    );

    let page = store.list_oidc_providers(None, 100).await.expect("list");
    assert_eq!(page.items.len(), LIMIT as usize);
}

pub async fn role_create_race_single_winner(store: Arc<dyn Store>) {
    let mut tasks = JoinSet::new();
    for i in 0..RACERS {
        let store = Arc::clone(&store);
        tasks.spawn(async move {
            // Names differ only in case, and IDs and ARNs differ, so only the name can collide.
            let name = if i % 2 == 0 { "Deploy" } else { "DEPLOY" };
            let mut record = role(name, &[]);
            record.role_id = format!("3{i:018}");
            record.arn = format!("acs:ram::1234567890123456:role/deploy-{i}");
            store.create_role(&record).await
        });
    }

    let mut created = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined.expect("task panicked") {
            Ok(()) => created += 1,
            Err(StoreError::Conflict {
                kind: EntityKind::Role,
                ..
            }) => {}
            Err(other) => panic!("unexpected error in race: {other:?}"),
        }
    }
    assert_eq!(created, 1, "exactly one racer may create the role");

    let page = store.list_roles(None, 100).await.expect("list");
    assert_eq!(page.items.len(), 1);
}

pub async fn attach_delete_race_consistent(store: Arc<dyn Store>) {
    const ROUNDS: usize = 8;
    store
        .create_role(&role("Deploy", &[]))
        .await
        .expect("create role");

    for round in 0..ROUNDS {
        let name = format!("Racy{round}");
        store
            .create_policy(&policy(&name))
            .await
            .expect("create policy");

        let deleter = {
            let store = Arc::clone(&store);
            let name = name.clone();
            tokio::spawn(async move { store.delete_policy(&name).await })
        };
        let attacher = {
            let store = Arc::clone(&store);
            let name = name.clone();
            tokio::spawn(async move { store.attach_policy_to_role("Deploy", &name).await })
        };
        let deleted = deleter.await.expect("delete task panicked");
        let attached = attacher.await.expect("attach task panicked");

        let stored = store.get_policy(&name).await.expect("get policy");
        let for_role = store
            .list_policies_for_role("Deploy")
            .await
            .expect("list attached");
        let listed = for_role.iter().any(|p| p.name == name);
        match (&deleted, &attached) {
            (Ok(()), Err(StoreError::NotFound { .. })) => {
                assert_eq!(stored, None, "round {round}: deleted policy still stored");
                assert!(!listed, "round {round}: deleted policy still attached");
            }
            (Err(StoreError::InUse { .. }), Ok(())) => {
                let stored = stored.expect("attached policy must exist");
                assert_eq!(stored.attachment_count, 1, "round {round}");
                assert!(listed, "round {round}: attachment missing from the role");
            }
            other => panic!("round {round}: inconsistent outcome {other:?}"),
        }
    }
}

pub async fn admin_lock_serialises_updates(store: Arc<dyn Store>) {
    const WRITERS: usize = 6;
    store
        .create_oidc_provider(&provider("github", "https://github.example.com"), 100)
        .await
        .expect("create provider");

    // Each writer reads the description, waits, and stores it with one more mark. Without mutual
    // exclusion, writers overwrite each other's marks.
    let mut tasks = JoinSet::new();
    for i in 0..WRITERS {
        let store = Arc::clone(&store);
        tasks.spawn(async move {
            let _lock = store.lock_admin_writes().await.expect("lock_admin_writes");
            let mut record = store
                .get_oidc_provider("github")
                .await
                .expect("get provider")
                .expect("provider exists");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            record.description.push_str(&format!("[{i}]"));
            store
                .update_oidc_provider(&record)
                .await
                .expect("update provider");
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.expect("writer panicked");
    }

    let stored = store
        .get_oidc_provider("github")
        .await
        .expect("get provider")
        .expect("provider exists");
    for i in 0..WRITERS {
        assert!(
            stored.description.contains(&format!("[{i}]")),
            "mark of writer {i} lost: {:?}",
            stored.description
        );
    }
}
