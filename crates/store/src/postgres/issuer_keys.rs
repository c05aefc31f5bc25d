//! Issuer signing keys, the replay list of client assertions and the list of revoked access tokens.

use sqlx::postgres::{PgPool, PgRow};
use sqlx::{PgConnection, Row as _};

use super::{begin_write, conflict_or_backend, notify};
use crate::error::{EntityKind, StoreError};
use crate::issuer_model::SigningKeyRecord;

/// Change topic of signing key writes, which every node must publish in its JWKS.
const TOPIC: &str = "signing_key";

const SELECT: &str =
    "SELECT kid, algorithm, private_key_sealed, public_jwk, created_ms, activate_at_ms,
            retire_at_ms, remove_at_ms
     FROM issuer_signing_keys";

pub(super) async fn list(pool: &PgPool) -> Result<Vec<SigningKeyRecord>, StoreError> {
    let rows = sqlx::query(&format!("{SELECT} ORDER BY activate_at_ms, kid"))
        .fetch_all(pool)
        .await?;
    rows.iter().map(from_row).collect()
}

pub(super) async fn create_first(
    pool: &PgPool,
    key: &SigningKeyRecord,
) -> Result<bool, StoreError> {
    let mut tx = begin_write(pool).await?;
    let any: Option<i32> = sqlx::query_scalar("SELECT 1 FROM issuer_signing_keys LIMIT 1")
        .fetch_optional(&mut *tx)
        .await?;
    if any.is_some() {
        return Ok(false);
    }
    insert(&mut tx, key).await?;
    notify(&mut tx, TOPIC).await?;
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn rotate(
    pool: &PgPool,
    key: &SigningKeyRecord,
    now_ms: i64,
    retention_ms: i64,
) -> Result<(), StoreError> {
    let mut tx = begin_write(pool).await?;
    sqlx::query(
        "DELETE FROM issuer_signing_keys WHERE remove_at_ms IS NOT NULL AND remove_at_ms <= $1",
    )
    .bind(now_ms)
    .execute(&mut *tx)
    .await?;
    let newest: Option<(String, i64)> = sqlx::query_as(
        "SELECT kid, activate_at_ms FROM issuer_signing_keys
         WHERE retire_at_ms IS NULL ORDER BY activate_at_ms DESC, kid DESC LIMIT 1",
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((kid, activate_at_ms)) = newest {
        if activate_at_ms > now_ms {
            return Err(StoreError::Conflict {
                kind: EntityKind::SigningKey,
                name: kid,
            });
        }
        sqlx::query(
            "UPDATE issuer_signing_keys SET retire_at_ms = $1, remove_at_ms = $2 WHERE kid = $3",
        )
        .bind(key.activate_at_ms)
        .bind(key.activate_at_ms.saturating_add(retention_ms))
        .bind(&kid)
        .execute(&mut *tx)
        .await?;
    }
    insert(&mut tx, key).await?;
    notify(&mut tx, TOPIC).await?;
    tx.commit().await?;
    Ok(())
}

async fn insert(conn: &mut PgConnection, key: &SigningKeyRecord) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO issuer_signing_keys
             (kid, algorithm, private_key_sealed, public_jwk, created_ms, activate_at_ms, retire_at_ms, remove_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL)",
    )
    .bind(&key.kid)
    .bind(&key.algorithm)
    .bind(&key.private_key_sealed)
    .bind(&key.public_jwk)
    .bind(key.created_ms)
    .bind(key.activate_at_ms)
    .execute(&mut *conn)
    .await
    .map_err(|e| conflict_or_backend(e, EntityKind::SigningKey, &key.kid))?;
    Ok(())
}

pub(super) async fn use_assertion_jti(
    pool: &PgPool,
    client_id: &str,
    jti: &str,
    expires_ms: i64,
    now_ms: i64,
) -> Result<bool, StoreError> {
    // No write lock: the primary key makes a concurrent insert of the same pair wait for the first one
    // and then find it, on any node, so exactly one caller inserts.
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM issuer_used_assertions WHERE expires_ms <= $1")
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
    let inserted = sqlx::query(
        "INSERT INTO issuer_used_assertions (client_id, jti, expires_ms) VALUES ($1, $2, $3)
         ON CONFLICT (client_id, jti) DO NOTHING",
    )
    .bind(client_id)
    .bind(jti.as_bytes())
    .bind(expires_ms)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(inserted.rows_affected() == 1)
}

pub(super) async fn revoke_access_token(
    pool: &PgPool,
    jti: &str,
    expires_ms: i64,
    now_ms: i64,
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM issuer_revoked_tokens WHERE expires_ms <= $1")
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO issuer_revoked_tokens (jti, expires_ms) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING",
    )
    .bind(jti)
    .bind(expires_ms)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn is_access_token_revoked(
    pool: &PgPool,
    jti: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let found: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM issuer_revoked_tokens WHERE jti = $1 AND expires_ms > $2",
    )
    .bind(jti)
    .bind(now_ms)
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}

fn from_row(row: &PgRow) -> Result<SigningKeyRecord, StoreError> {
    Ok(SigningKeyRecord {
        kid: row.try_get("kid")?,
        algorithm: row.try_get("algorithm")?,
        private_key_sealed: row.try_get("private_key_sealed")?,
        public_jwk: row.try_get("public_jwk")?,
        created_ms: row.try_get("created_ms")?,
        activate_at_ms: row.try_get("activate_at_ms")?,
        retire_at_ms: row.try_get("retire_at_ms")?,
        remove_at_ms: row.try_get("remove_at_ms")?,
    })
}
