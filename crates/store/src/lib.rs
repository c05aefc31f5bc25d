//! Storage of akless: the account, OIDC providers, roles, policies and the audit trail behind one
//! object-safe [`Store`] trait, with an embedded SQLite backend ([`SqliteStore`]) and a PostgreSQL
//! backend ([`PostgresStore`]) that several server processes can share.
//!
//! Every write that touches more than one row runs in a single transaction, and the uniqueness, limit and
//! in-use checks of a write run inside that transaction, so concurrent callers cannot break them.
#![forbid(unsafe_code)]

pub mod changes;
pub mod error;
pub mod issuer_model;
mod issuer_store;
mod marker;
pub mod model;
pub mod postgres;
mod schema;
pub mod sqlite;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use changes::{AdminWriteLock, ChangeEvent, ChangeFeed};
pub use error::{EntityKind, StoreError};
pub use issuer_model::{
    ClientRecord, ClientSecretRecord, GrantFilter, GrantRecord, ResourceServerRecord, SigningKeyRecord,
};
pub use issuer_store::IssuerStore;
pub use model::{
    AccountRecord, AuditFilter, AuditRecord, OidcProviderRecord, Page, PolicyRecord, RoleRecord, RoleWithPolicies,
    MAX_AUDIT_LIMIT, MAX_PAGE_ITEMS, OUTCOME_FAILURE, OUTCOME_SUCCESS,
};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Persistent state of one akless deployment, used by the server as `Arc<dyn Store>`.
///
/// Names of roles and policies compare case-insensitively, but OIDC provider names compare case-sensitively.
/// `get_*` calls return `Ok(None)` for a missing object, while updates, deletes and attachments return
/// [`StoreError::NotFound`]. List calls clamp `max_items` to 1..=[`MAX_PAGE_ITEMS`] and return pages ordered
/// by name (case-insensitively for roles and policies). The token issuer's calls live in the supertrait
/// [`IssuerStore`].
#[async_trait::async_trait]
pub trait Store: IssuerStore + Send + Sync + 'static {
    /// Returns the account, or `None` before `init_account` has run.
    async fn get_account(&self) -> Result<Option<AccountRecord>, StoreError>;

    /// Stores the account. Fails with `Conflict` if an account already exists.
    async fn init_account(&self, account: &AccountRecord) -> Result<(), StoreError>;

    /// Creates a provider. Fails with `Conflict` (kind `OidcProvider`) on a taken name or ARN,
    /// `Conflict` (kind `IssuerUrl`) on a taken issuer URL, and `LimitExceeded` when the account already
    /// has `max_per_account` providers.
    async fn create_oidc_provider(
        &self,
        provider: &OidcProviderRecord,
        max_per_account: u32,
    ) -> Result<(), StoreError>;

    /// Returns the provider with exactly this name.
    async fn get_oidc_provider(&self, name: &str)
        -> Result<Option<OidcProviderRecord>, StoreError>;

    /// Lists providers ordered by name, starting after `marker`.
    async fn list_oidc_providers(
        &self,
        marker: Option<&str>,
        max_items: u32,
    ) -> Result<Page<OidcProviderRecord>, StoreError>;

    /// Replaces every field of the provider named `provider.name` except `arn` and `created_ms`, and
    /// returns the stored record. Fails with `NotFound`, or `Conflict` (kind `IssuerUrl`) when another
    /// provider has the new issuer URL.
    async fn update_oidc_provider(
        &self,
        provider: &OidcProviderRecord,
    ) -> Result<OidcProviderRecord, StoreError>;

    /// Deletes a provider. Fails with `NotFound`, or `InUse` listing the names of the roles whose
    /// `trusted_provider_arns` contain its ARN (compared case-insensitively).
    async fn delete_oidc_provider(&self, name: &str) -> Result<(), StoreError>;

    /// Creates a role. Fails with `Conflict` when the name (case-insensitively), ARN or role ID is taken.
    async fn create_role(&self, role: &RoleRecord) -> Result<(), StoreError>;

    /// Returns the role whose name equals `name` case-insensitively.
    async fn get_role(&self, name: &str) -> Result<Option<RoleRecord>, StoreError>;

    /// Lists roles ordered by lower-cased name, starting after `marker`.
    async fn list_roles(
        &self,
        marker: Option<&str>,
        max_items: u32,
    ) -> Result<Page<RoleRecord>, StoreError>;

    /// Replaces the trust policy, trusted provider ARNs, description, maximum session duration and
    /// `updated_ms` of the role named `role.name` (case-insensitively), and returns the stored record.
    /// Fails with `NotFound`.
    async fn update_role(&self, role: &RoleRecord) -> Result<RoleRecord, StoreError>;

    /// Deletes a role. Fails with `NotFound`, or `InUse` listing the names of the attached policies.
    async fn delete_role(&self, name: &str) -> Result<(), StoreError>;

    /// Creates a policy. Fails with `Conflict` when the name is taken case-insensitively.
    async fn create_policy(&self, policy: &PolicyRecord) -> Result<(), StoreError>;

    /// Returns the policy whose name equals `name` case-insensitively.
    async fn get_policy(&self, name: &str) -> Result<Option<PolicyRecord>, StoreError>;

    /// Lists policies ordered by lower-cased name, starting after `marker`.
    async fn list_policies(
        &self,
        marker: Option<&str>,
        max_items: u32,
    ) -> Result<Page<PolicyRecord>, StoreError>;

    /// Deletes a policy. Fails with `NotFound`, or `InUse` listing the names of the roles it is attached to.
    async fn delete_policy(&self, name: &str) -> Result<(), StoreError>;

    /// Attaches a policy to a role. Fails with `NotFound` (kind `Role` or `Policy`) or `Conflict`
    /// (kind `PolicyAttachment`) when it is already attached.
    async fn attach_policy_to_role(
        &self,
        role_name: &str,
        policy_name: &str,
    ) -> Result<(), StoreError>;

    /// Detaches a policy from a role. Fails with `NotFound` (kind `Role`, `Policy`, or `PolicyAttachment`
    /// when the policy is not attached to the role).
    async fn detach_policy_from_role(
        &self,
        role_name: &str,
        policy_name: &str,
    ) -> Result<(), StoreError>;

    /// Returns the policies attached to a role, ordered by lower-cased name. Fails with `NotFound` for a
    /// missing role.
    async fn list_policies_for_role(
        &self,
        role_name: &str,
    ) -> Result<Vec<PolicyRecord>, StoreError>;

    /// Returns a role (name compared case-insensitively) with its attached policies, both from one read
    /// transaction, so the pair is consistent even while another writer changes them. A registry cache
    /// miss on the exchange path loads this, and one call saves the second transaction that `get_role`
    /// followed by `list_policies_for_role` would need.
    async fn get_role_with_policies(&self, name: &str) -> Result<Option<RoleWithPolicies>, StoreError>;

    /// Appends audit records in one transaction: either all are stored or none.
    async fn insert_audit(&self, records: &[AuditRecord]) -> Result<(), StoreError>;

    /// Returns the audit records that match `filter`, newest first (ties by insertion order, newest
    /// first), at most `filter.limit` clamped to 1..=[`MAX_AUDIT_LIMIT`].
    async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError>;

    /// Deletes audit records older than `before_ms` (Unix milliseconds) and returns how many went.
    async fn prune_audit(&self, before_ms: i64) -> Result<u64, StoreError>;

    /// Returns the version of the newest migration applied to the database. Opening a store fails with
    /// [`StoreError::SchemaTooNew`] when this is newer than the migrations the build contains.
    async fn schema_version(&self) -> Result<i64, StoreError>;

    /// Returns whether several server processes may use this store at once. Such processes must check
    /// replayed nonces with [`Store::first_use_nonce`] and drop caches on [`Store::subscribe_changes`]
    /// events, because writes and requests reach them through other nodes too.
    fn shared_by_nodes(&self) -> bool;

    /// Records `key` (for example AccessKeyId and SignatureNonce) until `expires_ms`, and returns `true`
    /// when no unexpired record of it existed at `now_ms`. Exactly one of several concurrent callers with
    /// the same key gets `true`.
    async fn first_use_nonce(
        &self,
        key: &[u8],
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<bool, StoreError>;

    /// Deletes nonce records that expired at or before `now_ms` and returns how many were deleted.
    async fn purge_expired_nonces(&self, now_ms: i64) -> Result<u64, StoreError>;

    /// Starts listening for writes committed through any process, or returns `None` for a store that
    /// only this process writes ([`Store::shared_by_nodes`] is `false`). A returned feed is already
    /// listening, so every write that commits after this call returns is delivered or followed by
    /// [`ChangeEvent::Resumed`].
    async fn subscribe_changes(&self) -> Result<Option<ChangeFeed>, StoreError>;

    /// Waits for the lock that serialises read-modify-write changes made through the API (read a record,
    /// change a field, store the whole record) across every process sharing the store, and holds it until
    /// the returned value is dropped. Store calls made while holding it do not wait for it.
    async fn lock_admin_writes(&self) -> Result<AdminWriteLock, StoreError>;
}
