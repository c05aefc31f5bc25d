//! Throwaway PostgreSQL databases and schemas for tests, dropped when their guard goes.
//!
//! A database isolates everything, including NOTIFY channels and advisory locks, but creating and dropping
//! one takes about a second. A schema in the server's admin database takes a few milliseconds and isolates
//! tables, which is all that most store tests need.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::{Connection, Executor, PgConnection};

/// Environment variable with the URL of a database on the test server that may create databases.
pub const TEST_DATABASE_URL_ENV: &str = "AKLESS_TEST_DATABASE_URL";

/// Server used when [`TEST_DATABASE_URL_ENV`] is unset.
pub const DEFAULT_TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database or schema created for one test. Dropping this drops it, ending the database's open
/// sessions first.
#[derive(Debug)]
pub struct TestDatabase {
    admin_url: String,
    kind: Kind,
    name: String,
    url: String,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Database,
    Schema,
}

impl TestDatabase {
    /// Creates an empty UTF-8 database named `akless_test_<random>`. Returns `None`, after printing why,
    /// when [`TEST_DATABASE_URL_ENV`] is unset and no server accepts connections at
    /// [`DEFAULT_TEST_DATABASE_URL`].
    ///
    /// # Panics
    /// When the variable is set but its server cannot be reached, or the database cannot be created.
    pub async fn create() -> Option<Self> {
        Self::create_with("ENCODING 'UTF8'").await
    }

    /// Like [`TestDatabase::create`], with `options` appended to `CREATE DATABASE`.
    pub async fn create_with(options: &str) -> Option<Self> {
        let (admin_url, mut admin) = connect_admin().await?;
        let name = format!("akless_test_{:016x}", random_u64());
        admin
            .execute(format!("CREATE DATABASE \"{name}\" {options}").as_str())
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name} failed: {e}"));
        // Best effort: the database exists, and a failed close only leaves a connection to time out.
        let _ = admin.close().await;

        let url = with_database(&admin_url, &name);
        Some(Self {
            admin_url,
            kind: Kind::Database,
            name,
            url,
        })
    }

    /// Creates an empty schema named `akless_test_<random>` in the database of the admin URL, and
    /// returns a guard whose URL sets `search_path` to it. Returns `None` as [`TestDatabase::create`] does.
    /// NOTIFY channels and advisory locks stay shared with everything else in that database.
    pub async fn create_schema() -> Option<Self> {
        let (admin_url, mut admin) = connect_admin().await?;
        let name = format!("akless_test_{:016x}", random_u64());
        admin
            .execute(format!("CREATE SCHEMA \"{name}\"").as_str())
            .await
            .unwrap_or_else(|e| panic!("CREATE SCHEMA {name} failed: {e}"));
        let _ = admin.close().await;

        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{separator}options[search_path]={name}");
        Some(Self {
            admin_url,
            kind: Kind::Schema,
            name,
            url,
        })
    }

    /// URL of the new database or schema, with the credentials of the admin URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Name of the new database or schema.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Connects to the admin URL, or returns `None` after printing why when the default server is unreachable.
async fn connect_admin() -> Option<(String, PgConnection)> {
    let (admin_url, required) = match std::env::var(TEST_DATABASE_URL_ENV) {
        Ok(url) => (url, true),
        Err(_) => (DEFAULT_TEST_DATABASE_URL.to_owned(), false),
    };
    match PgConnection::connect(&admin_url).await {
        Ok(conn) => Some((admin_url, conn)),
        Err(error) if !required => {
            eprintln!(
                "skipped: {TEST_DATABASE_URL_ENV} is unset and no PostgreSQL server accepts connections at \
                 {DEFAULT_TEST_DATABASE_URL}: {error}"
            );
            None
        }
        Err(error) => panic!("cannot connect to {TEST_DATABASE_URL_ENV}: {error}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let kind = self.kind;
        // Drop may run inside an async runtime, which cannot block on itself, so a thread with its own
        // runtime runs the statements.
        let outcome = std::thread::spawn(move || -> Result<(), String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url)
                    .await
                    .map_err(|e| e.to_string())?;
                if let Kind::Schema = kind {
                    admin
                        .execute(format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE").as_str())
                        .await
                        .map_err(|e| e.to_string())?;
                    let _ = admin.close().await;
                    return Ok(());
                }
                sqlx::query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                     WHERE datname = $1 AND pid <> pg_backend_pid()",
                )
                .bind(&name)
                .execute(&mut admin)
                .await
                .map_err(|e| e.to_string())?;
                admin
                    .execute(format!("DROP DATABASE IF EXISTS \"{name}\"").as_str())
                    .await
                    .map_err(|e| e.to_string())?;
                let _ = admin.close().await;
                Ok(())
            })
        })
        .join();
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                eprintln!("failed to drop test {:?} {}: {error}", self.kind, self.name)
            }
            Err(_) => eprintln!(
                "failed to drop test {:?} {}: the thread panicked",
                self.kind, self.name
            ),
        }
    }
}

/// Replaces the database name in a `postgres://…/name?query` URL.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

/// Returns a value unique within this process and unlikely to repeat across processes.
fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    hasher.write_u128(nanos);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_replaced_in_url() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres", "x"),
            "postgres://u:p@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://h/postgres?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
    }
}
