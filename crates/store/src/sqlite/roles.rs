//! Roles and the provider ARNs their trust policies name.

use std::collections::{HashMap, HashSet};

use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Row as _, SqliteConnection};

use super::{begin_read, begin_write, conflict_or_backend, stored_u32};
use crate::error::{EntityKind, StoreError};
use crate::marker::{decode_marker, encode_marker, MarkerList};
use crate::model::{case_insensitive_key, clamp_page_size, Page, RoleRecord};

const SELECT_ROLE: &str =
    "SELECT name_key, role_id, name, arn, trust_policy, description, max_session_duration,
            created_ms, updated_ms
     FROM roles";

pub(super) async fn create(pool: &SqlitePool, record: &RoleRecord) -> Result<(), StoreError> {
    let key = case_insensitive_key(&record.name);
    let mut tx = begin_write(pool).await?;

    let conflicting: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM roles WHERE name_key = ? OR arn = ? OR role_id = ?")
            .bind(&key)
            .bind(&record.arn)
            .bind(&record.role_id)
            .fetch_optional(&mut *tx)
            .await?;
    if conflicting.is_some() {
        return Err(StoreError::Conflict {
            kind: EntityKind::Role,
            name: record.name.clone(),
        });
    }

    sqlx::query(
        "INSERT INTO roles (name_key, role_id, name, arn, trust_policy, description, max_session_duration,
                            created_ms, updated_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&key)
    .bind(&record.role_id)
    .bind(&record.name)
    .bind(&record.arn)
    .bind(&record.trust_policy)
    .bind(&record.description)
    .bind(i64::from(record.max_session_duration))
    .bind(record.created_ms)
    .bind(record.updated_ms)
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict_or_backend(e, EntityKind::Role, &record.name))?;
    insert_trusted_providers(&mut tx, &key, &record.trusted_provider_arns).await?;

    tx.commit().await?;
    Ok(())
}

pub(super) async fn get(pool: &SqlitePool, name: &str) -> Result<Option<RoleRecord>, StoreError> {
    let mut tx = begin_read(pool).await?;
    let record = load_by_key(&mut tx, &case_insensitive_key(name)).await?;
    tx.commit().await?;
    Ok(record)
}

pub(super) async fn list(
    pool: &SqlitePool,
    marker: Option<&str>,
    max_items: u32,
) -> Result<Page<RoleRecord>, StoreError> {
    let after = marker
        .map(|m| decode_marker(MarkerList::Roles, m))
        .transpose()?;
    let limit = clamp_page_size(max_items);
    let mut tx = begin_read(pool).await?;

    // Fetching one row more than the page size shows whether another page follows.
    let rows = sqlx::query(&format!(
        "{SELECT_ROLE} WHERE ?1 IS NULL OR name_key > ?1 ORDER BY name_key LIMIT ?2"
    ))
    .bind(after.as_deref())
    .bind(i64::from(limit) + 1)
    .fetch_all(&mut *tx)
    .await?;
    let has_more = rows.len() > limit as usize;
    let rows = &rows[..rows.len().min(limit as usize)];

    let mut items = Vec::with_capacity(rows.len());
    let mut last_key = None;
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        let first: String = first.try_get("name_key")?;
        let last: String = last.try_get("name_key")?;
        let mut trusted = load_trusted_range(&mut tx, &first, &last).await?;
        for row in rows {
            let key: String = row.try_get("name_key")?;
            let arns = trusted.remove(&key).unwrap_or_default();
            items.push(from_row(row, arns)?);
        }
        last_key = Some(last);
    }
    tx.commit().await?;

    let next_marker = match last_key {
        Some(key) if has_more => Some(encode_marker(MarkerList::Roles, &key)),
        _ => None,
    };
    Ok(Page { items, next_marker })
}

pub(super) async fn update(
    pool: &SqlitePool,
    record: &RoleRecord,
) -> Result<RoleRecord, StoreError> {
    let key = case_insensitive_key(&record.name);
    let mut tx = begin_write(pool).await?;

    let updated = sqlx::query(
        "UPDATE roles SET trust_policy = ?, description = ?, max_session_duration = ?, updated_ms = ?
         WHERE name_key = ?",
    )
    .bind(&record.trust_policy)
    .bind(&record.description)
    .bind(i64::from(record.max_session_duration))
    .bind(record.updated_ms)
    .bind(&key)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(not_found(&record.name));
    }
    sqlx::query("DELETE FROM role_trusted_providers WHERE role_key = ?")
        .bind(&key)
        .execute(&mut *tx)
        .await?;
    insert_trusted_providers(&mut tx, &key, &record.trusted_provider_arns).await?;

    let stored = load_by_key(&mut tx, &key)
        .await?
        .ok_or_else(|| not_found(&record.name))?;
    tx.commit().await?;
    Ok(stored)
}

pub(super) async fn delete(pool: &SqlitePool, name: &str) -> Result<(), StoreError> {
    let key = case_insensitive_key(name);
    let mut tx = begin_write(pool).await?;

    let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM roles WHERE name_key = ?")
        .bind(&key)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Err(not_found(name));
    }

    let users: Vec<String> = sqlx::query_scalar(
        "SELECT p.name FROM role_policy_attachments a
         JOIN policies p ON p.name_key = a.policy_key
         WHERE a.role_key = ?
         ORDER BY p.name_key",
    )
    .bind(&key)
    .fetch_all(&mut *tx)
    .await?;
    if !users.is_empty() {
        return Err(StoreError::InUse {
            kind: EntityKind::Role,
            name: name.to_owned(),
            users,
        });
    }

    // Trusted provider rows go with the role through ON DELETE CASCADE.
    sqlx::query("DELETE FROM roles WHERE name_key = ?")
        .bind(&key)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Returns whether a role with this lower-cased name exists, for callers holding a transaction.
pub(super) async fn exists(conn: &mut SqliteConnection, key: &str) -> Result<bool, StoreError> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM roles WHERE name_key = ?")
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

pub(super) fn not_found(name: &str) -> StoreError {
    StoreError::NotFound {
        kind: EntityKind::Role,
        name: name.to_owned(),
    }
}

/// Stores `arns` in order, keeping only the first of entries that differ only in case.
async fn insert_trusted_providers(
    conn: &mut SqliteConnection,
    role_key: &str,
    arns: &[String],
) -> Result<(), StoreError> {
    let mut seen = HashSet::with_capacity(arns.len());
    let mut position: i64 = 0;
    for arn in arns {
        let arn_key = case_insensitive_key(arn);
        if !seen.insert(arn_key.clone()) {
            continue;
        }
        sqlx::query(
            "INSERT INTO role_trusted_providers (role_key, position, provider_arn, provider_arn_key)
             VALUES (?, ?, ?, ?)",
        )
        .bind(role_key)
        .bind(position)
        .bind(arn)
        .bind(&arn_key)
        .execute(&mut *conn)
        .await?;
        position += 1;
    }
    Ok(())
}

/// Loads the role whose lower-cased name is `key`, with its trusted provider ARNs.
pub(super) async fn load_by_key(conn: &mut SqliteConnection, key: &str) -> Result<Option<RoleRecord>, StoreError> {
    let row = sqlx::query(&format!("{SELECT_ROLE} WHERE name_key = ?"))
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let arns = sqlx::query_scalar(
        "SELECT provider_arn FROM role_trusted_providers WHERE role_key = ? ORDER BY position",
    )
    .bind(key)
    .fetch_all(&mut *conn)
    .await?;
    from_row(&row, arns).map(Some)
}

/// Loads trusted provider ARNs of every role whose key lies in `first..=last`, grouped by role key.
async fn load_trusted_range(
    conn: &mut SqliteConnection,
    first: &str,
    last: &str,
) -> Result<HashMap<String, Vec<String>>, StoreError> {
    let rows = sqlx::query(
        "SELECT role_key, provider_arn FROM role_trusted_providers
         WHERE role_key >= ? AND role_key <= ?
         ORDER BY role_key, position",
    )
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?;
    let mut grouped: HashMap<String, Vec<String>> = HashMap::new();
    for row in rows {
        let key: String = row.try_get("role_key")?;
        grouped
            .entry(key)
            .or_default()
            .push(row.try_get("provider_arn")?);
    }
    Ok(grouped)
}

fn from_row(row: &SqliteRow, trusted_provider_arns: Vec<String>) -> Result<RoleRecord, StoreError> {
    Ok(RoleRecord {
        role_id: row.try_get("role_id")?,
        name: row.try_get("name")?,
        arn: row.try_get("arn")?,
        trust_policy: row.try_get("trust_policy")?,
        trusted_provider_arns,
        description: row.try_get("description")?,
        max_session_duration: stored_u32(
            row.try_get("max_session_duration")?,
            "max_session_duration",
        )?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
    })
}
