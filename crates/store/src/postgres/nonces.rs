//! Replay records of signed requests, shared by every node.

use sqlx::postgres::PgPool;

use crate::error::StoreError;

pub(super) async fn first_use(
    pool: &PgPool,
    key: &[u8],
    now_ms: i64,
    expires_ms: i64,
) -> Result<bool, StoreError> {
    // One statement: the primary key makes concurrent inserts of one key wait for each other, and only
    // one of them inserts or takes over a row. A row that expired but was not purged yet counts as absent.
    let result = sqlx::query(
        "INSERT INTO signature_nonces (nonce_key, expires_ms) VALUES ($1, $2)
         ON CONFLICT (nonce_key) DO UPDATE SET expires_ms = EXCLUDED.expires_ms
         WHERE signature_nonces.expires_ms <= $3",
    )
    .bind(key)
    .bind(expires_ms)
    .bind(now_ms)
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub(super) async fn purge_expired(pool: &PgPool, now_ms: i64) -> Result<u64, StoreError> {
    let result = sqlx::query("DELETE FROM signature_nonces WHERE expires_ms <= $1")
        .bind(now_ms)
        .execute(pool)
        .await?;
    Ok(result.rows_affected())
}
