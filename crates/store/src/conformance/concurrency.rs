//! Conformance cases where concurrent writers race for the same limit or name.

use std::sync::Arc;

use tokio::task::JoinSet;

use crate::error::{EntityKind, StoreError};
use crate::Store;

use super::{provider, role};

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
