//! Issuer grants: which permissions of which resource server a client may receive.

use sqlx::postgres::{PgPool, PgRow};
use sqlx::{PgConnection, Row as _};

use super::issuer_clients::{client_not_found, exists as client_exists};
use super::issuer_resource_servers::load_permissions;
use super::{begin_write, conflict_or_backend, notify, position, reject_duplicates};
use crate::error::{EntityKind, StoreError};
use crate::issuer_model::{GrantFilter, GrantRecord};
use crate::marker::{decode_marker, encode_marker, MarkerList};
use crate::model::{clamp_page_size, Page};

/// Change topic of grant writes.
const TOPIC: &str = "grant";

/// Selects a grant with its permissions in one statement, so both come from one snapshot.
const SELECT: &str = "SELECT g.client_id, g.resource_server, g.created_ms, g.updated_ms,
            ARRAY(SELECT p.permission FROM issuer_grant_permissions p
                  WHERE p.client_id = g.client_id AND p.resource_server = g.resource_server
                  ORDER BY p.position) AS permissions
     FROM issuer_grants g";

pub(super) async fn create(pool: &PgPool, grant: &GrantRecord) -> Result<(), StoreError> {
    reject_duplicates(&grant.permissions, EntityKind::Grant, "permissions")?;
    let mut tx = begin_write(pool).await?;
    if !client_exists(&mut tx, &grant.client_id).await? {
        return Err(client_not_found(&grant.client_id));
    }
    check_permissions(&mut tx, grant).await?;
    let taken: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM issuer_grants WHERE client_id = $1 AND resource_server = $2",
    )
    .bind(&grant.client_id)
    .bind(&grant.resource_server)
    .fetch_optional(&mut *tx)
    .await?;
    if taken.is_some() {
        return Err(conflict(grant));
    }
    sqlx::query(
        "INSERT INTO issuer_grants (client_id, resource_server, created_ms, updated_ms) VALUES ($1, $2, $3, $4)",
    )
    .bind(&grant.client_id)
    .bind(&grant.resource_server)
    .bind(grant.created_ms)
    .bind(grant.updated_ms)
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict_or_backend(e, EntityKind::Grant, &grant_name(&grant.client_id, &grant.resource_server)))?;
    insert_permissions(&mut tx, grant).await?;
    notify(&mut tx, TOPIC).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn get(
    pool: &PgPool,
    client_id: &str,
    resource_server: &str,
) -> Result<Option<GrantRecord>, StoreError> {
    let row = sqlx::query(&format!(
        "{SELECT} WHERE g.client_id = $1 AND g.resource_server = $2"
    ))
    .bind(client_id)
    .bind(resource_server)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub(super) async fn list(
    pool: &PgPool,
    filter: &GrantFilter,
    marker: Option<&str>,
    max_items: u32,
) -> Result<Page<GrantRecord>, StoreError> {
    // The marker holds "<client ID> NUL <resource server>" of the last grant of the previous page.
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
    // One row more than the page size shows whether another page follows.
    let rows = sqlx::query(&format!(
        "{SELECT}
         WHERE ($1::text IS NULL OR g.client_id = $1)
           AND ($2::text IS NULL OR g.resource_server = $2)
           AND ($3::text IS NULL OR g.client_id > $3 OR (g.client_id = $3 AND g.resource_server > $4))
         ORDER BY g.client_id, g.resource_server
         LIMIT $5"
    ))
    .bind(filter.client_id.as_deref())
    .bind(filter.resource_server.as_deref())
    .bind(after_client.as_deref())
    .bind(after_server.as_deref())
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
        Some(last) if has_more => Some(encode_marker(
            MarkerList::Grants,
            &format!("{}\0{}", last.client_id, last.resource_server),
        )),
        _ => None,
    };
    Ok(Page { items, next_marker })
}

pub(super) async fn update(pool: &PgPool, grant: &GrantRecord) -> Result<GrantRecord, StoreError> {
    reject_duplicates(&grant.permissions, EntityKind::Grant, "permissions")?;
    let mut tx = begin_write(pool).await?;
    let updated = sqlx::query(
        "UPDATE issuer_grants SET updated_ms = $1 WHERE client_id = $2 AND resource_server = $3",
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
    sqlx::query(
        "DELETE FROM issuer_grant_permissions WHERE client_id = $1 AND resource_server = $2",
    )
    .bind(&grant.client_id)
    .bind(&grant.resource_server)
    .execute(&mut *tx)
    .await?;
    insert_permissions(&mut tx, grant).await?;
    let stored = sqlx::query(&format!(
        "{SELECT} WHERE g.client_id = $1 AND g.resource_server = $2"
    ))
    .bind(&grant.client_id)
    .bind(&grant.resource_server)
    .fetch_optional(&mut *tx)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()?
    .ok_or_else(|| not_found(&grant.client_id, &grant.resource_server))?;
    notify(&mut tx, TOPIC).await?;
    tx.commit().await?;
    Ok(stored)
}

pub(super) async fn delete(
    pool: &PgPool,
    client_id: &str,
    resource_server: &str,
) -> Result<(), StoreError> {
    let mut tx = begin_write(pool).await?;
    // Granted permissions go with the grant through ON DELETE CASCADE.
    let deleted =
        sqlx::query("DELETE FROM issuer_grants WHERE client_id = $1 AND resource_server = $2")
            .bind(client_id)
            .bind(resource_server)
            .execute(&mut *tx)
            .await?;
    if deleted.rows_affected() == 0 {
        return Err(not_found(client_id, resource_server));
    }
    notify(&mut tx, TOPIC).await?;
    tx.commit().await?;
    Ok(())
}

/// Fails with `NotFound` when the resource server is missing or lacks one of the granted permissions.
async fn check_permissions(conn: &mut PgConnection, grant: &GrantRecord) -> Result<(), StoreError> {
    let exists: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM issuer_resource_servers WHERE name = $1")
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
    conn: &mut PgConnection,
    grant: &GrantRecord,
) -> Result<(), StoreError> {
    for (index, permission) in grant.permissions.iter().enumerate() {
        sqlx::query(
            "INSERT INTO issuer_grant_permissions (client_id, resource_server, position, permission)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(&grant.client_id)
        .bind(&grant.resource_server)
        .bind(position(index)?)
        .bind(permission)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
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

fn from_row(row: &PgRow) -> Result<GrantRecord, StoreError> {
    Ok(GrantRecord {
        client_id: row.try_get("client_id")?,
        resource_server: row.try_get("resource_server")?,
        permissions: row.try_get("permissions")?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
    })
}
