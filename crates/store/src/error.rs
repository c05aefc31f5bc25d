//! Errors of the [`Store`](crate::Store) trait. The server maps each variant to an API error code.

use std::fmt;

/// The kind of stored object an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityKind {
    Account,
    OidcProvider,
    /// The issuer URL of an OIDC provider, unique across providers.
    IssuerUrl,
    Role,
    Policy,
    /// The attachment of a policy to a role.
    PolicyAttachment,
    AuditRecord,
    /// A resource server of the token issuer.
    ResourceServer,
    /// The identifier (audience) of a resource server, unique across resource servers.
    ResourceServerIdentifier,
    /// A permission of a resource server.
    Permission,
    /// A client application of the token issuer.
    Client,
    /// A client secret.
    ClientSecret,
    /// The grant of a resource server's permissions to a client.
    Grant,
    /// A token signing key of the issuer.
    SigningKey,
}

impl EntityKind {
    /// Returns the entity name as it appears in Alibaba Cloud error codes, e.g. "OIDCProvider" in
    /// `EntityNotExist.OIDCProvider` and "Role.Policy" in `EntityAlreadyExists.Role.Policy`.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Account => "Account",
            EntityKind::OidcProvider => "OIDCProvider",
            // NOTE: no Alibaba Cloud error code for a taken issuer URL is known, so this name is our own.
            EntityKind::IssuerUrl => "OIDCProvider.IssuerUrl",
            EntityKind::Role => "Role",
            EntityKind::Policy => "Policy",
            EntityKind::PolicyAttachment => "Role.Policy",
            EntityKind::AuditRecord => "AuditRecord",
            EntityKind::ResourceServer => "ResourceServer",
            EntityKind::ResourceServerIdentifier => "ResourceServer.Identifier",
            EntityKind::Permission => "ResourceServer.Permission",
            EntityKind::Client => "Client",
            EntityKind::ClientSecret => "Client.Secret",
            EntityKind::Grant => "Grant",
            EntityKind::SigningKey => "SigningKey",
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EntityKind::Account => "account",
            EntityKind::OidcProvider => "OIDC provider",
            EntityKind::IssuerUrl => "OIDC provider issuer URL",
            EntityKind::Role => "role",
            EntityKind::Policy => "policy",
            EntityKind::PolicyAttachment => "policy attachment",
            EntityKind::AuditRecord => "audit record",
            EntityKind::ResourceServer => "resource server",
            EntityKind::ResourceServerIdentifier => "resource server identifier",
            EntityKind::Permission => "permission",
            EntityKind::Client => "client",
            EntityKind::ClientSecret => "client secret",
            EntityKind::Grant => "grant",
            EntityKind::SigningKey => "signing key",
        })
    }
}

/// Why a store call failed. Messages name objects but never carry secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The named object does not exist.
    #[error("{kind} {name:?} not found")]
    NotFound { kind: EntityKind, name: String },

    /// An object with the same unique name or value already exists.
    #[error("{kind} {name:?} already exists")]
    Conflict { kind: EntityKind, name: String },

    /// Creating one more object of this kind would exceed the per-account limit.
    #[error("cannot create another {kind}: the account already has the maximum of {limit}")]
    LimitExceeded { kind: EntityKind, limit: u32 },

    /// The object cannot be deleted while `users` (role or policy names) still refer to it.
    #[error("{kind} {name:?} is still used by {users:?}. Detach or delete those first")]
    InUse {
        kind: EntityKind,
        name: String,
        users: Vec<String>,
    },

    /// The paging marker was not produced by this store for this list.
    #[error("invalid paging marker. Pass the marker from the previous page unchanged")]
    InvalidMarker,

    /// The record breaks a store invariant, such as a duplicate list entry or an unknown audit outcome.
    #[error("invalid {kind} record: {reason}")]
    InvalidRecord { kind: EntityKind, reason: String },

    /// The database was migrated by a newer akless build, so this build cannot safely use it.
    #[error(
        "the {backend} database schema is at version {found}, but this akless build knows versions up to \
         {supported}; upgrade akless on this node to the release that migrated the database"
    )]
    SchemaTooNew {
        /// "SQLite" or "PostgreSQL".
        backend: &'static str,
        /// Newest migration version applied to the database.
        found: i64,
        /// Newest migration version this build contains.
        supported: i64,
    },

    /// The database failed or returned data the store cannot decode.
    #[error("storage backend failed: {0}")]
    Backend(String),
}
