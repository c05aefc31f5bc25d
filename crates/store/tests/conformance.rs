//! Runs the conformance suite on SQLite and on PostgreSQL, plus the cases specific to each backend.

use std::path::Path;
use std::sync::Arc;

use akless_store::conformance::{policy, provider, role};
use akless_store::{SqliteStore, Store};
use tempfile::TempDir;

const DB_FILE: &str = "akless.db";

async fn fresh_store() -> (TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(&dir.path().join(DB_FILE))
        .await
        .expect("open fresh SQLite store");
    (dir, Arc::new(store))
}

akless_store::conformance_tests!(fresh_store);

async fn open(dir: &Path) -> SqliteStore {
    SqliteStore::open(&dir.join(DB_FILE))
        .await
        .expect("open SQLite store")
}

#[tokio::test]
async fn reopen_keeps_data() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let trusted = vec![akless_store::conformance::provider_arn("github")];

    let store = open(dir.path()).await;
    let github = provider("github", "https://token.actions.githubusercontent.com");
    store
        .create_oidc_provider(&github, 100)
        .await
        .expect("create provider");
    store
        .create_role(&role("Deploy", &trusted))
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
    store.close().await;
    drop(store);

    let store = open(dir.path()).await;
    assert_eq!(
        store.get_oidc_provider("github").await.expect("get"),
        Some(github)
    );
    assert_eq!(
        store.get_role("deploy").await.expect("get"),
        Some(role("Deploy", &trusted))
    );
    let attached = store.list_policies_for_role("Deploy").await.expect("list");
    assert_eq!(attached.len(), 1);
    assert_eq!(attached[0].name, "ReadOnly");
    assert_eq!(
        store.schema_version().await.expect("version"),
        SQLITE_SCHEMA_VERSION
    );
}

/// Newest migration under migrations/sqlite.
const SQLITE_SCHEMA_VERSION: i64 = 3;

#[tokio::test]
async fn schema_version_after_open() {
    let (dir, _) = fresh_store().await;
    let store = open(dir.path()).await;
    assert_eq!(
        store.schema_version().await.expect("version"),
        SQLITE_SCHEMA_VERSION
    );
}

#[tokio::test]
async fn newer_schema_rejected() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = open(dir.path()).await;
    store.close().await;
    mark_future_migration_sqlite(&dir.path().join(DB_FILE)).await;

    let err = SqliteStore::open(&dir.path().join(DB_FILE))
        .await
        .expect_err("a schema newer than the build must be rejected");
    assert_eq!(
        err,
        akless_store::StoreError::SchemaTooNew {
            backend: "SQLite",
            found: 9_999,
            supported: SQLITE_SCHEMA_VERSION,
        }
    );
    assert!(
        err.to_string().contains("upgrade akless"),
        "message must say what to do: {err}"
    );
}

/// Records a migration newer than any this build has, as a newer akless release would.
async fn mark_future_migration_sqlite(path: &Path) {
    use sqlx::Connection as _;

    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("connect to SQLite file");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (9999, 'from a newer release', TRUE, X'00', 0)",
    )
    .execute(&mut conn)
    .await
    .expect("insert future migration");
    conn.close().await.expect("close");
}

#[cfg(unix)]
#[tokio::test]
async fn new_database_file_mode_0600() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().expect("temporary directory");
    let store = open(dir.path()).await;
    store
        .create_policy(&policy("ReadOnly"))
        .await
        .expect("write");

    for name in [
        DB_FILE.to_owned(),
        format!("{DB_FILE}-wal"),
        format!("{DB_FILE}-shm"),
    ] {
        let path = dir.path().join(&name);
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name} has mode {:o}", mode & 0o777);
    }
}

#[tokio::test]
async fn open_in_missing_directory_fails() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("missing").join(DB_FILE);
    let err = SqliteStore::open(&path)
        .await
        .expect_err("parent does not exist");
    assert!(
        matches!(err, akless_store::StoreError::Backend(ref message) if message.contains("missing")),
        "{err:?}"
    );
}

#[path = "conformance/postgres.rs"]
mod postgres;
