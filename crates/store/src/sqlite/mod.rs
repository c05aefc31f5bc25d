//! Embedded SQLite backend of [`Store`]. All SQL of the crate lives under this module.
//!
//! Writes start with `BEGIN IMMEDIATE`, which takes the database write lock before the first read, so the
//! existence, limit and in-use checks of a write see no concurrent change until it commits.

mod account;
mod audit;
mod issuer;
mod issuer_clients;
mod issuer_grants;
mod issuer_keys;
mod issuer_resource_servers;
mod nonces;
mod policies;
mod providers;
mod roles;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{Sqlite, Transaction};

use crate::changes::{AdminWriteLock, ChangeFeed};
use crate::error::{EntityKind, StoreError};
use crate::model::{
    AccountRecord, AuditFilter, AuditRecord, OidcProviderRecord, Page, PolicyRecord, RoleRecord, RoleWithPolicies,
};
use crate::{schema, Store};

/// Time a connection waits for the write lock before the call fails with a backend error.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Pool size: WAL lets readers run beside the single writer.
const MAX_CONNECTIONS: u32 = 4;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// A [`Store`] in one SQLite database file (WAL journal, foreign keys enforced), used by one server
/// process.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Admin write lock; a mutex suffices because only this process writes the file.
    admin_writes: Arc<tokio::sync::Mutex<()>>,
}

impl SqliteStore {
    /// Opens the database at `path`, creating it with mode 0600 on unix if it is missing, and applies
    /// pending migrations. An existing file keeps its permissions. Fails with `SchemaTooNew` when a newer
    /// akless build has migrated the database.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        create_private_file(path)?;

        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            // An in-process SQLite connection cannot drop like a network one, so the liveness ping
            // before every checkout would only add a round trip to the connection's worker thread.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| {
                StoreError::Backend(format!(
                    "failed to open SQLite database {}: {e}",
                    path.display()
                ))
            })?;
        let applied = applied_version(&pool).await?;
        schema::reject_newer("SQLite", applied, &MIGRATOR)?;
        MIGRATOR.run(&pool).await.map_err(|e| {
            StoreError::Backend(format!(
                "failed to migrate SQLite database {}: {e}",
                path.display()
            ))
        })?;

        let store = Self {
            pool,
            admin_writes: Arc::new(tokio::sync::Mutex::new(())),
        };
        let version = store.schema_version().await?;
        tracing::info!(path = %path.display(), schema_version = version, "opened SQLite store");
        Ok(store)
    }

    /// Closes every pooled connection and waits until they are closed, which checkpoints the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Returns the newest applied migration version, or `None` for a database never migrated.
async fn applied_version(pool: &SqlitePool) -> Result<Option<i64>, StoreError> {
    let table: Option<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(pool)
    .await?;
    if table.is_none() {
        return Ok(None);
    }
    let version: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1")
            .fetch_one(pool)
            .await?;
    Ok(version)
}

/// Creates `path` with mode 0600 unless it exists, so the database never exists with wider permissions.
/// SQLite creates its `-wal` and `-shm` files with the permissions of the database file.
fn create_private_file(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => {
            return Err(StoreError::Backend(format!(
                "failed to create SQLite database {}: {e}",
                path.display()
            )))
        }
    }
    // The umask may only remove bits from 0600, but set the mode explicitly so it does not depend on it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| {
            StoreError::Backend(format!(
                "failed to set mode 0600 on {}: {e}",
                path.display()
            ))
        })?;
    }
    Ok(())
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Backend(e.to_string())
    }
}

/// Starts a write transaction holding the database write lock.
async fn begin_write(pool: &SqlitePool) -> Result<Transaction<'static, Sqlite>, StoreError> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

/// Starts a read transaction, so multi-query reads see one snapshot.
async fn begin_read(pool: &SqlitePool) -> Result<Transaction<'static, Sqlite>, StoreError> {
    Ok(pool.begin().await?)
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

/// Converts a stored INTEGER column back to `u32`, failing on values no writer of this store produces.
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

#[async_trait::async_trait]
impl Store for SqliteStore {
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
        false
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

    /// Returns `None`: every write goes through this process, which drops its own caches.
    async fn subscribe_changes(&self) -> Result<Option<ChangeFeed>, StoreError> {
        Ok(None)
    }

    async fn lock_admin_writes(&self) -> Result<AdminWriteLock, StoreError> {
        let guard = Arc::clone(&self.admin_writes).lock_owned().await;
        Ok(AdminWriteLock::new(guard))
    }
}
