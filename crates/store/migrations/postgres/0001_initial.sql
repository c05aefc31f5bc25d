-- Initial schema of the akless PostgreSQL store.
-- Times are unix milliseconds. Columns named *_key hold the lower-cased name or ARN that uniqueness and
-- lookups use, because role names, policy names and ARNs compare case-insensitively. Text keys use the
-- "C" collation, so ordering and paging markers follow byte order as in the SQLite store, whatever the
-- database's default collation is.

-- The single account of this deployment. The CHECK keeps the table at one row.
CREATE TABLE account (
    singleton          SMALLINT PRIMARY KEY CHECK (singleton = 1),
    account_id         TEXT     NOT NULL,
    root_access_key_id TEXT     NOT NULL,
    root_secret_sealed TEXT     NOT NULL,
    master_key_id      TEXT     NOT NULL,
    created_ms         BIGINT   NOT NULL
);

-- OIDC identity providers. Names compare case-sensitively.
CREATE TABLE oidc_providers (
    name                 TEXT COLLATE "C" PRIMARY KEY,
    arn                  TEXT   NOT NULL UNIQUE,
    issuer_url           TEXT   NOT NULL UNIQUE,
    issuance_limit_hours BIGINT NOT NULL CHECK (issuance_limit_hours BETWEEN 0 AND 4294967295),
    description          TEXT   NOT NULL,
    created_ms           BIGINT NOT NULL,
    updated_ms           BIGINT NOT NULL
);

-- Client IDs (audiences) of a provider, in the order the caller gave them.
CREATE TABLE oidc_provider_client_ids (
    provider_name TEXT COLLATE "C" NOT NULL REFERENCES oidc_providers (name) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    client_id     TEXT    NOT NULL,
    PRIMARY KEY (provider_name, position),
    UNIQUE (provider_name, client_id)
);

-- Certificate fingerprints of a provider, in the order the caller gave them.
CREATE TABLE oidc_provider_fingerprints (
    provider_name TEXT COLLATE "C" NOT NULL REFERENCES oidc_providers (name) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    fingerprint   TEXT    NOT NULL,
    PRIMARY KEY (provider_name, position),
    UNIQUE (provider_name, fingerprint)
);

-- RAM roles. name_key is the lower-cased name, so names are unique case-insensitively.
CREATE TABLE roles (
    name_key             TEXT COLLATE "C" PRIMARY KEY,
    role_id              TEXT   NOT NULL UNIQUE,
    name                 TEXT   NOT NULL,
    arn                  TEXT   NOT NULL UNIQUE,
    trust_policy         TEXT   NOT NULL,
    description          TEXT   NOT NULL,
    max_session_duration BIGINT NOT NULL CHECK (max_session_duration BETWEEN 0 AND 4294967295),
    created_ms           BIGINT NOT NULL,
    updated_ms           BIGINT NOT NULL
);

-- Provider ARNs that a role's trust policy names as Federated principals. There is no foreign key to
-- oidc_providers because a trust policy may name a provider that does not exist yet.
CREATE TABLE role_trusted_providers (
    role_key         TEXT COLLATE "C" NOT NULL REFERENCES roles (name_key) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    provider_arn     TEXT    NOT NULL,
    provider_arn_key TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (role_key, position),
    UNIQUE (role_key, provider_arn_key)
);

CREATE INDEX role_trusted_providers_by_provider ON role_trusted_providers (provider_arn_key);

-- Custom permission policies. name_key is the lower-cased name.
CREATE TABLE policies (
    name_key        TEXT COLLATE "C" PRIMARY KEY,
    name            TEXT   NOT NULL,
    policy_type     TEXT   NOT NULL,
    document        TEXT   NOT NULL,
    description     TEXT   NOT NULL,
    default_version TEXT   NOT NULL,
    created_ms      BIGINT NOT NULL,
    updated_ms      BIGINT NOT NULL
);

-- Policies attached to roles. The foreign keys have no ON DELETE action, so a role or policy that is still
-- attached cannot be deleted even if a caller skips the in-use check.
CREATE TABLE role_policy_attachments (
    role_key    TEXT COLLATE "C" NOT NULL REFERENCES roles (name_key),
    policy_key  TEXT COLLATE "C" NOT NULL REFERENCES policies (name_key),
    attached_ms BIGINT NOT NULL,
    PRIMARY KEY (role_key, policy_key)
);

CREATE INDEX role_policy_attachments_by_policy ON role_policy_attachments (policy_key);

-- Audit trail of credential exchanges and administrative calls, listed newest first.
CREATE TABLE audit_events (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time_ms      BIGINT NOT NULL,
    request_id   TEXT   NOT NULL,
    source_ip    TEXT   NOT NULL,
    action       TEXT   NOT NULL,
    provider_arn TEXT,
    role_arn     TEXT,
    subject      TEXT,
    jti          TEXT,
    outcome      TEXT   NOT NULL CHECK (outcome IN ('Success', 'Failure')),
    error_code   TEXT,
    failed_check TEXT
);

CREATE INDEX audit_events_by_time ON audit_events (time_ms);
CREATE INDEX audit_events_by_role ON audit_events (role_arn, time_ms);
CREATE INDEX audit_events_by_provider ON audit_events (provider_arn, time_ms);

-- Replay records of signed requests: one row per (AccessKeyId, SignatureNonce) key until it expires, so
-- that a nonce used on one node is rejected on every other node.
CREATE TABLE signature_nonces (
    nonce_key  BYTEA  PRIMARY KEY,
    expires_ms BIGINT NOT NULL
);

CREATE INDEX signature_nonces_by_expiry ON signature_nonces (expires_ms);
