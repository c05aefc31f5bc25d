//! Issuer resource servers and their permission lists.

use sqlx::postgres::{PgPool, PgRow};
use sqlx::{PgConnection, Row as _};

use super::{begin_write, conflict_or_backend, notify, position, reject_duplicates};
use crate::error::{EntityKind, StoreError};
use crate::issuer_model::ResourceServerRecord;
use crate::marker::{decode_marker, encode_marker, MarkerList};
use crate::model::{clamp_page_size, Page};

/// Change topic of resource server writes.
const TOPIC: &str = "resource_server";

/// Selects a resource server with its permissions in one statement, so both come from one snapshot.
const SELECT: &str = "SELECT s.name, s.identifier, s.description, s.created_ms, s.updated_ms,
            ARRAY(SELECT p.permission FROM issuer_resource_server_permissions p
                  WHERE p.resource_server = s.name ORDER BY p.position) AS permissions
     FROM issuer_resource_servers s";

pub(super) async fn create(
    pool: &PgPool,
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
        "SELECT name, identifier FROM issuer_resource_servers WHERE name = $1 OR identifier = $2",
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
         VALUES ($1, $2, $3, $4, $5)",
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
    notify(&mut tx, TOPIC).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn get(
    pool: &PgPool,
    name: &str,
) -> Result<Option<ResourceServerRecord>, StoreError> {
    let row = sqlx::query(&format!("{SELECT} WHERE s.name = $1"))
        .bind(name)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub(super) async fn get_by_identifier(
    pool: &PgPool,
    identifier: &str,
) -> Result<Option<ResourceServerRecord>, StoreError> {
    let row = sqlx::query(&format!("{SELECT} WHERE s.identifier = $1"))
        .bind(identifier)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub(super) async fn list(
    pool: &PgPool,
    marker: Option<&str>,
    max_items: u32,
) -> Result<Page<ResourceServerRecord>, StoreError> {
    let after = marker
        .map(|m| decode_marker(MarkerList::ResourceServers, m))
        .transpose()?;
    let limit = clamp_page_size(max_items);
    // One row more than the page size shows whether another page follows.
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE $1::text IS NULL OR s.name > $1 ORDER BY s.name LIMIT $2"
    ))
    .bind(after.as_deref())
    .bind(i64::from(limit) + 1)
    .fetch_all(pool)
    .await?;
    let has_more = rows.len() > limit as usize;
    let items = rows
        .iter()
        .take(limit as usize)
        .map(from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let next_marker = match items.last() {
        Some(last) if has_more => Some(encode_marker(MarkerList::ResourceServers, &last.name)),
        _ => None,
    };
    Ok(Page { items, next_marker })
}

pub(super) async fn update(
    pool: &PgPool,
    record: &ResourceServerRecord,
) -> Result<ResourceServerRecord, StoreError> {
    reject_duplicates(
        &record.permissions,
        EntityKind::ResourceServer,
        "permissions",
    )?;
    let mut tx = begin_write(pool).await?;
    let Some(current) = load(&mut tx, &record.name).await? else {
        return Err(not_found(&record.name));
    };

    for dropped in current
        .permissions
        .iter()
        .filter(|p| !record.permissions.contains(p))
    {
        let users: Vec<String> = sqlx::query_scalar(
            "SELECT client_id FROM issuer_grant_permissions
             WHERE resource_server = $1 AND permission = $2 ORDER BY client_id",
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
        "UPDATE issuer_resource_servers SET description = $1, updated_ms = $2 WHERE name = $3",
    )
    .bind(&record.description)
    .bind(record.updated_ms)
    .bind(&record.name)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM issuer_resource_server_permissions WHERE resource_server = $1")
        .bind(&record.name)
        .execute(&mut *tx)
        .await?;
    insert_permissions(&mut tx, &record.name, &record.permissions).await?;
    let stored = load(&mut tx, &record.name)
        .await?
        .ok_or_else(|| not_found(&record.name))?;
    notify(&mut tx, TOPIC).await?;
    tx.commit().await?;
    Ok(stored)
}

pub(super) async fn delete(pool: &PgPool, name: &str) -> Result<(), StoreError> {
    let mut tx = begin_write(pool).await?;
    let exists: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM issuer_resource_servers WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
    if exists.is_none() {
        return Err(not_found(name));
    }
    let users: Vec<String> = sqlx::query_scalar(
        "SELECT client_id FROM issuer_grants WHERE resource_server = $1 ORDER BY client_id",
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
    sqlx::query("DELETE FROM issuer_resource_servers WHERE name = $1")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    notify(&mut tx, TOPIC).await?;
    tx.commit().await?;
    Ok(())
}

/// Returns the permissions of a resource server in stored order; empty when it does not exist.
pub(super) async fn load_permissions(
    conn: &mut PgConnection,
    name: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT permission FROM issuer_resource_server_permissions WHERE resource_server = $1 ORDER BY position",
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
    conn: &mut PgConnection,
    name: &str,
    permissions: &[String],
) -> Result<(), StoreError> {
    for (index, permission) in permissions.iter().enumerate() {
        sqlx::query(
            "INSERT INTO issuer_resource_server_permissions (resource_server, position, permission)
             VALUES ($1, $2, $3)",
        )
        .bind(name)
        .bind(position(index)?)
        .bind(permission)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn load(
    conn: &mut PgConnection,
    name: &str,
) -> Result<Option<ResourceServerRecord>, StoreError> {
    let row = sqlx::query(&format!("{SELECT} WHERE s.name = $1"))
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

fn from_row(row: &PgRow) -> Result<ResourceServerRecord, StoreError> {
    Ok(ResourceServerRecord {
        name: row.try_get("name")?,
        identifier: row.try_get("identifier")?,
        permissions: row.try_get("permissions")?,
        description: row.try_get("description")?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
    })
}
