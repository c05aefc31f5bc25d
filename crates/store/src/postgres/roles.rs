//! Roles and the provider ARNs their trust policies name.

use std::collections::HashSet;

use sqlx::postgres::{PgPool, PgRow};
use sqlx::{PgConnection, Row as _};

use super::{begin_write, conflict_or_backend, notify, position, stored_u32};
use crate::error::{EntityKind, StoreError};
use crate::marker::{decode_marker, encode_marker, MarkerList};
use crate::model::{case_insensitive_key, clamp_page_size, Page, RoleRecord};

/// Change topic of role writes.
const TOPIC: &str = "role";

/// Selects a role with its trusted provider ARNs in one statement, so both come from one snapshot.
const SELECT_ROLE: &str =
    "SELECT r.name_key, r.role_id, r.name, r.arn, r.trust_policy, r.description, r.max_session_duration,
            r.created_ms, r.updated_ms,
            ARRAY(SELECT t.provider_arn FROM role_trusted_providers t
                  WHERE t.role_key = r.name_key ORDER BY t.position) AS trusted_provider_arns
     FROM roles r";

pub(super) async fn create(pool: &PgPool, record: &RoleRecord) -> Result<(), StoreError> {
    let key = case_insensitive_key(&record.name);
    let mut tx = begin_write(pool).await?;

    let conflicting: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM roles WHERE name_key = $1 OR arn = $2 OR role_id = $3")
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
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
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

    notify(&mut tx, TOPIC).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn get(pool: &PgPool, name: &str) -> Result<Option<RoleRecord>, StoreError> {
    let row = sqlx::query(&format!("{SELECT_ROLE} WHERE r.name_key = $1"))
        .bind(case_insensitive_key(name))
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Loads the role whose lower-cased name is `key`, with its trusted provider ARNs, on `conn`.
pub(super) async fn load_by_key(conn: &mut PgConnection, key: &str) -> Result<Option<RoleRecord>, StoreError> {
    let row = sqlx::query(&format!("{SELECT_ROLE} WHERE r.name_key = $1"))
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub(super) async fn list(
    pool: &PgPool,
    marker: Option<&str>,
    max_items: u32,
) -> Result<Page<RoleRecord>, StoreError> {
    let after = marker
        .map(|m| decode_marker(MarkerList::Roles, m))
        .transpose()?;
    let limit = clamp_page_size(max_items);

    // Fetching one row more than the page size shows whether another page follows.
    let rows = sqlx::query(&format!(
        "{SELECT_ROLE} WHERE $1::text IS NULL OR r.name_key > $1 ORDER BY r.name_key LIMIT $2"
    ))
    .bind(after.as_deref())
    .bind(i64::from(limit) + 1)
    .fetch_all(pool)
    .await?;
    let has_more = rows.len() > limit as usize;
    let rows = &rows[..rows.len().min(limit as usize)];

    let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    let next_marker = match rows.last() {
        Some(last) if has_more => {
            let key: String = last.try_get("name_key")?;
            Some(encode_marker(MarkerList::Roles, &key))
        }
        _ => None,
    };
    Ok(Page { items, next_marker })
}

pub(super) async fn update(pool: &PgPool, record: &RoleRecord) -> Result<RoleRecord, StoreError> {
    let key = case_insensitive_key(&record.name);
    let mut tx = begin_write(pool).await?;

    let updated = sqlx::query(
        "UPDATE roles SET trust_policy = $1, description = $2, max_session_duration = $3, updated_ms = $4
         WHERE name_key = $5",
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
    sqlx::query("DELETE FROM role_trusted_providers WHERE role_key = $1")
        .bind(&key)
        .execute(&mut *tx)
        .await?;
    insert_trusted_providers(&mut tx, &key, &record.trusted_provider_arns).await?;

    let stored = sqlx::query(&format!("{SELECT_ROLE} WHERE r.name_key = $1"))
        .bind(&key)
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()?
        .ok_or_else(|| not_found(&record.name))?;
    notify(&mut tx, TOPIC).await?;
    tx.commit().await?;
    Ok(stored)
}

pub(super) async fn delete(pool: &PgPool, name: &str) -> Result<(), StoreError> {
    let key = case_insensitive_key(name);
    let mut tx = begin_write(pool).await?;

    if !exists(&mut tx, &key).await? {
        return Err(not_found(name));
    }
    let users: Vec<String> = sqlx::query_scalar(
        "SELECT p.name FROM role_policy_attachments a
         JOIN policies p ON p.name_key = a.policy_key
         WHERE a.role_key = $1
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
    sqlx::query("DELETE FROM roles WHERE name_key = $1")
        .bind(&key)
        .execute(&mut *tx)
        .await?;
    notify(&mut tx, TOPIC).await?;
    tx.commit().await?;
    Ok(())
}

/// Returns whether a role with this lower-cased name exists, for callers holding a transaction.
pub(super) async fn exists(conn: &mut PgConnection, key: &str) -> Result<bool, StoreError> {
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM roles WHERE name_key = $1")
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
    conn: &mut PgConnection,
    role_key: &str,
    arns: &[String],
) -> Result<(), StoreError> {
    let mut seen = HashSet::with_capacity(arns.len());
    let mut index = 0;
    for arn in arns {
        let arn_key = case_insensitive_key(arn);
        if !seen.insert(arn_key.clone()) {
            continue;
        }
        sqlx::query(
            "INSERT INTO role_trusted_providers (role_key, position, provider_arn, provider_arn_key)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(role_key)
        .bind(position(index)?)
        .bind(arn)
        .bind(&arn_key)
        .execute(&mut *conn)
        .await?;
        index += 1;
    }
    Ok(())
}

fn from_row(row: &PgRow) -> Result<RoleRecord, StoreError> {
    Ok(RoleRecord {
        role_id: row.try_get("role_id")?,
        name: row.try_get("name")?,
        arn: row.try_get("arn")?,
        trust_policy: row.try_get("trust_policy")?,
        trusted_provider_arns: row.try_get("trusted_provider_arns")?,
        description: row.try_get("description")?,
        max_session_duration: stored_u32(
            row.try_get("max_session_duration")?,
            "max_session_duration",
        )?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
    })
}
