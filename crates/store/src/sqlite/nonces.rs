//! Replay records of signed requests.

use sqlx::sqlite::SqlitePool;

use crate::error::StoreError;

pub(super) async fn first_use(
    pool: &SqlitePool,
    key: &[u8],
    now_ms: i64,
    expires_ms: i64,
) -> Result<bool, StoreError> {
    // One statement, so no other writer can run between the check and the insert. An expired record
    // that the purge has not deleted yet is taken over as if it were absent.
    let result = sqlx::query(
        "INSERT INTO signature_nonces (nonce_key, expires_ms) VALUES (?1, ?2)
         ON CONFLICT (nonce_key) DO UPDATE SET expires_ms = excluded.expires_ms
         WHERE signature_nonces.expires_ms <= ?3",
    )
    .bind(key)
    .bind(expires_ms)
    .bind(now_ms)
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub(super) async fn purge_expired(pool: &SqlitePool, now_ms: i64) -> Result<u64, StoreError> {
    let result = sqlx::query("DELETE FROM signature_nonces WHERE expires_ms <= ?")
        .bind(now_ms)
        .execute(pool)
        .await?;
    Ok(result.rows_affected())
}
