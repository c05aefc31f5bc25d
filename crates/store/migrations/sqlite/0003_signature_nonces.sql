-- Replay records of signed requests: one row per (AccessKeyId, SignatureNonce) key until it expires.
-- A server with a SQLite store checks nonces in memory; the table backs the Store trait's nonce calls.
CREATE TABLE signature_nonces (
    nonce_key  BLOB    PRIMARY KEY,
    expires_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX signature_nonces_by_expiry ON signature_nonces (expires_ms);
