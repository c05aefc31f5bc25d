-- Initial schema of the akless SQLite store.
-- Times are unix milliseconds. Columns named *_key hold the lower-cased name or ARN that uniqueness and
-- lookups use, because role names, policy names and ARNs compare case-insensitively.

-- The single account of this deployment. The CHECK keeps the table at one row.
CREATE TABLE account (
    singleton          INTEGER PRIMARY KEY CHECK (singleton = 1),
    account_id         TEXT    NOT NULL,
    root_access_key_id TEXT    NOT NULL,
    root_secret_sealed TEXT    NOT NULL,
    master_key_id      TEXT    NOT NULL,
    created_ms         INTEGER NOT NULL
) STRICT;

-- OIDC identity providers. Names compare case-sensitively (BINARY collation).
CREATE TABLE oidc_providers (
    name                 TEXT    PRIMARY KEY,
    arn                  TEXT    NOT NULL UNIQUE,
    issuer_url           TEXT    NOT NULL UNIQUE,
    issuance_limit_hours INTEGER NOT NULL CHECK (issuance_limit_hours BETWEEN 0 AND 4294967295),
    description          TEXT    NOT NULL,
    created_ms           INTEGER NOT NULL,
    updated_ms           INTEGER NOT NULL
) STRICT;

-- Client IDs (audiences) of a provider, in the order the caller gave them.
CREATE TABLE oidc_provider_client_ids (
    provider_name TEXT    NOT NULL REFERENCES oidc_providers (name) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    client_id     TEXT    NOT NULL,
    PRIMARY KEY (provider_name, position),
    UNIQUE (provider_name, client_id)
) STRICT;

-- Certificate fingerprints of a provider, in the order the caller gave them.
CREATE TABLE oidc_provider_fingerprints (
    provider_name TEXT    NOT NULL REFERENCES oidc_providers (name) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    fingerprint   TEXT    NOT NULL,
    PRIMARY KEY (provider_name, position),
    UNIQUE (provider_name, fingerprint)
) STRICT;

-- RAM roles. name_key is the lower-cased name, so names are unique case-insensitively.
CREATE TABLE roles (
    name_key             TEXT    PRIMARY KEY,
    role_id              TEXT    NOT NULL UNIQUE,
    name                 TEXT    NOT NULL,
    arn                  TEXT    NOT NULL UNIQUE,
    trust_policy         TEXT    NOT NULL,
    description          TEXT    NOT NULL,
    max_session_duration INTEGER NOT NULL CHECK (max_session_duration BETWEEN 0 AND 4294967295),
    created_ms           INTEGER NOT NULL,
    updated_ms           INTEGER NOT NULL
) STRICT;

-- Provider ARNs that a role's trust policy names as Federated principals. There is no foreign key to
-- oidc_providers because a trust policy may name a provider that does not exist yet. Deleting a provider
-- looks its ARN up through role_trusted_providers_by_provider.
CREATE TABLE role_trusted_providers (
    role_key         TEXT    NOT NULL REFERENCES roles (name_key) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    provider_arn     TEXT    NOT NULL,
    provider_arn_key TEXT    NOT NULL,
    PRIMARY KEY (role_key, position),
    UNIQUE (role_key, provider_arn_key)
) STRICT;

CREATE INDEX role_trusted_providers_by_provider ON role_trusted_providers (provider_arn_key);

-- Custom permission policies. name_key is the lower-cased name.
CREATE TABLE policies (
    name_key        TEXT    PRIMARY KEY,
    name            TEXT    NOT NULL,
    policy_type     TEXT    NOT NULL,
    document        TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    default_version TEXT    NOT NULL,
    created_ms      INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL
) STRICT;

-- Policies attached to roles. The foreign keys have no ON DELETE action, so a role or policy that is still
-- attached cannot be deleted even if a caller skips the in-use check.
CREATE TABLE role_policy_attachments (
    role_key    TEXT    NOT NULL REFERENCES roles (name_key),
    policy_key  TEXT    NOT NULL REFERENCES policies (name_key),
    attached_ms INTEGER NOT NULL,
    PRIMARY KEY (role_key, policy_key)
) STRICT;

CREATE INDEX role_policy_attachments_by_policy ON role_policy_attachments (policy_key);

-- Audit trail of credential exchanges and administrative calls, listed newest first.
CREATE TABLE audit_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms      INTEGER NOT NULL,
    request_id   TEXT    NOT NULL,
    source_ip    TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    provider_arn TEXT,
    role_arn     TEXT,
    subject      TEXT,
    jti          TEXT,
    outcome      TEXT    NOT NULL CHECK (outcome IN ('Success', 'Failure')),
    error_code   TEXT,
    failed_check TEXT
) STRICT;

CREATE INDEX audit_events_by_time ON audit_events (time_ms);
CREATE INDEX audit_events_by_role ON audit_events (role_arn, time_ms);
CREATE INDEX audit_events_by_provider ON audit_events (provider_arn, time_ms);
