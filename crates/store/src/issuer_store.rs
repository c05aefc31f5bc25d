//! Storage calls of the OAuth 2.0 M2M token issuer, a supertrait of [`Store`](crate::Store).
//!
//! [`SqliteStore`](crate::SqliteStore) and [`PostgresStore`](crate::PostgresStore) implement it.
//!
//! Rules shared by all calls: IDs and names compare case-sensitively; `get_*` returns `Ok(None)` for a
//! missing object while updates and deletes return `NotFound`; list calls clamp `max_items` to
//! 1..=[`MAX_PAGE_ITEMS`](crate::MAX_PAGE_ITEMS). Each write runs in one transaction together with its
//! existence, uniqueness, limit and in-use checks.

use crate::error::StoreError;
use crate::issuer_model::{
    ClientRecord, ClientSecretRecord, GrantFilter, GrantRecord, ResourceServerRecord,
    SigningKeyRecord,
};
use crate::model::Page;

/// Issuer storage. See the module documentation for the rules every call follows.
#[async_trait::async_trait]
pub trait IssuerStore: Send + Sync + 'static {
    // --- Resource servers ---

    /// Creates a resource server. Fails with `Conflict` (kind `ResourceServer`) on a taken name,
    /// `Conflict` (kind `ResourceServerIdentifier`) on a taken identifier, and `LimitExceeded` when
    /// `max_per_account` resource servers exist.
    async fn create_resource_server(
        &self,
        resource_server: &ResourceServerRecord,
        max_per_account: u32,
    ) -> Result<(), StoreError>;

    /// Returns the resource server with this name.
    async fn get_resource_server(
        &self,
        name: &str,
    ) -> Result<Option<ResourceServerRecord>, StoreError>;

    /// Returns the resource server with this identifier (audience).
    async fn get_resource_server_by_identifier(
        &self,
        identifier: &str,
    ) -> Result<Option<ResourceServerRecord>, StoreError>;

    /// Lists resource servers ordered by name, starting after `marker`.
    async fn list_resource_servers(
        &self,
        marker: Option<&str>,
        max_items: u32,
    ) -> Result<Page<ResourceServerRecord>, StoreError>;

    /// Replaces the permissions, description and `updated_ms` of the resource server named
    /// `resource_server.name` and returns the stored record. Fails with `NotFound`, or `InUse` (kind
    /// `Permission`, named by the first such permission) listing the client IDs whose grants still
    /// contain a permission the new list drops.
    async fn update_resource_server(
        &self,
        resource_server: &ResourceServerRecord,
    ) -> Result<ResourceServerRecord, StoreError>;

    /// Deletes a resource server. Fails with `NotFound`, or `InUse` listing the client IDs that hold a grant on it.
    async fn delete_resource_server(&self, name: &str) -> Result<(), StoreError>;

    // --- Clients ---

    /// Creates a client. Fails with `Conflict` (kind `Client`) on a taken client ID and `LimitExceeded`
    /// when `max_per_account` clients exist.
    async fn create_client(
        &self,
        client: &ClientRecord,
        max_per_account: u32,
    ) -> Result<(), StoreError>;

    /// Returns the client with this ID.
    async fn get_client(&self, client_id: &str) -> Result<Option<ClientRecord>, StoreError>;

    /// Lists clients ordered by client ID, starting after `marker`.
    async fn list_clients(
        &self,
        marker: Option<&str>,
        max_items: u32,
    ) -> Result<Page<ClientRecord>, StoreError>;

    /// Replaces every field of the client `client.client_id` except `created_ms`, and returns the
    /// stored record. Fails with `NotFound`.
    async fn update_client(&self, client: &ClientRecord) -> Result<ClientRecord, StoreError>;

    /// Deletes a client with its secrets, grants and used assertion `jti` values. Fails with `NotFound`.
    async fn delete_client(&self, client_id: &str) -> Result<(), StoreError>;

    // --- Client secrets ---

    /// Stores a new secret of `secret.client_id`. Fails with `NotFound` (kind `Client`), `Conflict`
    /// (kind `ClientSecret`) on a taken secret ID, and `LimitExceeded` (kind `ClientSecret`) when the
    /// client has `max_active` secrets that are not revoked.
    async fn create_client_secret(
        &self,
        secret: &ClientSecretRecord,
        max_active: u32,
    ) -> Result<(), StoreError>;

    /// Returns every secret of a client, active and revoked, oldest first (ties by secret ID).
    /// Fails with `NotFound` (kind `Client`).
    async fn list_client_secrets(
        &self,
        client_id: &str,
    ) -> Result<Vec<ClientSecretRecord>, StoreError>;

    /// Revokes a secret: sets `revoked_ms` and clears the seed, and returns the stored record. Revoking
    /// a revoked secret changes nothing and returns it. Fails with `NotFound` (kind `Client`, or
    /// `ClientSecret` when the client has no such secret).
    async fn revoke_client_secret(
        &self,
        client_id: &str,
        secret_id: &str,
        revoked_ms: i64,
    ) -> Result<ClientSecretRecord, StoreError>;

    // --- Grants ---

    /// Creates a grant. Fails with `NotFound` (kind `Client`, `ResourceServer`, or `Permission` for a
    /// permission the resource server does not have) and `Conflict` (kind `Grant`) when the client
    /// already has a grant on the resource server.
    async fn create_grant(&self, grant: &GrantRecord) -> Result<(), StoreError>;

    /// Returns the grant of a client on a resource server.
    async fn get_grant(
        &self,
        client_id: &str,
        resource_server: &str,
    ) -> Result<Option<GrantRecord>, StoreError>;

    /// Lists the grants that match `filter`, ordered by client ID and then resource server name,
    /// starting after `marker`.
    async fn list_grants(
        &self,
        filter: &GrantFilter,
        marker: Option<&str>,
        max_items: u32,
    ) -> Result<Page<GrantRecord>, StoreError>;

    /// Replaces the permissions and `updated_ms` of an existing grant and returns the stored record.
    /// Fails with `NotFound` (kind `Grant`, or `Permission` as in [`IssuerStore::create_grant`]).
    async fn update_grant(&self, grant: &GrantRecord) -> Result<GrantRecord, StoreError>;

    /// Deletes a grant. Fails with `NotFound` (kind `Grant`).
    async fn delete_grant(&self, client_id: &str, resource_server: &str) -> Result<(), StoreError>;

    // --- Signing keys ---

    /// Returns every signing key, ordered by `activate_at_ms` and then kid.
    async fn list_signing_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError>;

    /// Stores `key` only when no signing key exists, and returns whether it was stored. Several nodes
    /// starting at once on an empty database therefore agree on one first key.
    async fn create_first_signing_key(&self, key: &SigningKeyRecord) -> Result<bool, StoreError>;

    /// Adds `key` as the successor of the newest key, in one transaction. Keys whose `remove_at_ms`
    /// is at or before `now_ms` are deleted. The newest key gets `retire_at_ms = key.activate_at_ms`
    /// and `remove_at_ms = key.activate_at_ms + retention_ms`. Then `key` is inserted, with its own
    /// retire and remove times stored as `None` whatever they were.
    ///
    /// Fails with `Conflict` (kind `SigningKey`, named by the newest key) when the newest key is still
    /// pending (`activate_at_ms` after `now_ms`), because it would be retired before it ever signed, and
    /// with `Conflict` on a taken kid.
    async fn rotate_signing_key(
        &self,
        key: &SigningKeyRecord,
        now_ms: i64,
        retention_ms: i64,
    ) -> Result<(), StoreError>;

    // --- Replay and revocation lists ---

    /// Records that `client_id` used assertion `jti`, until `expires_ms`, and returns `true` when no
    /// unexpired record of the pair existed at `now_ms`. Exactly one of several concurrent callers with
    /// the same pair gets `true`. Records that expired at or before `now_ms` are deleted on the way.
    async fn use_assertion_jti(
        &self,
        client_id: &str,
        jti: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<bool, StoreError>;

    /// Records access token `jti` as revoked until `expires_ms`, its `exp`. Revoking it again keeps the
    /// first record. Records that expired at or before `now_ms` are deleted on the way.
    async fn revoke_access_token(
        &self,
        jti: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<(), StoreError>;

    /// Tells whether access token `jti` has an unexpired revocation record at `now_ms`.
    async fn is_access_token_revoked(&self, jti: &str, now_ms: i64) -> Result<bool, StoreError>;
}
