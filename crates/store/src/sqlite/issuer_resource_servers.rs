//! Issuer resource servers and their permission lists.

use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Row as _, SqliteConnection};

use super::{begin_read, begin_write, conflict_or_backend, reject_duplicates};
use crate::error::{EntityKind, StoreError};
use crate::issuer_model::ResourceServerRecord;
use crate::marker::{decode_marker, encode_marker, MarkerList};
use crate::model::{clamp_page_size, Page};

const SELECT: &str =
    "SELECT name, identifier, description, created_ms, updated_ms FROM issuer_resource_servers";

pub(super) async fn create(
    pool: &SqlitePool,
    record: &ResourceServerRecord,
    max_per_account: u32,
) -> Result<(), StoreError> {
    reject_duplicates(
        &record.permissions,
        EntityKind::ResourceServer,
        "permissions",
    )?;
    let mut tx = begin_write(pool).await?;

    let taken: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, identifier FROM issuer_resource_servers WHERE name = ? OR identifier = ?",
    )
    .bind(&record.name)
    .bind(&record.identifier)
    .fetch_all(&mut *tx)
    .await?;
    if taken.iter().any(|(name, _)| *name == record.name) {
        return Err(StoreError::Conflict {
            kind: EntityKind::ResourceServer,
            name: record.name.clone(),
        });
    }
    if !taken.is_empty() {
        return Err(StoreError::Conflict {
            kind: EntityKind::ResourceServerIdentifier,
            name: record.identifier.clone(),
        });
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM issuer_resource_servers")
        .fetch_one(&mut *tx)
        .await?;
    if count >= i64::from(max_per_account) {
        return Err(StoreError::LimitExceeded {
            kind: EntityKind::ResourceServer,
            limit: max_per_account,
        });
    }

    sqlx::query(
        "INSERT INTO issuer_resource_servers (name, identifier, description, created_ms, updated_ms)
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&record.name)
    .bind(&record.identifier)
    .bind(&record.description)
    .bind(record.created_ms)
    .bind(record.updated_ms)
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict_or_backend(e, EntityKind::ResourceServer, &record.name))?;
    insert_permissions(&mut tx, &record.name, &record.permissions).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn get(
    pool: &SqlitePool,
    name: &str,
) -> Result<Option<ResourceServerRecord>, StoreError> {
    let mut tx = begin_read(pool).await?;
    let record = load(&mut tx, "name", name).await?;
    tx.commit().await?;
    Ok(record)
}

pub(super) async fn get_by_identifier(
    pool: &SqlitePool,
    identifier: &str,
) -> Result<Option<ResourceServerRecord>, StoreError> {
    let mut tx = begin_read(pool).await?;
    let record = load(&mut tx, "identifier", identifier).await?;
    tx.commit().await?;
    Ok(record)
}

pub(super) async fn list(
    pool: &SqlitePool,
    marker: Option<&str>,
    max_items: u32,
) -> Result<Page<ResourceServerRecord>, StoreError> {
    let after = marker
        .map(|m| decode_marker(MarkerList::ResourceServers, m))
        .transpose()?;
    let limit = clamp_page_size(max_items);
    let mut tx = begin_read(pool).await?;
    // One row more than the page size shows whether another page follows.
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE ?1 IS NULL OR name > ?1 ORDER BY name LIMIT ?2"
    ))
    .bind(after.as_deref())
    .bind(i64::from(limit) + 1)
    .fetch_all(&mut *tx)
    .await?;
    let has_more = rows.len() > limit as usize;
    let mut items = Vec::with_capacity(rows.len().min(limit as usize));
    for row in rows.iter().take(limit as usize) {
        let name: String = row.try_get("name")?;
        let permissions = load_permissions(&mut tx, &name).await?;
        items.push(from_row(row, permissions)?);
    }
    tx.commit().await?;
    let next_marker = match items.last() {
        Some(last) if has_more => Some(encode_marker(MarkerList::ResourceServers, &last.name)),
        _ => None,
    };
    Ok(Page { items, next_marker })
}

pub(super) async fn update(
    pool: &SqlitePool,
    record: &ResourceServerRecord,
) -> Result<ResourceServerRecord, StoreError> {
    reject_duplicates(
        &record.permissions,
        EntityKind::ResourceServer,
        "permissions",
    )?;
    let mut tx = begin_write(pool).await?;
    let Some(current) = load(&mut tx, "name", &record.name).await? else {
        return Err(not_found(&record.name));
    };

    for dropped in current
        .permissions
        .iter()
        .filter(|p| !record.permissions.contains(p))
    {
        let users: Vec<String> = sqlx::query_scalar(
            "SELECT client_id FROM issuer_grant_permissions
             WHERE resource_server = ? AND permission = ? ORDER BY client_id",
        )
        .bind(&record.name)
        .bind(dropped)
        .fetch_all(&mut *tx)
        .await?;
        if !users.is_empty() {
            return Err(StoreError::InUse {
                kind: EntityKind::Permission,
                name: dropped.clone(),
                users,
            });
        }
    }

    sqlx::query(
        "UPDATE issuer_resource_servers SET description = ?, updated_ms = ? WHERE name = ?",
    )
    .bind(&record.description)
    .bind(record.updated_ms)
    .bind(&record.name)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM issuer_resource_server_permissions WHERE resource_server = ?")
        .bind(&record.name)
        .execute(&mut *tx)
        .await?;
    insert_permissions(&mut tx, &record.name, &record.permissions).await?;
    let stored = load(&mut tx, "name", &record.name)
        .await?
        .ok_or_else(|| not_found(&record.name))?;
    tx.commit().await?;
    Ok(stored)
}

pub(super) async fn delete(pool: &SqlitePool, name: &str) -> Result<(), StoreError> {
    let mut tx = begin_write(pool).await?;
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM issuer_resource_servers WHERE name = ?")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
    if exists.is_none() {
        return Err(not_found(name));
    }
    let users: Vec<String> = sqlx::query_scalar(
        "SELECT client_id FROM issuer_grants WHERE resource_server = ? ORDER BY client_id",
    )
    .bind(name)
    .fetch_all(&mut *tx)
    .await?;
    if !users.is_empty() {
        return Err(StoreError::InUse {
            kind: EntityKind::ResourceServer,
            name: name.to_owned(),
            users,
        });
    }
    // Permissions go with the resource server through ON DELETE CASCADE.
    sqlx::query("DELETE FROM issuer_resource_servers WHERE name = ?")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Returns the permissions of a resource server in stored order; empty when it does not exist.
pub(super) async fn load_permissions(
    conn: &mut SqliteConnection,
    name: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT permission FROM issuer_resource_server_permissions WHERE resource_server = ? ORDER BY position",
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await?)
}

fn not_found(name: &str) -> StoreError {
    StoreError::NotFound {
        kind: EntityKind::ResourceServer,
        name: name.to_owned(),
    }
}

async fn insert_permissions(
    conn: &mut SqliteConnection,
    name: &str,
    permissions: &[String],
) -> Result<(), StoreError> {
    for (position, permission) in permissions.iter().enumerate() {
        sqlx::query(
            "INSERT INTO issuer_resource_server_permissions (resource_server, position, permission) VALUES (?, ?, ?)",
        )
        .bind(name)
        .bind(position as i64)
        .bind(permission)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Loads one resource server by `column`, which is `name` or `identifier` (constants of this module).
async fn load(
    conn: &mut SqliteConnection,
    column: &str,
    value: &str,
) -> Result<Option<ResourceServerRecord>, StoreError> {
    let row = sqlx::query(&format!("{SELECT} WHERE {column} = ?"))
        .bind(value)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let name: String = row.try_get("name")?;
    let permissions = load_permissions(conn, &name).await?;
    from_row(&row, permissions).map(Some)
}

fn from_row(row: &SqliteRow, permissions: Vec<String>) -> Result<ResourceServerRecord, StoreError> {
    Ok(ResourceServerRecord {
        name: row.try_get("name")?,
        identifier: row.try_get("identifier")?,
        permissions,
        description: row.try_get("description")?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
    })
}
