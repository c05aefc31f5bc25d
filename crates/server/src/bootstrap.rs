//! First start and later starts of a node: its store, master key and data directory.
//!
//! The store is the SQLite file in the data directory, or the PostgreSQL database of
//! `--database-url` that several nodes share. The node that finds the store empty
//! creates a random 16-digit account ID and, unless the key file exists, a master key
//! (`master.key` in the data directory or the `--master-key-file` path, mode 0600).
//! The key seals session tokens and the root secret. The node also writes the root
//! AccessKey to `root-credentials`, in the credentials INI format that the official
//! SDKs read through `ALIBABA_CLOUD_CREDENTIALS_FILE`. Every later start, on any node,
//! must bring the same master key, because the database stores only its 8-hex-digit id.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use akless_core::random::{random_alnum, random_digits};
use akless_core::seal::{open_bytes, seal_bytes, MasterKey};
use akless_core::timefmt::unix_millis;
use akless_store::{AccountRecord, PostgresStore, SqliteStore, Store, StoreError};
use time::OffsetDateTime;

use crate::config::ServerConfig;

/// Purpose label under which the root AccessKey secret is sealed in the store.
pub const ROOT_SECRET_PURPOSE: &str = "root-access-key-secret";

/// File names inside the data directory.
pub const MASTER_KEY_FILE: &str = "master.key";
/// Root AccessKey in credentials INI format.
pub const ROOT_CREDENTIALS_FILE: &str = "root-credentials";
/// SQLite database file.
pub const DATABASE_FILE: &str = "akless.db";

/// Failures while opening a data directory.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    /// A file or folder could not be read or written.
    #[error("cannot use {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// The master key file exists but is not a valid akless master key.
    #[error("the master key file {path} is invalid: {reason}")]
    MasterKeyInvalid {
        /// The key file.
        path: PathBuf,
        /// The problem with its contents.
        reason: String,
    },
    /// The database was set up with a different master key.
    #[error("the master key {path} (id {found}) does not match the database, which was set up with key id {expected}; start with the master key that created this database")]
    MasterKeyMismatch {
        /// The key file.
        path: PathBuf,
        /// Key id of the file.
        found: String,
        /// Key id recorded in the database.
        expected: String,
    },
    /// The database has an account but the master key file is missing.
    #[error("the database is already set up, but the master key file {path} does not exist; copy the master key of the node that set up the database to {path}, or pass its path with --master-key-file")]
    MasterKeyMissing {
        /// The expected key file.
        path: PathBuf,
    },
    /// The database has no account yet, but the data directory contains root credentials of another one.
    #[error("{path} exists, but the database has no account yet, so the file belongs to another database; move it away and start again")]
    StaleRootCredentials {
        /// The root credentials file.
        path: PathBuf,
    },
    /// Setting up the account conflicted with another node, but the account it made is gone.
    #[error("another node set up the database at the same time, but its account is no longer there; start again")]
    AccountVanished,
    /// The root secret stored in the database cannot be opened with the master key.
    #[error("the root AccessKey secret in the database cannot be opened with the master key")]
    RootSecretUnreadable,
    /// The store failed.
    #[error("storage error: {0}")]
    Store(#[from] StoreError),
}

/// Everything a server needs from its data directory.
pub struct DataDir {
    /// The opened store.
    pub store: Arc<dyn Store>,
    /// Key that seals session tokens and stored secrets.
    pub master_key: MasterKey,
    /// The account of this server.
    pub account: AccountRecord,
    /// The root AccessKey secret, opened from the store.
    pub root_secret: String,
}

/// Opens the store and master key that `config` names, creating the account, key and files when the
/// store is empty.
pub async fn open(config: &ServerConfig) -> Result<DataDir, BootstrapError> {
    let dir = config.data_dir.as_path();
    create_private_dir(dir)?;
    let key_path = config.master_key_file.clone().unwrap_or_else(|| dir.join(MASTER_KEY_FILE));
    let store: Arc<dyn Store> = match &config.database_url {
        Some(url) => Arc::new(PostgresStore::connect(url.expose()).await?),
        None => Arc::new(SqliteStore::open(&dir.join(DATABASE_FILE)).await?),
    };

    match store.get_account().await? {
        Some(account) => open_existing(dir, &key_path, store, account),
        None => initialise(dir, &key_path, store).await,
    }
}

/// Checks that the master key at `key_path` set up the store, and opens the root secret with it.
fn open_existing(
    dir: &Path,
    key_path: &Path,
    store: Arc<dyn Store>,
    account: AccountRecord,
) -> Result<DataDir, BootstrapError> {
    if !key_path.exists() {
        return Err(BootstrapError::MasterKeyMissing { path: key_path.to_owned() });
    }
    let master_key = read_master_key(key_path)?;
    if master_key.id() != account.master_key_id {
        return Err(BootstrapError::MasterKeyMismatch {
            path: key_path.to_owned(),
            found: master_key.id().to_owned(),
            expected: account.master_key_id.clone(),
        });
    }
    // The AES-GCM tag of the sealed secret authenticates the whole key, beyond the 32-bit key id.
    let secret = open_bytes(&master_key, ROOT_SECRET_PURPOSE, &account.root_secret_sealed)
        .map_err(|_| BootstrapError::RootSecretUnreadable)?;
    let root_secret = String::from_utf8(secret).map_err(|_| BootstrapError::RootSecretUnreadable)?;
    tracing::info!(account_id = %account.account_id, data_dir = %dir.display(), "opened existing account");
    Ok(DataDir { store, master_key, account, root_secret })
}

async fn initialise(dir: &Path, key_path: &Path, store: Arc<dyn Store>) -> Result<DataDir, BootstrapError> {
    let credentials_path = dir.join(ROOT_CREDENTIALS_FILE);
    if credentials_path.exists() {
        return Err(BootstrapError::StaleRootCredentials { path: credentials_path });
    }
    let generated = !key_path.exists();
    let master_key = if generated {
        let key = MasterKey::generate();
        write_private_file(key_path, &key.to_file_bytes())?;
        tracing::info!(path = %key_path.display(), key_id = %key.id(), "created master key");
        key
    } else {
        read_master_key(key_path)?
    };

    // Alibaba Cloud AccessKey IDs start with LTAI; keeping the shape helps tools that check it.
    let access_key_id = format!("LTAI{}", random_alnum(20));
    let root_secret = random_alnum(30);
    let account = AccountRecord {
        account_id: random_digits(16),
        root_access_key_id: access_key_id.clone(),
        root_secret_sealed: seal_bytes(&master_key, ROOT_SECRET_PURPOSE, root_secret.as_bytes()),
        master_key_id: master_key.id().to_owned(),
        created_ms: unix_millis(OffsetDateTime::now_utc()),
    };
    match store.init_account(&account).await {
        Ok(()) => {}
        Err(StoreError::Conflict { .. }) => {
            // Another node set up the shared database after this one found it empty. A key generated
            // here seals nothing, so remove it; the other node's key must be copied here instead.
            if generated {
                if let Err(error) = fs::remove_file(key_path) {
                    tracing::warn!(path = %key_path.display(), %error, "cannot remove the unused master key");
                }
            }
            tracing::info!("another node set up the database first; opening its account");
            let existing = store.get_account().await?.ok_or(BootstrapError::AccountVanished)?;
            return open_existing(dir, key_path, store, existing);
        }
        Err(error) => return Err(error.into()),
    }

    let ini = format!(
        "[default]\ntype = access_key\naccess_key_id = {access_key_id}\naccess_key_secret = {root_secret}\n"
    );
    write_private_file(&credentials_path, ini.as_bytes())?;
    tracing::info!(
        account_id = %account.account_id,
        access_key_id = %access_key_id,
        path = %credentials_path.display(),
        "created account and root AccessKey"
    );
    Ok(DataDir { store, master_key, account, root_secret })
}

fn read_master_key(path: &Path) -> Result<MasterKey, BootstrapError> {
    let bytes = fs::read(path).map_err(|source| BootstrapError::Io { path: path.to_owned(), source })?;
    MasterKey::from_file_bytes(&bytes)
        .map_err(|e| BootstrapError::MasterKeyInvalid { path: path.to_owned(), reason: e.to_string() })
}

/// Creates `dir` (and parents) with mode 0700 when it does not exist yet.
pub fn create_private_dir(dir: &Path) -> Result<(), BootstrapError> {
    if !dir.exists() {
        fs::create_dir_all(dir).map_err(|source| BootstrapError::Io { path: dir.to_owned(), source })?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|source| BootstrapError::Io { path: dir.to_owned(), source })?;
    } else if let Ok(metadata) = fs::metadata(dir) {
        // An existing folder is left as the operator made it, but open modes are worth a warning.
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %dir.display(),
                mode = format!("{mode:o}"),
                "the folder is readable or writable by other users; run chmod 700 on it"
            );
        }
    }
    Ok(())
}

/// Writes `bytes` to a new file with mode 0600; fails if the file exists.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), BootstrapError> {
    let io_err = |source| BootstrapError::Io { path: path.to_owned(), source };
    let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io_err)?;
    file.write_all(bytes).map_err(io_err)?;
    file.sync_all().map_err(io_err)
}
