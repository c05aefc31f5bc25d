//! Issuer clients and their secrets.

use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Row as _, SqliteConnection};

use super::{begin_read, begin_write, conflict_or_backend, reject_duplicates, stored_u32};
use crate::error::{EntityKind, StoreError};
use crate::issuer_model::{ClientRecord, ClientSecretRecord};
use crate::marker::{decode_marker, encode_marker, MarkerList};
use crate::model::{clamp_page_size, Page};

const SELECT_CLIENT: &str =
    "SELECT client_id, name, description, auth_methods, access_token_lifetime_secs, jwks,
            created_ms, updated_ms
     FROM issuer_clients";
const SELECT_SECRET: &str =
    "SELECT secret_id, client_id, seed, created_ms, revoked_ms FROM issuer_client_secrets";

pub(super) async fn create(
    pool: &SqlitePool,
    record: &ClientRecord,
    max_per_account: u32,
) -> Result<(), StoreError> {
    check_methods(record)?;
    let mut tx = begin_write(pool).await?;
    if exists(&mut tx, &record.client_id).await? {
        return Err(StoreError::Conflict {
            kind: EntityKind::Client,
            name: record.client_id.clone(),
        });
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM issuer_clients")
        .fetch_one(&mut *tx)
        .await?;
    if count >= i64::from(max_per_account) {
        return Err(StoreError::LimitExceeded {
            kind: EntityKind::Client,
            limit: max_per_account,
        });
    }
    sqlx::query(
        "INSERT INTO issuer_clients
             (client_id, name, description, auth_methods, access_token_lifetime_secs, jwks, created_ms, updated_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&record.client_id)
    .bind(&record.name)
    .bind(&record.description)
    .bind(record.auth_methods.join(","))
    .bind(i64::from(record.access_token_lifetime_secs))
    .bind(&record.jwks)
    .bind(record.created_ms)
    .bind(record.updated_ms)
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict_or_backend(e, EntityKind::Client, &record.client_id))?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn get(
    pool: &SqlitePool,
    client_id: &str,
) -> Result<Option<ClientRecord>, StoreError> {
    let row = sqlx::query(&format!("{SELECT_CLIENT} WHERE client_id = ?"))
        .bind(client_id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(client_from_row).transpose()
}

pub(super) async fn list(
    pool: &SqlitePool,
    marker: Option<&str>,
    max_items: u32,
) -> Result<Page<ClientRecord>, StoreError> {
    let after = marker
        .map(|m| decode_marker(MarkerList::Clients, m))
        .transpose()?;
    let limit = clamp_page_size(max_items);
    // One row more than the page size shows whether another page follows.
    let rows = sqlx::query(&format!(
        "{SELECT_CLIENT} WHERE ?1 IS NULL OR client_id > ?1 ORDER BY client_id LIMIT ?2"
    ))
    .bind(after.as_deref())
    .bind(i64::from(limit) + 1)
    .fetch_all(pool)
    .await?;
    let has_more = rows.len() > limit as usize;
    let items = rows
        .iter()
        .take(limit as usize)
        .map(client_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let next_marker = match items.last() {
        Some(last) if has_more => Some(encode_marker(MarkerList::Clients, &last.client_id)),
        _ => None,
    };
    Ok(Page { items, next_marker })
}

pub(super) async fn update(
    pool: &SqlitePool,
    record: &ClientRecord,
) -> Result<ClientRecord, StoreError> {
    check_methods(record)?;
    let mut tx = begin_write(pool).await?;
    let updated = sqlx::query(
        "UPDATE issuer_clients
         SET name = ?, description = ?, auth_methods = ?, access_token_lifetime_secs = ?, jwks = ?, updated_ms = ?
         WHERE client_id = ?",
    )
    .bind(&record.name)
    .bind(&record.description)
    .bind(record.auth_methods.join(","))
    .bind(i64::from(record.access_token_lifetime_secs))
    .bind(&record.jwks)
    .bind(record.updated_ms)
    .bind(&record.client_id)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(client_not_found(&record.client_id));
    }
    let row = sqlx::query(&format!("{SELECT_CLIENT} WHERE client_id = ?"))
        .bind(&record.client_id)
        .fetch_one(&mut *tx)
        .await?;
    let stored = client_from_row(&row)?;
    tx.commit().await?;
    Ok(stored)
}

pub(super) async fn delete(pool: &SqlitePool, client_id: &str) -> Result<(), StoreError> {
    let mut tx = begin_write(pool).await?;
    // Secrets, grants and granted permissions go with the client through ON DELETE CASCADE.
    let deleted = sqlx::query("DELETE FROM issuer_clients WHERE client_id = ?")
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(client_not_found(client_id));
    }
    sqlx::query("DELETE FROM issuer_used_assertions WHERE client_id = ?")
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn create_secret(
    pool: &SqlitePool,
    secret: &ClientSecretRecord,
    max_active: u32,
) -> Result<(), StoreError> {
    let mut tx = begin_write(pool).await?;
    if !exists(&mut tx, &secret.client_id).await? {
        return Err(client_not_found(&secret.client_id));
    }
    let active: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM issuer_client_secrets WHERE client_id = ? AND revoked_ms IS NULL",
    )
    .bind(&secret.client_id)
    .fetch_one(&mut *tx)
    .await?;
    if active >= i64::from(max_active) {
        return Err(StoreError::LimitExceeded {
            kind: EntityKind::ClientSecret,
            limit: max_active,
        });
    }
    sqlx::query(
        "INSERT INTO issuer_client_secrets (secret_id, client_id, seed, created_ms, revoked_ms) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&secret.secret_id)
    .bind(&secret.client_id)
    .bind(&secret.seed)
    .bind(secret.created_ms)
    .bind(secret.revoked_ms)
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict_or_backend(e, EntityKind::ClientSecret, &secret.secret_id))?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn list_secrets(
    pool: &SqlitePool,
    client_id: &str,
) -> Result<Vec<ClientSecretRecord>, StoreError> {
    let mut tx = begin_read(pool).await?;
    if !exists(&mut tx, client_id).await? {
        return Err(client_not_found(client_id));
    }
    let rows = sqlx::query(&format!(
        "{SELECT_SECRET} WHERE client_id = ? ORDER BY created_ms, secret_id"
    ))
    .bind(client_id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    rows.iter().map(secret_from_row).collect()
}

pub(super) async fn revoke_secret(
    pool: &SqlitePool,
    client_id: &str,
    secret_id: &str,
    revoked_ms: i64,
) -> Result<ClientSecretRecord, StoreError> {
    let mut tx = begin_write(pool).await?;
    if !exists(&mut tx, client_id).await? {
        return Err(client_not_found(client_id));
    }
    sqlx::query(
        "UPDATE issuer_client_secrets SET revoked_ms = ?, seed = ''
         WHERE client_id = ? AND secret_id = ? AND revoked_ms IS NULL",
    )
    .bind(revoked_ms)
    .bind(client_id)
    .bind(secret_id)
    .execute(&mut *tx)
    .await?;
    let row = sqlx::query(&format!(
        "{SELECT_SECRET} WHERE client_id = ? AND secret_id = ?"
    ))
    .bind(client_id)
    .bind(secret_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Err(StoreError::NotFound {
            kind: EntityKind::ClientSecret,
            name: secret_id.to_owned(),
        });
    };
    let stored = secret_from_row(&row)?;
    tx.commit().await?;
    Ok(stored)
}

/// Tells whether the client exists.
pub(super) async fn exists(
    conn: &mut SqliteConnection,
    client_id: &str,
) -> Result<bool, StoreError> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM issuer_clients WHERE client_id = ?")
        .bind(client_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

pub(super) fn client_not_found(client_id: &str) -> StoreError {
    StoreError::NotFound {
        kind: EntityKind::Client,
        name: client_id.to_owned(),
    }
}

/// Method names are stored comma-separated, so they must be non-empty, unique and free of commas.
fn check_methods(record: &ClientRecord) -> Result<(), StoreError> {
    reject_duplicates(&record.auth_methods, EntityKind::Client, "auth_methods")?;
    if record
        .auth_methods
        .iter()
        .any(|m| m.is_empty() || m.contains(','))
    {
        return Err(StoreError::InvalidRecord {
            kind: EntityKind::Client,
            reason: "auth_methods entries must be non-empty and contain no comma".into(),
        });
    }
    Ok(())
}

fn client_from_row(row: &SqliteRow) -> Result<ClientRecord, StoreError> {
    let methods: String = row.try_get("auth_methods")?;
    Ok(ClientRecord {
        client_id: row.try_get("client_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        auth_methods: methods
            .split(',')
            .filter(|m| !m.is_empty())
            .map(str::to_owned)
            .collect(),
        access_token_lifetime_secs: stored_u32(
            row.try_get("access_token_lifetime_secs")?,
            "access_token_lifetime_secs",
        )?,
        jwks: row.try_get("jwks")?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
    })
}

fn secret_from_row(row: &SqliteRow) -> Result<ClientSecretRecord, StoreError> {
    Ok(ClientSecretRecord {
        secret_id: row.try_get("secret_id")?,
        client_id: row.try_get("client_id")?,
        seed: row.try_get("seed")?,
        created_ms: row.try_get("created_ms")?,
        revoked_ms: row.try_get("revoked_ms")?,
    })
}
