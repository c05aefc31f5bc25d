//! The issuer's signing keys in memory: which key signs now, which keys the JWKS publishes, and rotation.
//!
//! A key is *pending* before `activate_at`, *active* while it is the newest activated key, *retiring*
//! after its successor activated and until `remove_at`, and *removed* after that. The JWKS publishes
//! pending, active and retiring keys, so verifiers see a new key before it signs and keep an old key
//! until every token it signed has expired. Rotation stores the new key with `activate_at = now +
//! delay` and gives the previous key `remove_at = activate_at + retention`, where retention is the
//! longest access-token lifetime any client may configure plus a clock margin.
//!
//! The key set is reloaded from the store every [`RELOAD_INTERVAL`] and after every change, so nodes
//! sharing a store pick up a rotation before the new key activates when the delay exceeds the interval.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use akless_core::issuer::rules::MAX_ACCESS_TOKEN_LIFETIME_SECS;
use akless_core::issuer::{IssuerSigningKey, SigningAlgorithm};
use akless_core::seal::{open_bytes, seal_bytes, MasterKey};
use akless_store::{SigningKeyRecord, Store, StoreError};
use serde_json::Value;

/// Seal purpose of issuer private keys.
pub const SIGNING_KEY_PURPOSE: &str = "issuer-signing-key";
/// Time between two reloads of the key set from the store.
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(15);
/// Extra time a retired key stays published beyond the longest token lifetime, for verifiers' clock skew.
pub const RETENTION_MARGIN_SECS: i64 = 300;

/// Milliseconds a key stays published after it stops signing.
pub fn retention_ms() -> i64 {
    (i64::from(MAX_ACCESS_TOKEN_LIFETIME_SECS) + RETENTION_MARGIN_SECS) * 1000
}

/// Failure to load or change the key set.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The store failed.
    #[error("storage error: {0}")]
    Store(#[from] StoreError),
    /// A stored key cannot be opened with the master key or is not a valid key.
    #[error("signing key {kid} cannot be loaded: {reason}")]
    Unreadable {
        /// The key that failed.
        kid: String,
        /// Why.
        reason: String,
    },
    /// Generating or using a key failed.
    #[error(transparent)]
    Key(#[from] akless_core::issuer::SigningKeyError),
    /// The newest key has not activated yet, so rotating again would retire it before it ever signed.
    #[error("signing key {kid} is still pending activation")]
    Pending {
        /// The pending key.
        kid: String,
    },
}

/// The lifecycle state of a key at some time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Published, not signing yet.
    Pending,
    /// Published and signing.
    Active,
    /// Published, no longer signing.
    Retiring,
    /// No longer published; deleted by the next rotation.
    Removed,
}

impl KeyState {
    /// Returns the name used in API responses.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Pending => "Pending",
            KeyState::Active => "Active",
            KeyState::Retiring => "Retiring",
            KeyState::Removed => "Removed",
        }
    }

    /// Computes the state of a stored key at `now_ms` from its own timestamps.
    pub fn of(record: &SigningKeyRecord, now_ms: i64) -> KeyState {
        if now_ms < record.activate_at_ms {
            KeyState::Pending
        } else if record.retire_at_ms.is_none_or(|retire| now_ms < retire) {
            KeyState::Active
        } else if record.remove_at_ms.is_none_or(|remove| now_ms < remove) {
            KeyState::Retiring
        } else {
            KeyState::Removed
        }
    }
}

/// One key ready to sign and verify, with its stored timestamps.
pub struct LoadedKey {
    /// The stored record, whose sealed private key stays sealed here.
    pub record: SigningKeyRecord,
    /// The opened key, shared between reloads so each key is opened once.
    pub key: Arc<IssuerSigningKey>,
}

impl LoadedKey {
    fn published_at(&self, now_ms: i64) -> bool {
        self.record.remove_at_ms.is_none_or(|remove| now_ms < remove)
    }
}

/// The issuer's key set. Reads never touch the store.
pub struct SigningKeys {
    store: Arc<dyn Store>,
    master_key: MasterKey,
    /// Keys ordered by `activate_at_ms`, then kid.
    keys: RwLock<Arc<Vec<Arc<LoadedKey>>>>,
    reload_lock: tokio::sync::Mutex<()>,
}

impl SigningKeys {
    /// Loads the stored keys, creating an ES256 key that activates at once when none exists.
    pub async fn load(store: Arc<dyn Store>, master_key: MasterKey, now_ms: i64) -> Result<Self, KeyError> {
        let keys = Self {
            store,
            master_key,
            keys: RwLock::new(Arc::new(Vec::new())),
            reload_lock: tokio::sync::Mutex::new(()),
        };
        if keys.store.list_signing_keys().await?.is_empty() {
            let record = keys.new_record(SigningAlgorithm::Es256, now_ms, now_ms)?;
            if keys.store.create_first_signing_key(&record).await? {
                tracing::info!(kid = %record.kid, algorithm = %record.algorithm, "created the first issuer signing key");
            }
        }
        keys.reload().await?;
        Ok(keys)
    }

    /// Reads the key set from the store again. Keys already open are reused, so a reload opens only new keys.
    pub async fn reload(&self) -> Result<(), KeyError> {
        let _guard = self.reload_lock.lock().await;
        let records = self.store.list_signing_keys().await?;
        let current = self.snapshot();
        let mut loaded = Vec::with_capacity(records.len());
        for record in records {
            let key = match current.iter().find(|k| k.record.kid == record.kid) {
                Some(existing) => Arc::new(LoadedKey { key: existing.key.clone(), record }),
                None => Arc::new(LoadedKey { key: Arc::new(self.open_key(&record)?), record }),
            };
            loaded.push(key);
        }
        *self.keys.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(loaded);
        Ok(())
    }

    /// Returns the key that signs at `now_ms`: the newest key whose activation time has passed.
    pub fn signer(&self, now_ms: i64) -> Option<Arc<LoadedKey>> {
        self.snapshot().iter().rev().find(|k| k.record.activate_at_ms <= now_ms && k.published_at(now_ms)).cloned()
    }

    /// Returns the keys published at `now_ms`: pending, active and retiring.
    pub fn published(&self, now_ms: i64) -> Vec<Arc<LoadedKey>> {
        self.snapshot().iter().filter(|k| k.published_at(now_ms)).cloned().collect()
    }

    /// Returns the published key with this kid.
    pub fn find(&self, kid: &str, now_ms: i64) -> Option<Arc<LoadedKey>> {
        self.snapshot().iter().find(|k| k.record.kid == kid && k.published_at(now_ms)).cloned()
    }

    /// Returns the JWKS document of the keys published at `now_ms`.
    pub fn jwks(&self, now_ms: i64) -> Value {
        let keys: Vec<Value> = self.published(now_ms).iter().map(|k| k.key.public_jwk().clone()).collect();
        serde_json::json!({ "keys": keys })
    }

    /// Creates a successor key that signs from `now_ms + delay_ms` and reloads the set.
    pub async fn rotate(
        &self,
        algorithm: SigningAlgorithm,
        delay_ms: i64,
        now_ms: i64,
    ) -> Result<SigningKeyRecord, KeyError> {
        let record = self.new_record(algorithm, now_ms, now_ms + delay_ms)?;
        match self.store.rotate_signing_key(&record, now_ms, retention_ms()).await {
            Ok(()) => {}
            Err(StoreError::Conflict { kind: akless_store::EntityKind::SigningKey, name }) if name != record.kid => {
                return Err(KeyError::Pending { kid: name });
            }
            Err(error) => return Err(error.into()),
        }
        tracing::info!(
            kid = %record.kid,
            algorithm = %record.algorithm,
            activate_at_ms = record.activate_at_ms,
            "rotated the issuer signing key"
        );
        self.reload().await?;
        Ok(record)
    }

    fn snapshot(&self) -> Arc<Vec<Arc<LoadedKey>>> {
        self.keys.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    fn new_record(
        &self,
        algorithm: SigningAlgorithm,
        now_ms: i64,
        activate_at_ms: i64,
    ) -> Result<SigningKeyRecord, KeyError> {
        let generated = IssuerSigningKey::generate(algorithm)?;
        Ok(SigningKeyRecord {
            kid: generated.key.kid().to_owned(),
            algorithm: algorithm.as_str().to_owned(),
            private_key_sealed: seal_bytes(&self.master_key, SIGNING_KEY_PURPOSE, &generated.pkcs8),
            public_jwk: generated.key.public_jwk().to_string(),
            created_ms: now_ms,
            activate_at_ms,
            retire_at_ms: None,
            remove_at_ms: None,
        })
    }

    fn open(&self, record: &SigningKeyRecord) -> Result<Vec<u8>, KeyError> {
        open_bytes(&self.master_key, SIGNING_KEY_PURPOSE, &record.private_key_sealed)
            .map_err(|e| KeyError::Unreadable { kid: record.kid.clone(), reason: e.to_string() })
    }

    fn open_key(&self, record: &SigningKeyRecord) -> Result<IssuerSigningKey, KeyError> {
        let algorithm: SigningAlgorithm = record.algorithm.parse().map_err(|()| KeyError::Unreadable {
            kid: record.kid.clone(),
            reason: format!("unknown algorithm {:?}", record.algorithm),
        })?;
        let key = IssuerSigningKey::from_pkcs8(algorithm, &self.open(record)?)?;
        if key.kid() != record.kid {
            return Err(KeyError::Unreadable {
                kid: record.kid.clone(),
                reason: "the key's thumbprint differs from its kid".into(),
            });
        }
        Ok(key)
    }
}
