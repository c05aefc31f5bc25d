//! Conformance cases for issuer clients and client secrets.

use std::sync::Arc;

use crate::error::{EntityKind, StoreError};
use crate::issuer_model::ClientSecretRecord;
use crate::Store;

use super::issuer_resources::{client, grant, resource_server};

/// Returns an active secret fixture.
pub fn client_secret(client_id: &str, secret_id: &str, created_ms: i64) -> ClientSecretRecord {
    ClientSecretRecord {
        secret_id: secret_id.to_owned(),
        client_id: client_id.to_owned(),
        seed: format!("seed-of-{secret_id}"),
        created_ms,
        revoked_ms: None,
    }
}

pub async fn client_create_get_update(store: &dyn Store) {
    let mut record = client("akc1");
    record.auth_methods = vec!["private_key_jwt".into(), "client_secret_post".into()];
    record.jwks = r#"{"keys":[]}"#.into();
    store.create_client(&record, 10).await.expect("create");
    assert_eq!(
        store.get_client("akc1").await.expect("get"),
        Some(record.clone()),
        "keeps method order"
    );
    assert_eq!(
        store.get_client("AKC1").await.expect("get"),
        None,
        "client IDs are case-sensitive"
    );
    assert_eq!(
        store.create_client(&record, 10).await,
        Err(StoreError::Conflict {
            kind: EntityKind::Client,
            name: "akc1".into()
        })
    );

    let mut changed = record.clone();
    changed.name = "renamed".into();
    changed.auth_methods = vec!["client_secret_jwt".into()];
    changed.access_token_lifetime_secs = 600;
    changed.jwks = String::new();
    changed.updated_ms = 1_800_000_000_000;
    changed.created_ms = 5;
    let stored = store.update_client(&changed).await.expect("update");
    assert_eq!(stored.name, "renamed");
    assert_eq!(stored.auth_methods, vec!["client_secret_jwt".to_owned()]);
    assert_eq!(stored.access_token_lifetime_secs, 600);
    assert_eq!(stored.jwks, "");
    assert_eq!(
        stored.created_ms, 1_700_000_000_000,
        "created_ms is not replaced"
    );
    assert_eq!(stored.updated_ms, 1_800_000_000_000);
    assert_eq!(
        store.update_client(&client("absent")).await,
        Err(StoreError::NotFound {
            kind: EntityKind::Client,
            name: "absent".into()
        })
    );
}

pub async fn client_limit_and_listing(store: &dyn Store) {
    for client_id in ["akc3", "akc1", "akc2"] {
        store
            .create_client(&client(client_id), 3)
            .await
            .expect("create");
    }
    assert_eq!(
        store.create_client(&client("akc4"), 3).await,
        Err(StoreError::LimitExceeded {
            kind: EntityKind::Client,
            limit: 3
        })
    );
    let first = store.list_clients(None, 2).await.expect("page 1");
    assert_eq!(
        first
            .items
            .iter()
            .map(|c| c.client_id.as_str())
            .collect::<Vec<_>>(),
        ["akc1", "akc2"]
    );
    let second = store
        .list_clients(first.next_marker.as_deref(), 2)
        .await
        .expect("page 2");
    assert_eq!(
        second
            .items
            .iter()
            .map(|c| c.client_id.as_str())
            .collect::<Vec<_>>(),
        ["akc3"]
    );
    assert_eq!(second.next_marker, None);
    assert_eq!(
        store.list_clients(Some("bogus"), 2).await,
        Err(StoreError::InvalidMarker)
    );
}

pub async fn client_delete_cascades(store: &dyn Store) {
    store
        .create_resource_server(&resource_server("billing"), 10)
        .await
        .expect("resource server");
    store
        .create_client(&client("akc1"), 10)
        .await
        .expect("create");
    store
        .create_client_secret(&client_secret("akc1", "cs-1", 1), 5)
        .await
        .expect("secret");
    store
        .create_grant(&grant("akc1", "billing", &["read"]))
        .await
        .expect("grant");
    assert!(store
        .use_assertion_jti("akc1", "j1", i64::MAX, 0)
        .await
        .expect("jti"));

    store.delete_client("akc1").await.expect("delete");
    assert_eq!(store.get_client("akc1").await.expect("get"), None);
    assert_eq!(store.get_grant("akc1", "billing").await.expect("get"), None);
    assert_eq!(
        store.list_client_secrets("akc1").await,
        Err(StoreError::NotFound {
            kind: EntityKind::Client,
            name: "akc1".into()
        })
    );
    store
        .delete_resource_server("billing")
        .await
        .expect("no grant keeps it in use");

    store
        .create_client(&client("akc1"), 10)
        .await
        .expect("recreate");
    assert!(
        store
            .use_assertion_jti("akc1", "j1", i64::MAX, 0)
            .await
            .expect("jti"),
        "jti list went with the client"
    );
    assert_eq!(
        store.delete_client("akc9").await,
        Err(StoreError::NotFound {
            kind: EntityKind::Client,
            name: "akc9".into()
        })
    );
}

pub async fn client_secret_lifecycle(store: &dyn Store) {
    store
        .create_client(&client("akc1"), 10)
        .await
        .expect("create");
    let first = client_secret("akc1", "cs-b", 2);
    let second = client_secret("akc1", "cs-a", 2);
    let third = client_secret("akc1", "cs-c", 1);
    for secret in [&first, &second, &third] {
        store.create_client_secret(secret, 5).await.expect("secret");
    }
    let listed = store.list_client_secrets("akc1").await.expect("list");
    assert_eq!(
        listed,
        vec![third.clone(), second.clone(), first.clone()],
        "oldest first, then by ID"
    );

    let revoked = store
        .revoke_client_secret("akc1", "cs-a", 99)
        .await
        .expect("revoke");
    assert_eq!(revoked.revoked_ms, Some(99));
    assert_eq!(revoked.seed, "", "revoking clears the seed");
    let again = store
        .revoke_client_secret("akc1", "cs-a", 200)
        .await
        .expect("revoke again");
    assert_eq!(
        again.revoked_ms,
        Some(99),
        "the first revocation time stays"
    );

    assert_eq!(
        store.revoke_client_secret("akc1", "cs-x", 1).await,
        Err(StoreError::NotFound {
            kind: EntityKind::ClientSecret,
            name: "cs-x".into()
        })
    );
    store
        .create_client(&client("akc2"), 10)
        .await
        .expect("other client");
    assert_eq!(
        store.revoke_client_secret("akc2", "cs-b", 1).await,
        Err(StoreError::NotFound {
            kind: EntityKind::ClientSecret,
            name: "cs-b".into()
        }),
        "a secret belongs to one client"
    );
    assert_eq!(
        store.revoke_client_secret("akc9", "cs-b", 1).await,
        Err(StoreError::NotFound {
            kind: EntityKind::Client,
            name: "akc9".into()
        })
    );
}

pub async fn client_secret_limit_counts_active(store: &dyn Store) {
    store
        .create_client(&client("akc1"), 10)
        .await
        .expect("create");
    store
        .create_client_secret(&client_secret("akc1", "cs-1", 1), 2)
        .await
        .expect("secret 1");
    store
        .create_client_secret(&client_secret("akc1", "cs-2", 2), 2)
        .await
        .expect("secret 2");
    assert_eq!(
        store
            .create_client_secret(&client_secret("akc1", "cs-3", 3), 2)
            .await,
        Err(StoreError::LimitExceeded {
            kind: EntityKind::ClientSecret,
            limit: 2
        })
    );
    store
        .revoke_client_secret("akc1", "cs-1", 4)
        .await
        .expect("revoke");
    store
        .create_client_secret(&client_secret("akc1", "cs-3", 5), 2)
        .await
        .expect("revoked ones do not count");
    assert_eq!(
        store
            .create_client_secret(&client_secret("akc1", "cs-3", 6), 5)
            .await,
        Err(StoreError::Conflict {
            kind: EntityKind::ClientSecret,
            name: "cs-3".into()
        })
    );
    assert_eq!(
        store
            .create_client_secret(&client_secret("akc9", "cs-9", 1), 5)
            .await,
        Err(StoreError::NotFound {
            kind: EntityKind::Client,
            name: "akc9".into()
        })
    );
}

/// Many concurrent secret creations never leave more active secrets than the limit.
pub async fn client_secret_limit_holds_under_concurrency(store: Arc<dyn Store>) {
    store
        .create_client(&client("akc1"), 10)
        .await
        .expect("create");
    let mut tasks = Vec::new();
    for index in 0..12 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .create_client_secret(&client_secret("akc1", &format!("cs-{index}"), index), 3)
                .await
        }));
    }
    let mut created = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(()) => created += 1,
            Err(StoreError::LimitExceeded { .. }) => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(created, 3);
    assert_eq!(
        store.list_client_secrets("akc1").await.expect("list").len(),
        3
    );
}
