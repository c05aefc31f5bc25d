//! Conformance cases for the account row.

use crate::error::{EntityKind, StoreError};
use crate::model::AccountRecord;
use crate::Store;

use super::ACCOUNT_ID;

fn account() -> AccountRecord {
    AccountRecord {
        account_id: ACCOUNT_ID.to_owned(),
        root_access_key_id: "LTAI5tExampleRootKey0001".to_owned(),
        root_secret_sealed: "v1.abcd0123.c2VhbGVk".to_owned(),
        master_key_id: "abcd0123".to_owned(),
        created_ms: 1_700_000_000_000,
    }
}

pub async fn account_absent_before_init(store: &dyn Store) {
    let found = store
        .get_account()
        .await
        .expect("get_account on empty store");
    assert_eq!(found, None);
}

pub async fn account_init_then_get(store: &dyn Store) {
    store.init_account(&account()).await.expect("init_account");

    let found = store.get_account().await.expect("get_account");
    assert_eq!(found, Some(account()));
}

pub async fn account_init_twice_conflicts(store: &dyn Store) {
    store
        .init_account(&account())
        .await
        .expect("first init_account");

    let mut other = account();
    other.account_id = "9999999999999999".to_owned();
    let err = store
        .init_account(&other)
        .await
        .expect_err("second init_account must fail");
    assert_eq!(
        err,
        StoreError::Conflict {
            kind: EntityKind::Account,
            name: ACCOUNT_ID.to_owned(),
        }
    );

    let found = store.get_account().await.expect("get_account");
    assert_eq!(
        found,
        Some(account()),
        "the first account must stay unchanged"
    );
}
