//! Issuer grants: which permissions of which resource server a client may receive.

use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Row as _, SqliteConnection};

use super::issuer_clients::{client_not_found, exists as client_exists};
use super::issuer_resource_servers::load_permissions;
use super::{begin_read, begin_write, conflict_or_backend, reject_duplicates};
use crate::error::{EntityKind, StoreError};
use crate::issuer_model::{GrantFilter, GrantRecord};
use crate::marker::{decode_marker, encode_marker, MarkerList};
use crate::model::{clamp_page_size, Page};

const SELECT: &str = "SELECT client_id, resource_server, created_ms, updated_ms FROM issuer_grants";

pub(super) async fn create(pool: &SqlitePool, grant: &GrantRecord) -> Result<(), StoreError> {
    reject_duplicates(&grant.permissions, EntityKind::Grant, "permissions")?;
    let mut tx = begin_write(pool).await?;
    if !client_exists(&mut tx, &grant.client_id).await? {
        return Err(client_not_found(&grant.client_id));
    }
    check_permissions(&mut tx, grant).await?;
    let taken: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM issuer_grants WHERE client_id = ? AND resource_server = ?",
    )
    .bind(&grant.client_id)
    .bind(&grant.resource_server)
    .fetch_optional(&mut *tx)
    .await?;
    if taken.is_some() {
        return Err(conflict(grant));
    }
    sqlx::query(
        "INSERT INTO issuer_grants (client_id, resource_server, created_ms, updated_ms) VALUES (?, ?, ?, ?)",
    )
    .bind(&grant.client_id)
    .bind(&grant.resource_server)
    .bind(grant.created_ms)
    .bind(grant.updated_ms)
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict_or_backend(e, EntityKind::Grant, &grant_name(&grant.client_id, &grant.resource_server)))?;
    insert_permissions(&mut tx, grant).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn get(
    pool: &SqlitePool,
    client_id: &str,
    resource_server: &str,
) -> Result<Option<GrantRecord>, StoreError> {
    let mut tx = begin_read(pool).await?;
    let grant = load(&mut tx, client_id, resource_server).await?;
    tx.commit().await?;
    Ok(grant)
}

pub(super) async fn list(
    pool: &SqlitePool,
    filter: &GrantFilter,
    marker: Option<&str>,
    max_items: u32,
) -> Result<Page<GrantRecord>, StoreError> {
    // The marker key is "<client ID> NUL <resource server>" of the last grant of the previous page.
    let after = marker
        .map(|m| decode_marker(MarkerList::Grants, m))
        .transpose()?;
    let (after_client, after_server) = match after.as_deref() {
        Some(key) => {
            let (client, server) = key.split_once('\0').ok_or(StoreError::InvalidMarker)?;
            (Some(client.to_owned()), Some(server.to_owned()))
        }
        None => (None, None),
    };
    let limit = clamp_page_size(max_items);
    let mut tx = begin_read(pool).await?;
    // One row more than the page size shows whether another page follows.
    let rows = sqlx::query(&format!(
        "{SELECT}
         WHERE (?1 IS NULL OR client_id = ?1)
           AND (?2 IS NULL OR resource_server = ?2)
           AND (?3 IS NULL OR client_id > ?3 OR (client_id = ?3 AND resource_server > ?4))
         ORDER BY client_id, resource_server
         LIMIT ?5"
    ))
    .bind(filter.client_id.as_deref())
    .bind(filter.resource_server.as_deref())
    .bind(after_client.as_deref())
    .bind(after_server.as_deref())
    .bind(i64::from(limit) + 1)
    .fetch_all(&mut *tx)
    .await?;
    let has_more = rows.len() > limit as usize;
    let mut items = Vec::with_capacity(rows.len().min(limit as usize));
    for row in rows.iter().take(limit as usize) {
        let client_id: String = row.try_get("client_id")?;
        let resource_server: String = row.try_get("resource_server")?;
        let permissions = load_granted(&mut tx, &client_id, &resource_server).await?;
        items.push(from_row(row, permissions)?);
    }
    tx.commit().await?;
    let next_marker = match items.last() {
        Some(last) if has_more => Some(encode_marker(
            MarkerList::Grants,
            &format!("{}\0{}", last.client_id, last.resource_server),
        )),
        _ => None,
    };
    Ok(Page { items, next_marker })
}

pub(super) async fn update(
    pool: &SqlitePool,
    grant: &GrantRecord,
) -> Result<GrantRecord, StoreError> {
    reject_duplicates(&grant.permissions, EntityKind::Grant, "permissions")?;
    let mut tx = begin_write(pool).await?;
    let updated = sqlx::query(
        "UPDATE issuer_grants SET updated_ms = ? WHERE client_id = ? AND resource_server = ?",
    )
    .bind(grant.updated_ms)
    .bind(&grant.client_id)
    .bind(&grant.resource_server)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(not_found(&grant.client_id, &grant.resource_server));
    }
    check_permissions(&mut tx, grant).await?;
    sqlx::query("DELETE FROM issuer_grant_permissions WHERE client_id = ? AND resource_server = ?")
        .bind(&grant.client_id)
        .bind(&grant.resource_server)
        .execute(&mut *tx)
        .await?;
    insert_permissions(&mut tx, grant).await?;
    let stored = load(&mut tx, &grant.client_id, &grant.resource_server)
        .await?
        .ok_or_else(|| not_found(&grant.client_id, &grant.resource_server))?;
    tx.commit().await?;
    Ok(stored)
}

pub(super) async fn delete(
    pool: &SqlitePool,
    client_id: &str,
    resource_server: &str,
) -> Result<(), StoreError> {
    let mut tx = begin_write(pool).await?;
    // Granted permissions go with the grant through ON DELETE CASCADE.
    let deleted =
        sqlx::query("DELETE FROM issuer_grants WHERE client_id = ? AND resource_server = ?")
            .bind(client_id)
            .bind(resource_server)
            .execute(&mut *tx)
            .await?;
    if deleted.rows_affected() == 0 {
        return Err(not_found(client_id, resource_server));
    }
    tx.commit().await?;
    Ok(())
}

/// Fails with `NotFound` when the resource server is missing or lacks one of the granted permissions.
async fn check_permissions(
    conn: &mut SqliteConnection,
    grant: &GrantRecord,
) -> Result<(), StoreError> {
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM issuer_resource_servers WHERE name = ?")
            .bind(&grant.resource_server)
            .fetch_optional(&mut *conn)
            .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound {
            kind: EntityKind::ResourceServer,
            name: grant.resource_server.clone(),
        });
    }
    let available = load_permissions(conn, &grant.resource_server).await?;
    if let Some(missing) = grant.permissions.iter().find(|p| !available.contains(p)) {
        return Err(StoreError::NotFound {
            kind: EntityKind::Permission,
            name: missing.clone(),
        });
    }
    Ok(())
}

async fn insert_permissions(
    conn: &mut SqliteConnection,
    grant: &GrantRecord,
) -> Result<(), StoreError> {
    for (position, permission) in grant.permissions.iter().enumerate() {
        sqlx::query(
            "INSERT INTO issuer_grant_permissions (client_id, resource_server, position, permission)
             VALUES (?, ?, ?, ?)",
        )
        .bind(&grant.client_id)
        .bind(&grant.resource_server)
        .bind(position as i64)
        .bind(permission)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn load_granted(
    conn: &mut SqliteConnection,
    client_id: &str,
    resource_server: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT permission FROM issuer_grant_permissions
         WHERE client_id = ? AND resource_server = ? ORDER BY position",
    )
    .bind(client_id)
    .bind(resource_server)
    .fetch_all(&mut *conn)
    .await?)
}

async fn load(
    conn: &mut SqliteConnection,
    client_id: &str,
    resource_server: &str,
) -> Result<Option<GrantRecord>, StoreError> {
    let row = sqlx::query(&format!(
        "{SELECT} WHERE client_id = ? AND resource_server = ?"
    ))
    .bind(client_id)
    .bind(resource_server)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let permissions = load_granted(conn, client_id, resource_server).await?;
    from_row(&row, permissions).map(Some)
}

/// Names a grant in errors as `<client ID>/<resource server>`.
fn grant_name(client_id: &str, resource_server: &str) -> String {
    format!("{client_id}/{resource_server}")
}

fn not_found(client_id: &str, resource_server: &str) -> StoreError {
    StoreError::NotFound {
        kind: EntityKind::Grant,
        name: grant_name(client_id, resource_server),
    }
}

fn conflict(grant: &GrantRecord) -> StoreError {
    StoreError::Conflict {
        kind: EntityKind::Grant,
        name: grant_name(&grant.client_id, &grant.resource_server),
    }
}

fn from_row(row: &SqliteRow, permissions: Vec<String>) -> Result<GrantRecord, StoreError> {
    Ok(GrantRecord {
        client_id: row.try_get("client_id")?,
        resource_server: row.try_get("resource_server")?,
        permissions,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
    })
}
