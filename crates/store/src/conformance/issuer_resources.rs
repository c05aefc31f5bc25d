//! Conformance cases for issuer resource servers and grants.

use crate::error::{EntityKind, StoreError};
use crate::issuer_model::{ClientRecord, GrantFilter, GrantRecord, ResourceServerRecord};
use crate::Store;

/// Resource-server limit used where a case does not test the limit.
const LIMIT: u32 = 100;

/// Returns a resource server fixture with permissions `read` and `write`.
pub fn resource_server(name: &str) -> ResourceServerRecord {
    ResourceServerRecord {
        name: name.to_owned(),
        identifier: format!("api:{name}"),
        permissions: vec!["read".to_owned(), "write".to_owned()],
        description: format!("resource server {name}"),
        created_ms: 1_700_000_000_000,
        updated_ms: 1_700_000_000_000,
    }
}

/// Returns a client fixture using client_secret_basic.
pub fn client(client_id: &str) -> ClientRecord {
    ClientRecord {
        client_id: client_id.to_owned(),
        name: format!("app-{client_id}"),
        description: String::new(),
        auth_methods: vec!["client_secret_basic".to_owned()],
        access_token_lifetime_secs: 3600,
        jwks: String::new(),
        created_ms: 1_700_000_000_000,
        updated_ms: 1_700_000_000_000,
    }
}

/// Returns a grant fixture.
pub fn grant(client_id: &str, resource_server: &str, permissions: &[&str]) -> GrantRecord {
    GrantRecord {
        client_id: client_id.to_owned(),
        resource_server: resource_server.to_owned(),
        permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
        created_ms: 1_700_000_000_000,
        updated_ms: 1_700_000_000_000,
    }
}

pub async fn resource_server_create_and_get(store: &dyn Store) {
    let mut record = resource_server("billing");
    record.permissions = vec!["zeta".into(), "alpha".into()];
    store
        .create_resource_server(&record, LIMIT)
        .await
        .expect("create");
    assert_eq!(
        store.get_resource_server("billing").await.expect("get"),
        Some(record.clone()),
        "keeps permission order"
    );
    assert_eq!(
        store
            .get_resource_server_by_identifier("api:billing")
            .await
            .expect("get"),
        Some(record)
    );
    assert_eq!(
        store.get_resource_server("Billing").await.expect("get"),
        None,
        "names are case-sensitive"
    );
    assert_eq!(
        store
            .get_resource_server_by_identifier("api:other")
            .await
            .expect("get"),
        None
    );
}

pub async fn resource_server_conflicts(store: &dyn Store) {
    store
        .create_resource_server(&resource_server("billing"), LIMIT)
        .await
        .expect("create");
    let mut same_name = resource_server("billing");
    same_name.identifier = "api:other".into();
    assert_eq!(
        store.create_resource_server(&same_name, LIMIT).await,
        Err(StoreError::Conflict {
            kind: EntityKind::ResourceServer,
            name: "billing".into()
        })
    );
    let mut same_identifier = resource_server("other");
    same_identifier.identifier = "api:billing".into();
    assert_eq!(
        store.create_resource_server(&same_identifier, LIMIT).await,
        Err(StoreError::Conflict {
            kind: EntityKind::ResourceServerIdentifier,
            name: "api:billing".into()
        })
    );
}

pub async fn resource_server_limit_exceeded(store: &dyn Store) {
    for name in ["a", "b"] {
        store
            .create_resource_server(&resource_server(name), 2)
            .await
            .expect("create");
    }
    assert_eq!(
        store.create_resource_server(&resource_server("c"), 2).await,
        Err(StoreError::LimitExceeded {
            kind: EntityKind::ResourceServer,
            limit: 2
        })
    );
}

pub async fn resource_server_list_pages(store: &dyn Store) {
    for name in ["c", "a", "b"] {
        store
            .create_resource_server(&resource_server(name), LIMIT)
            .await
            .expect("create");
    }
    let first = store.list_resource_servers(None, 2).await.expect("page 1");
    let names: Vec<&str> = first.items.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(
        first.items[0].permissions,
        vec!["read".to_owned(), "write".to_owned()]
    );
    let marker = first.next_marker.expect("a second page");
    let second = store
        .list_resource_servers(Some(&marker), 2)
        .await
        .expect("page 2");
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.items[0].name, "c");
    assert_eq!(second.next_marker, None);
    assert_eq!(
        store.list_resource_servers(Some("bogus"), 2).await,
        Err(StoreError::InvalidMarker)
    );
}

pub async fn resource_server_update_checks_grants(store: &dyn Store) {
    store
        .create_resource_server(&resource_server("billing"), LIMIT)
        .await
        .expect("create");
    store
        .create_client(&client("akc1"), 10)
        .await
        .expect("client");
    store
        .create_grant(&grant("akc1", "billing", &["write"]))
        .await
        .expect("grant");

    let mut drop_write = resource_server("billing");
    drop_write.permissions = vec!["read".into(), "admin".into()];
    assert_eq!(
        store.update_resource_server(&drop_write).await,
        Err(StoreError::InUse {
            kind: EntityKind::Permission,
            name: "write".into(),
            users: vec!["akc1".into()]
        })
    );

    let mut drop_read = resource_server("billing");
    drop_read.permissions = vec!["write".into(), "admin".into()];
    drop_read.description = "new".into();
    drop_read.updated_ms = 1_800_000_000_000;
    let stored = store
        .update_resource_server(&drop_read)
        .await
        .expect("update");
    assert_eq!(
        stored.permissions,
        vec!["write".to_owned(), "admin".to_owned()]
    );
    assert_eq!(stored.description, "new");
    assert_eq!(stored.created_ms, 1_700_000_000_000);
    assert_eq!(stored.updated_ms, 1_800_000_000_000);

    assert_eq!(
        store
            .update_resource_server(&resource_server("absent"))
            .await,
        Err(StoreError::NotFound {
            kind: EntityKind::ResourceServer,
            name: "absent".into()
        })
    );
}

pub async fn resource_server_delete_in_use(store: &dyn Store) {
    store
        .create_resource_server(&resource_server("billing"), LIMIT)
        .await
        .expect("create");
    store
        .create_client(&client("akc2"), 10)
        .await
        .expect("client");
    store
        .create_client(&client("akc1"), 10)
        .await
        .expect("client");
    store
        .create_grant(&grant("akc2", "billing", &["read"]))
        .await
        .expect("grant");
    store
        .create_grant(&grant("akc1", "billing", &["read"]))
        .await
        .expect("grant");
    assert_eq!(
        store.delete_resource_server("billing").await,
        Err(StoreError::InUse {
            kind: EntityKind::ResourceServer,
            name: "billing".into(),
            users: vec!["akc1".into(), "akc2".into()],
        })
    );
    store
        .delete_grant("akc1", "billing")
        .await
        .expect("delete grant");
    store
        .delete_client("akc2")
        .await
        .expect("delete client takes its grant");
    store
        .delete_resource_server("billing")
        .await
        .expect("delete");
    assert_eq!(
        store.get_resource_server("billing").await.expect("get"),
        None
    );
    assert_eq!(
        store.delete_resource_server("billing").await,
        Err(StoreError::NotFound {
            kind: EntityKind::ResourceServer,
            name: "billing".into()
        })
    );
}

pub async fn grant_create_get_update(store: &dyn Store) {
    store
        .create_resource_server(&resource_server("billing"), LIMIT)
        .await
        .expect("create");
    store
        .create_client(&client("akc1"), 10)
        .await
        .expect("client");
    let record = grant("akc1", "billing", &["write", "read"]);
    store.create_grant(&record).await.expect("grant");
    assert_eq!(
        store.get_grant("akc1", "billing").await.expect("get"),
        Some(record.clone())
    );
    assert_eq!(
        store.create_grant(&record).await,
        Err(StoreError::Conflict {
            kind: EntityKind::Grant,
            name: "akc1/billing".into()
        })
    );

    let mut changed = grant("akc1", "billing", &["read"]);
    changed.updated_ms = 1_800_000_000_000;
    let stored = store.update_grant(&changed).await.expect("update");
    assert_eq!(stored.permissions, vec!["read".to_owned()]);
    assert_eq!(stored.created_ms, 1_700_000_000_000);
    assert_eq!(stored.updated_ms, 1_800_000_000_000);
    assert_eq!(
        store
            .update_grant(&grant("akc1", "billing", &["delete"]))
            .await,
        Err(StoreError::NotFound {
            kind: EntityKind::Permission,
            name: "delete".into()
        })
    );
    assert_eq!(
        store
            .update_grant(&grant("akc9", "billing", &["read"]))
            .await,
        Err(StoreError::NotFound {
            kind: EntityKind::Grant,
            name: "akc9/billing".into()
        })
    );
}

pub async fn grant_requires_client_server_and_permission(store: &dyn Store) {
    store
        .create_resource_server(&resource_server("billing"), LIMIT)
        .await
        .expect("create");
    store
        .create_client(&client("akc1"), 10)
        .await
        .expect("client");
    assert_eq!(
        store
            .create_grant(&grant("akc9", "billing", &["read"]))
            .await,
        Err(StoreError::NotFound {
            kind: EntityKind::Client,
            name: "akc9".into()
        })
    );
    assert_eq!(
        store
            .create_grant(&grant("akc1", "absent", &["read"]))
            .await,
        Err(StoreError::NotFound {
            kind: EntityKind::ResourceServer,
            name: "absent".into()
        })
    );
    assert_eq!(
        store
            .create_grant(&grant("akc1", "billing", &["read", "delete"]))
            .await,
        Err(StoreError::NotFound {
            kind: EntityKind::Permission,
            name: "delete".into()
        })
    );
    assert_eq!(
        store.get_grant("akc1", "billing").await.expect("get"),
        None,
        "failed create leaves nothing"
    );
    assert!(matches!(
        store
            .create_grant(&grant("akc1", "billing", &["read", "read"]))
            .await,
        Err(StoreError::InvalidRecord { .. })
    ));
}

pub async fn grant_list_filters_and_pages(store: &dyn Store) {
    for name in ["a", "b"] {
        store
            .create_resource_server(&resource_server(name), LIMIT)
            .await
            .expect("create");
    }
    for client_id in ["akc1", "akc2"] {
        store
            .create_client(&client(client_id), 10)
            .await
            .expect("client");
        for server in ["a", "b"] {
            store
                .create_grant(&grant(client_id, server, &["read"]))
                .await
                .expect("grant");
        }
    }
    let all = GrantFilter::default();
    let first = store.list_grants(&all, None, 3).await.expect("page 1");
    let keys: Vec<(String, String)> = first
        .items
        .iter()
        .map(|g| (g.client_id.clone(), g.resource_server.clone()))
        .collect();
    assert_eq!(
        keys,
        [
            ("akc1".into(), "a".into()),
            ("akc1".into(), "b".into()),
            ("akc2".into(), "a".into())
        ]
    );
    let marker = first.next_marker.expect("second page");
    let second = store
        .list_grants(&all, Some(&marker), 3)
        .await
        .expect("page 2");
    assert_eq!(second.items.len(), 1);
    assert_eq!(
        (
            second.items[0].client_id.as_str(),
            second.items[0].resource_server.as_str()
        ),
        ("akc2", "b")
    );
    assert_eq!(second.next_marker, None);

    let by_server = GrantFilter {
        client_id: None,
        resource_server: Some("b".into()),
    };
    let page = store
        .list_grants(&by_server, None, 10)
        .await
        .expect("by server");
    assert_eq!(
        page.items
            .iter()
            .map(|g| g.client_id.as_str())
            .collect::<Vec<_>>(),
        ["akc1", "akc2"]
    );
    let by_client = GrantFilter {
        client_id: Some("akc2".into()),
        resource_server: None,
    };
    let page = store
        .list_grants(&by_client, None, 10)
        .await
        .expect("by client");
    assert_eq!(
        page.items
            .iter()
            .map(|g| g.resource_server.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(page.items[0].permissions, vec!["read".to_owned()]);
    assert_eq!(
        store.list_grants(&all, Some("bogus"), 10).await,
        Err(StoreError::InvalidMarker)
    );
}

pub async fn grant_delete_missing_not_found(store: &dyn Store) {
    assert_eq!(
        store.delete_grant("akc1", "billing").await,
        Err(StoreError::NotFound {
            kind: EntityKind::Grant,
            name: "akc1/billing".into()
        })
    );
}
