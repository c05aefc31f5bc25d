//! The conformance suite on PostgreSQL, each case in its own new schema, plus what only a store shared by
//! several processes has, each test in its own new database: the change feed, the nonce table and the
//! admin lock across connection pools.
//!
//! The server comes from `AKLESS_TEST_DATABASE_URL`, or `postgres://postgres@127.0.0.1:5432/postgres` when
//! that is unset; in that case a machine without a server skips these tests with a printed reason.

use std::sync::Arc;
use std::time::Duration;

use akless_store::conformance::{audit_record, provider, role};
use akless_store::postgres::TestDatabase;
use akless_store::{
    AuditFilter, ChangeEvent, ChangeFeed, EntityKind, PostgresStore, Store, StoreError,
};
use sqlx::Connection as _;

/// Time a change notification may take to arrive.
const FEED_TIMEOUT: Duration = Duration::from_secs(10);

/// Newest migration under migrations/postgres.
const POSTGRES_SCHEMA_VERSION: i64 = 2;

/// Keeps the database alive, and drops it after the store's pool is closed.
struct Guard {
    store: Arc<PostgresStore>,
    _database: TestDatabase,
}

impl Drop for Guard {
    fn drop(&mut self) {
        // Closing lets the database drop without ending live sessions; dropping ends any still open.
        let store = Arc::clone(&self.store);
        drop(tokio::spawn(async move { store.close().await }));
    }
}

/// Opens a store in a new schema: the suite's cases need their own tables, not their own NOTIFY channel.
async fn fresh_store() -> Option<(Guard, Arc<dyn Store>)> {
    let database = TestDatabase::create_schema().await?;
    let store = Arc::new(connect(&database).await);
    let guard = Guard {
        store: Arc::clone(&store),
        _database: database,
    };
    Some((guard, store))
}

async fn connect(database: &TestDatabase) -> PostgresStore {
    PostgresStore::connect(database.url())
        .await
        .expect("connect to the test database")
}

akless_store::conformance_tests!(optional fresh_store);

/// Waits for the next feed event that is not a `Resumed` from the initial connection.
async fn next_commit(feed: &mut ChangeFeed) -> String {
    loop {
        let event = tokio::time::timeout(FEED_TIMEOUT, feed.next())
            .await
            .expect("no change event within the timeout")
            .expect("change feed ended");
        if let ChangeEvent::Committed { topic } = event {
            return topic;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_delivers_writes_of_other_pool() {
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    let node_a = connect(&database).await;
    let node_b = connect(&database).await;
    let mut feed = node_a
        .subscribe_changes()
        .await
        .expect("subscribe")
        .expect("PostgreSQL has a change feed");

    node_b
        .create_role(&role("Deploy", &[]))
        .await
        .expect("create role");
    assert_eq!(next_commit(&mut feed).await, "role");

    node_b
        .create_oidc_provider(&provider("github", "https://github.example.com"), 100)
        .await
        .expect("create provider");
    assert_eq!(next_commit(&mut feed).await, "oidc_provider");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_silent_for_failed_writes() {
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    let store = connect(&database).await;
    store
        .create_role(&role("Deploy", &[]))
        .await
        .expect("create role");
    let mut feed = store
        .subscribe_changes()
        .await
        .expect("subscribe")
        .expect("PostgreSQL has a change feed");

    let err = store
        .create_role(&role("DEPLOY", &[]))
        .await
        .expect_err("duplicate role");
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    store
        .insert_audit(&[audit_record(1, "r-1")])
        .await
        .expect("audit insert");
    store
        .create_policy(&akless_store::conformance::policy("ReadOnly"))
        .await
        .expect("create policy");

    assert_eq!(
        next_commit(&mut feed).await,
        "policy",
        "the failed write and the audit insert must not notify"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_resumes_after_connection_loss() {
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    let store = connect(&database).await;
    let mut feed = store
        .subscribe_changes()
        .await
        .expect("subscribe")
        .expect("PostgreSQL has a change feed");

    let mut admin = sqlx::PgConnection::connect(database.url())
        .await
        .expect("admin connection");
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND query ILIKE 'LISTEN%'",
    )
    .fetch_all(&mut admin)
    .await
    .expect("terminate the listening session");
    assert_eq!(ended, vec![true], "exactly one listening session expected");

    let event = tokio::time::timeout(FEED_TIMEOUT, feed.next())
        .await
        .expect("no event after the connection loss")
        .expect("change feed ended");
    assert_eq!(event, ChangeEvent::Resumed);

    store
        .create_role(&role("Deploy", &[]))
        .await
        .expect("create role");
    assert_eq!(
        next_commit(&mut feed).await,
        "role",
        "the feed must listen again after reconnecting"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_limit_holds_across_pools() {
    const LIMIT: u32 = 4;
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    let nodes = [
        Arc::new(connect(&database).await),
        Arc::new(connect(&database).await),
    ];

    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..10 {
        let node = Arc::clone(&nodes[i % 2]);
        tasks.spawn(async move {
            let name = format!("racer-{i:02}");
            node.create_oidc_provider(
                &provider(&name, &format!("https://{name}.example.com")),
                LIMIT,
            )
            .await
        });
    }
    let mut created = 0;
    while let Some(joined) = tasks.join_next().await {
        match joined.expect("task panicked") {
            Ok(()) => created += 1,
            Err(StoreError::LimitExceeded {
                kind: EntityKind::OidcProvider,
                ..
            }) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(created, LIMIT);
    let page = nodes[1].list_oidc_providers(None, 100).await.expect("list");
    assert_eq!(page.items.len(), LIMIT as usize);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_lock_excludes_other_pool() {
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    let node_a = connect(&database).await;
    let node_b = Arc::new(connect(&database).await);

    let held = node_a.lock_admin_writes().await.expect("lock on node A");
    let waiter = {
        let node_b = Arc::clone(&node_b);
        tokio::spawn(async move { node_b.lock_admin_writes().await.map(|_| ()) })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiter.is_finished(),
        "node B took the lock while node A held it"
    );

    drop(held);
    tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("node B did not get the lock after node A released it")
        .expect("waiter panicked")
        .expect("lock on node B");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonce_seen_by_other_pool() {
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    let node_a = connect(&database).await;
    let node_b = connect(&database).await;
    assert!(node_a
        .first_use_nonce(b"LTAIkey\nn-1", 1_000, 2_000)
        .await
        .expect("first use on A"));
    assert!(!node_b
        .first_use_nonce(b"LTAIkey\nn-1", 1_500, 2_500)
        .await
        .expect("replay on B"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_nul_characters_replaced() {
    let Some((_guard, store)) = fresh_store().await else {
        return;
    };
    let mut record = audit_record(1_000, "r-nul");
    record.subject = Some("repo:a\0b".to_owned());
    store.insert_audit(&[record]).await.expect("insert audit");

    let stored = store
        .list_audit(&AuditFilter::default())
        .await
        .expect("list audit");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].subject.as_deref(), Some("repo:a\u{FFFD}b"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_version_after_connect() {
    let Some((_guard, store)) = fresh_store().await else {
        return;
    };
    assert_eq!(
        store.schema_version().await.expect("version"),
        POSTGRES_SCHEMA_VERSION
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newer_schema_rejected() {
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    connect(&database).await.close().await;

    let mut admin = sqlx::PgConnection::connect(database.url())
        .await
        .expect("admin connection");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (9999, 'from a newer release', TRUE, '\\x00', 0)",
    )
    .execute(&mut admin)
    .await
    .expect("insert future migration");
    admin.close().await.expect("close");

    let err = PostgresStore::connect(database.url())
        .await
        .expect_err("a schema newer than the build must be rejected");
    assert_eq!(
        err,
        StoreError::SchemaTooNew {
            backend: "PostgreSQL",
            found: 9_999,
            supported: POSTGRES_SCHEMA_VERSION,
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_utf8_database_rejected() {
    let Some(database) = TestDatabase::create_with(
        "ENCODING 'SQL_ASCII' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'",
    )
    .await
    else {
        return;
    };
    let err = PostgresStore::connect(database.url())
        .await
        .expect_err("a SQL_ASCII database must be rejected");
    assert!(
        matches!(&err, StoreError::Backend(message) if message.contains("UTF8") && message.contains("SQL_ASCII")),
        "{err:?}"
    );
}

#[tokio::test]
async fn unreachable_server_error_hides_password() {
    // Port 1 on loopback has no listener, so the connection is refused at once.
    let err = PostgresStore::connect("postgres://akless:s3cret-password@127.0.0.1:1/akless")
        .await
        .expect_err("nothing listens on port 1");
    let message = err.to_string();
    assert!(message.contains("127.0.0.1:1/akless"), "{message}");
    assert!(!message.contains("s3cret-password"), "{message}");
}
