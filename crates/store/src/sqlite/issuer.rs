//! [`IssuerStore`] for [`SqliteStore`]: each call delegates to the module of its table group.

use super::{issuer_clients, issuer_grants, issuer_keys, issuer_resource_servers, SqliteStore};
use crate::error::StoreError;
use crate::issuer_model::{
    ClientRecord, ClientSecretRecord, GrantFilter, GrantRecord, ResourceServerRecord,
    SigningKeyRecord,
};
use crate::model::Page;
use crate::IssuerStore;

#[async_trait::async_trait]
impl IssuerStore for SqliteStore {
    async fn create_resource_server(
        &self,
        resource_server: &ResourceServerRecord,
        max_per_account: u32,
    ) -> Result<(), StoreError> {
        issuer_resource_servers::create(&self.pool, resource_server, max_per_account).await
    }

    async fn get_resource_server(
        &self,
        name: &str,
    ) -> Result<Option<ResourceServerRecord>, StoreError> {
        issuer_resource_servers::get(&self.pool, name).await
    }

    async fn get_resource_server_by_identifier(
        &self,
        identifier: &str,
    ) -> Result<Option<ResourceServerRecord>, StoreError> {
        issuer_resource_servers::get_by_identifier(&self.pool, identifier).await
    }

    async fn list_resource_servers(
        &self,
        marker: Option<&str>,
        max_items: u32,
    ) -> Result<Page<ResourceServerRecord>, StoreError> {
        issuer_resource_servers::list(&self.pool, marker, max_items).await
    }

    async fn update_resource_server(
        &self,
        resource_server: &ResourceServerRecord,
    ) -> Result<ResourceServerRecord, StoreError> {
        issuer_resource_servers::update(&self.pool, resource_server).await
    }

    async fn delete_resource_server(&self, name: &str) -> Result<(), StoreError> {
        issuer_resource_servers::delete(&self.pool, name).await
    }

    async fn create_client(
        &self,
        client: &ClientRecord,
        max_per_account: u32,
    ) -> Result<(), StoreError> {
        issuer_clients::create(&self.pool, client, max_per_account).await
    }

    async fn get_client(&self, client_id: &str) -> Result<Option<ClientRecord>, StoreError> {
        issuer_clients::get(&self.pool, client_id).await
    }

    async fn list_clients(
        &self,
        marker: Option<&str>,
        max_items: u32,
    ) -> Result<Page<ClientRecord>, StoreError> {
        issuer_clients::list(&self.pool, marker, max_items).await
    }

    async fn update_client(&self, client: &ClientRecord) -> Result<ClientRecord, StoreError> {
        issuer_clients::update(&self.pool, client).await
    }

    async fn delete_client(&self, client_id: &str) -> Result<(), StoreError> {
        issuer_clients::delete(&self.pool, client_id).await
    }

    async fn create_client_secret(
        &self,
        secret: &ClientSecretRecord,
        max_active: u32,
    ) -> Result<(), StoreError> {
        issuer_clients::create_secret(&self.pool, secret, max_active).await
    }

    async fn list_client_secrets(
        &self,
        client_id: &str,
    ) -> Result<Vec<ClientSecretRecord>, StoreError> {
        issuer_clients::list_secrets(&self.pool, client_id).await
    }

    async fn revoke_client_secret(
        &self,
        client_id: &str,
        secret_id: &str,
        revoked_ms: i64,
    ) -> Result<ClientSecretRecord, StoreError> {
        issuer_clients::revoke_secret(&self.pool, client_id, secret_id, revoked_ms).await
    }

    async fn create_grant(&self, grant: &GrantRecord) -> Result<(), StoreError> {
        issuer_grants::create(&self.pool, grant).await
    }

    async fn get_grant(
        &self,
        client_id: &str,
        resource_server: &str,
    ) -> Result<Option<GrantRecord>, StoreError> {
        issuer_grants::get(&self.pool, client_id, resource_server).await
    }

    async fn list_grants(
        &self,
        filter: &GrantFilter,
        marker: Option<&str>,
        max_items: u32,
    ) -> Result<Page<GrantRecord>, StoreError> {
        issuer_grants::list(&self.pool, filter, marker, max_items).await
    }

    async fn update_grant(&self, grant: &GrantRecord) -> Result<GrantRecord, StoreError> {
        issuer_grants::update(&self.pool, grant).await
    }

    async fn delete_grant(&self, client_id: &str, resource_server: &str) -> Result<(), StoreError> {
        issuer_grants::delete(&self.pool, client_id, resource_server).await
    }

    async fn list_signing_keys(&self) -> Result<Vec<SigningKeyRecord>, StoreError> {
        issuer_keys::list(&self.pool).await
    }

    async fn create_first_signing_key(&self, key: &SigningKeyRecord) -> Result<bool, StoreError> {
        issuer_keys::create_first(&self.pool, key).await
    }

    async fn rotate_signing_key(
        &self,
        key: &SigningKeyRecord,
        now_ms: i64,
        retention_ms: i64,
    ) -> Result<(), StoreError> {
        issuer_keys::rotate(&self.pool, key, now_ms, retention_ms).await
    }

    async fn use_assertion_jti(
        &self,
        client_id: &str,
        jti: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        issuer_keys::use_assertion_jti(&self.pool, client_id, jti, expires_ms, now_ms).await
    }

    async fn revoke_access_token(
        &self,
        jti: &str,
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        issuer_keys::revoke_access_token(&self.pool, jti, expires_ms, now_ms).await
    }

    async fn is_access_token_revoked(&self, jti: &str, now_ms: i64) -> Result<bool, StoreError> {
        issuer_keys::is_access_token_revoked(&self.pool, jti, now_ms).await
    }
}
