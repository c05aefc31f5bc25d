-- The OAuth 2.0 M2M token issuer: resource servers, clients, secrets, grants, signing keys and the
-- replay and revocation lists. Times are unix milliseconds. Names and IDs compare case-sensitively.

-- Resource servers. identifier becomes the aud claim of their tokens.
CREATE TABLE issuer_resource_servers (
    name        TEXT    PRIMARY KEY,
    identifier  TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
) STRICT;

-- Permissions (scope names) of a resource server, in the order the caller gave them.
CREATE TABLE issuer_resource_server_permissions (
    resource_server TEXT    NOT NULL REFERENCES issuer_resource_servers (name) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    permission      TEXT    NOT NULL,
    PRIMARY KEY (resource_server, position),
    UNIQUE (resource_server, permission)
) STRICT;

-- Client applications. auth_methods is a comma-separated list of method names; jwks is the
-- registered JWKS document, or '' when none is registered.
CREATE TABLE issuer_clients (
    client_id                  TEXT    PRIMARY KEY,
    name                       TEXT    NOT NULL,
    description                TEXT    NOT NULL,
    auth_methods               TEXT    NOT NULL,
    access_token_lifetime_secs INTEGER NOT NULL CHECK (access_token_lifetime_secs BETWEEN 0 AND 4294967295),
    jwks                       TEXT    NOT NULL,
    created_ms                 INTEGER NOT NULL,
    updated_ms                 INTEGER NOT NULL
) STRICT;

-- Client secrets. seed derives the secret under a master-key subkey; it is '' once revoked.
CREATE TABLE issuer_client_secrets (
    secret_id  TEXT    PRIMARY KEY,
    client_id  TEXT    NOT NULL REFERENCES issuer_clients (client_id) ON DELETE CASCADE,
    seed       TEXT    NOT NULL,
    created_ms INTEGER NOT NULL,
    revoked_ms INTEGER
) STRICT;

CREATE INDEX issuer_client_secrets_by_client ON issuer_client_secrets (client_id, created_ms);

-- Grants: which permissions of which resource server a client may receive. A resource server
-- with grants cannot be deleted (no ON DELETE action); a client takes its grants with it.
CREATE TABLE issuer_grants (
    client_id       TEXT    NOT NULL REFERENCES issuer_clients (client_id) ON DELETE CASCADE,
    resource_server TEXT    NOT NULL REFERENCES issuer_resource_servers (name),
    created_ms      INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL,
    PRIMARY KEY (client_id, resource_server)
) STRICT;

CREATE INDEX issuer_grants_by_resource_server ON issuer_grants (resource_server, client_id);

-- Granted permissions, in the order the caller gave them.
CREATE TABLE issuer_grant_permissions (
    client_id       TEXT    NOT NULL,
    resource_server TEXT    NOT NULL,
    position        INTEGER NOT NULL,
    permission      TEXT    NOT NULL,
    PRIMARY KEY (client_id, resource_server, position),
    UNIQUE (client_id, resource_server, permission),
    FOREIGN KEY (client_id, resource_server) REFERENCES issuer_grants (client_id, resource_server) ON DELETE CASCADE
) STRICT;

CREATE INDEX issuer_grant_permissions_by_permission ON issuer_grant_permissions (resource_server, permission);

-- Token signing keys. private_key_sealed is the PKCS#8 key sealed with the master key.
-- retire_at_ms (stops signing) and remove_at_ms (leaves the JWKS) are set when a successor is made.
CREATE TABLE issuer_signing_keys (
    kid                TEXT    PRIMARY KEY,
    algorithm          TEXT    NOT NULL,
    private_key_sealed TEXT    NOT NULL,
    public_jwk         TEXT    NOT NULL,
    created_ms         INTEGER NOT NULL,
    activate_at_ms     INTEGER NOT NULL,
    retire_at_ms       INTEGER,
    remove_at_ms       INTEGER
) STRICT;

-- jti values of accepted client assertions, kept until the assertion could no longer be accepted.
CREATE TABLE issuer_used_assertions (
    client_id  TEXT    NOT NULL,
    jti        TEXT    NOT NULL,
    expires_ms INTEGER NOT NULL,
    PRIMARY KEY (client_id, jti)
) STRICT;

CREATE INDEX issuer_used_assertions_by_expiry ON issuer_used_assertions (expires_ms);

-- jti values of revoked access tokens, kept until the token expires.
CREATE TABLE issuer_revoked_tokens (
    jti        TEXT    PRIMARY KEY,
    expires_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX issuer_revoked_tokens_by_expiry ON issuer_revoked_tokens (expires_ms);
