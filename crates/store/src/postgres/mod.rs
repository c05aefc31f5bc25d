//! PostgreSQL backend of [`Store`], shared by several server processes.
//!
//! Every write transaction first takes one transaction-scoped advisory lock ([`WRITE_LOCK_KEY`]), so writes
//! from all nodes run one at a time and the existence, limit and in-use checks inside them see no concurrent
//! change, as `BEGIN IMMEDIATE` gives the SQLite store. Writes to cached objects then send
//! `NOTIFY akless_changes` inside the same transaction, which PostgreSQL delivers only on commit. Reads that
//! take more than one statement run in a `REPEATABLE READ` transaction so they see one snapshot.

mod account;
mod audit;
mod changes;
mod issuer;
mod issuer_clients;
mod issuer_grants;
mod issuer_keys;
mod issuer_resource_servers;
mod nonces;
mod policies;
mod providers;
mod roles;
#[cfg(feature = "conformance")]
mod test_database;

#[cfg(feature = "conformance")]
pub use test_database::{TestDatabase, DEFAULT_TEST_DATABASE_URL, TEST_DATABASE_URL_ENV};

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{PgConnection, Postgres, Transaction};

use crate::changes::{AdminWriteLock, ChangeFeed};
use crate::error::{EntityKind, StoreError};
use crate::model::{
    AccountRecord, AuditFilter, AuditRecord, OidcProviderRecord, Page, PolicyRecord, RoleRecord, RoleWithPolicies,
};
use crate::{schema, Store};

/// Channel on which writes announce themselves to every node's change feed.
pub const CHANGE_CHANNEL: &str = "akless_changes";

/// Advisory lock key held by every write transaction ("akless" in ASCII, then 1).
const WRITE_LOCK_KEY: i64 = 0x616b_6c65_7373_0001;

/// Advisory lock key held by [`Store::lock_admin_writes`]. It differs from [`WRITE_LOCK_KEY`] because the
/// holder of this lock calls store writes, which take that one on another connection.
const ADMIN_LOCK_KEY: i64 = 0x616b_6c65_7373_0002;

/// Pooled connections per process. Each node holds up to this many plus one for its change feed, so the
/// server's `max_connections` (100 by default) must cover the sum over all nodes.
// TODO: make the pool size configurable, for clusters of many nodes or servers with few connections.
pub const MAX_CONNECTIONS: u32 = 10;

/// Time a call waits for a free pooled connection before it fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// A session left idle inside a transaction this long is ended by PostgreSQL, which releases its locks
/// even if the node holding them hangs without closing its connection.
const IDLE_IN_TRANSACTION_TIMEOUT: &str = "60s";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A [`Store`] in one PostgreSQL database that several server processes may share.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    options: PgConnectOptions,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`), checks that it
    /// uses UTF-8 and is not migrated beyond this build, and applies pending migrations. Concurrent
    /// starts are safe because the migrator holds an advisory lock while it runs. Errors never contain
    /// the URL, which may carry a password.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("invalid PostgreSQL URL: {e}")))?
            .application_name("akless")
            .options([(
                "idle_in_transaction_session_timeout",
                IDLE_IN_TRANSACTION_TIMEOUT,
            )]);
        let target = describe(&options);
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await
            .map_err(|e| {
                StoreError::Backend(format!("failed to connect to PostgreSQL {target}: {e}"))
            })?;

        check_encoding(&pool, &target).await?;
        let applied = applied_version(&pool).await?;
        schema::reject_newer("PostgreSQL", applied, &MIGRATOR)?;
        MIGRATOR.run(&pool).await.map_err(|e| {
            StoreError::Backend(format!(
                "failed to migrate PostgreSQL database {target}: {e}"
            ))
        })?;

        let store = Self { pool, options };
        let version = store.schema_version().await?;
        tracing::info!(database = %target, schema_version = version, "opened PostgreSQL store");
        Ok(store)
    }

    /// Closes every pooled connection and waits until they are closed.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Describes the connection target as `host:port/database` for messages, leaving out user and password.
fn describe(options: &PgConnectOptions) -> String {
    format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("(default database)")
    )
}

/// Fails unless the database stores text as UTF-8, because records are Rust strings.
async fn check_encoding(pool: &PgPool, target: &str) -> Result<(), StoreError> {
    let encoding: String = sqlx::query_scalar("SHOW server_encoding")
        .fetch_one(pool)
        .await?;
    if encoding != "UTF8" {
        return Err(StoreError::Backend(format!(
            "the PostgreSQL database {target} uses encoding {encoding}, but akless needs UTF8; \
             create the database with ENCODING 'UTF8'"
        )));
    }
    Ok(())
}

/// Returns the newest applied migration version, or `None` for a database never migrated.
async fn applied_version(pool: &PgPool) -> Result<Option<i64>, StoreError> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await?;
    if !exists {
        return Ok(None);
    }
    let version: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await?;
    Ok(version)
}

/// Starts a write transaction that holds the cluster-wide write lock until it ends.
async fn begin_write(pool: &PgPool) -> Result<Transaction<'static, Postgres>, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(WRITE_LOCK_KEY)
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// Starts a read-only transaction in which every statement sees the same snapshot.
async fn begin_read(pool: &PgPool) -> Result<Transaction<'static, Postgres>, StoreError> {
    Ok(pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await?)
}

/// Queues a change notification on `topic`; PostgreSQL sends it only if the transaction commits.
async fn notify(conn: &mut PgConnection, topic: &str) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANGE_CHANNEL)
        .bind(topic)
        .execute(conn)
        .await?;
    Ok(())
}

/// Maps a unique-constraint violation that slipped past the explicit checks to `Conflict`.
fn conflict_or_backend(e: sqlx::Error, kind: EntityKind, name: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict {
            kind,
            name: name.to_owned(),
        },
        _ => e.into(),
    }
}

/// Converts a stored BIGINT column back to `u32`, failing on values no writer of this store produces.
fn stored_u32(value: i64, column: &str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| {
        StoreError::Backend(format!("stored {column} {value} is out of range for u32"))
    })
}

/// Fails with `InvalidRecord` when `values` contains the same entry twice.
fn reject_duplicates(values: &[String], kind: EntityKind, field: &str) -> Result<(), StoreError> {
    let mut seen = std::collections::HashSet::with_capacity(values.len());
    for value in values {
        if !seen.insert(value.as_str()) {
            return Err(StoreError::InvalidRecord {
                kind,
                reason: format!("{field} contains {value:?} twice"),
            });
        }
    }
    Ok(())
}

/// Converts a list index to the INTEGER `position` column.
fn position(index: usize) -> Result<i32, StoreError> {
    i32::try_from(index)
        .map_err(|_| StoreError::Backend(format!("list position {index} does not fit INTEGER")))
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    async fn get_account(&self) -> Result<Option<AccountRecord>, StoreError> {
        account::get(&self.pool).await
    }

    async fn init_account(&self, record: &AccountRecord) -> Result<(), StoreError> {
        account::init(&self.pool, record).await
    }

    async fn create_oidc_provider(
        &self,
        provider: &OidcProviderRecord,
        max_per_account: u32,
    ) -> Result<(), StoreError> {
        providers::create(&self.pool, provider, max_per_account).await
    }

    async fn get_oidc_provider(
        &self,
        name: &str,
    ) -> Result<Option<OidcProviderRecord>, StoreError> {
        providers::get(&self.pool, name).await
    }

    async fn list_oidc_providers(
        &self,
        marker: Option<&str>,
        max_items: u32,
    ) -> Result<Page<OidcProviderRecord>, StoreError> {
        providers::list(&self.pool, marker, max_items).await
    }

    async fn update_oidc_provider(
        &self,
        provider: &OidcProviderRecord,
    ) -> Result<OidcProviderRecord, StoreError> {
        providers::update(&self.pool, provider).await
    }

    async fn delete_oidc_provider(&self, name: &str) -> Result<(), StoreError> {
        providers::delete(&self.pool, name).await
    }

    async fn create_role(&self, role: &RoleRecord) -> Result<(), StoreError> {
        roles::create(&self.pool, role).await
    }

    async fn get_role(&self, name: &str) -> Result<Option<RoleRecord>, StoreError> {
        roles::get(&self.pool, name).await
    }

    async fn list_roles(
        &self,
        marker: Option<&str>,
        max_items: u32,
    ) -> Result<Page<RoleRecord>, StoreError> {
        roles::list(&self.pool, marker, max_items).await
    }

    async fn update_role(&self, role: &RoleRecord) -> Result<RoleRecord, StoreError> {
        roles::update(&self.pool, role).await
    }

    async fn delete_role(&self, name: &str) -> Result<(), StoreError> {
        roles::delete(&self.pool, name).await
    }

    async fn create_policy(&self, policy: &PolicyRecord) -> Result<(), StoreError> {
        policies::create(&self.pool, policy).await
    }

    async fn get_policy(&self, name: &str) -> Result<Option<PolicyRecord>, StoreError> {
        policies::get(&self.pool, name).await
    }

    async fn list_policies(
        &self,
        marker: Option<&str>,
        max_items: u32,
    ) -> Result<Page<PolicyRecord>, StoreError> {
        policies::list(&self.pool, marker, max_items).await
    }

    async fn delete_policy(&self, name: &str) -> Result<(), StoreError> {
        policies::delete(&self.pool, name).await
    }

    async fn attach_policy_to_role(
        &self,
        role_name: &str,
        policy_name: &str,
    ) -> Result<(), StoreError> {
        policies::attach(&self.pool, role_name, policy_name).await
    }

    async fn detach_policy_from_role(
        &self,
        role_name: &str,
        policy_name: &str,
    ) -> Result<(), StoreError> {
        policies::detach(&self.pool, role_name, policy_name).await
    }

    async fn list_policies_for_role(
        &self,
        role_name: &str,
    ) -> Result<Vec<PolicyRecord>, StoreError> {
        policies::list_for_role(&self.pool, role_name).await
    }

    async fn get_role_with_policies(&self, name: &str) -> Result<Option<RoleWithPolicies>, StoreError> {
        policies::role_with_policies(&self.pool, name).await
    }

    async fn insert_audit(&self, records: &[AuditRecord]) -> Result<(), StoreError> {
        audit::insert(&self.pool, records).await
    }

    async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
        audit::list(&self.pool, filter).await
    }

    async fn prune_audit(&self, before_ms: i64) -> Result<u64, StoreError> {
        audit::prune(&self.pool, before_ms).await
    }

    async fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(applied_version(&self.pool).await?.unwrap_or(0))
    }

    fn shared_by_nodes(&self) -> bool {
        true
    }

    async fn first_use_nonce(
        &self,
        key: &[u8],
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<bool, StoreError> {
        nonces::first_use(&self.pool, key, now_ms, expires_ms).await
    }

    async fn purge_expired_nonces(&self, now_ms: i64) -> Result<u64, StoreError> {
        nonces::purge_expired(&self.pool, now_ms).await
    }

    async fn subscribe_changes(&self) -> Result<Option<ChangeFeed>, StoreError> {
        changes::subscribe(self.options.clone()).await.map(Some)
    }

    async fn lock_admin_writes(&self) -> Result<AdminWriteLock, StoreError> {
        // The lock lives as long as this transaction; dropping the transaction rolls it back on the
        // connection, which releases the lock.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ADMIN_LOCK_KEY)
            .execute(&mut *tx)
            .await?;
        Ok(AdminWriteLock::new(tx))
    }
}
