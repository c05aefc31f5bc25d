//! Custom policies and their attachments to roles.

use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::postgres::{PgPool, PgRow};
use sqlx::{PgConnection, Row as _};

use super::{begin_read, begin_write, conflict_or_backend, notify, roles, stored_u32};
use crate::error::{EntityKind, StoreError};
use crate::marker::{decode_marker, encode_marker, MarkerList};
use crate::model::{case_insensitive_key, clamp_page_size, Page, PolicyRecord, RoleWithPolicies};

/// Change topic of policy writes.
const TOPIC: &str = "policy";

/// Change topic of attachment writes, which change what a cached role may do.
const ATTACHMENT_TOPIC: &str = "policy_attachment";

/// Selects policy columns as `p`, with the attachment count computed from the attachment table.
const SELECT_POLICY: &str =
    "SELECT p.name_key, p.name, p.policy_type, p.document, p.description, p.default_version,
            p.created_ms, p.updated_ms,
            (SELECT COUNT(*) FROM role_policy_attachments c WHERE c.policy_key = p.name_key)
                AS attachment_count
     FROM policies p";

pub(super) async fn create(pool: &PgPool, record: &PolicyRecord) -> Result<(), StoreError> {
    let key = case_insensitive_key(&record.name);
    let mut tx = begin_write(pool).await?;

    if exists(&mut tx, &key).await? {
        return Err(StoreError::Conflict {
            kind: EntityKind::Policy,
            name: record.name.clone(),
        });
    }
    sqlx::query(
        "INSERT INTO policies (name_key, name, policy_type, document, description, default_version,
                               created_ms, updated_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&key)
    .bind(&record.name)
    .bind(&record.policy_type)
    .bind(&record.document)
    .bind(&record.description)
    .bind(&record.default_version)
    .bind(record.created_ms)
    .bind(record.updated_ms)
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict_or_backend(e, EntityKind::Policy, &record.name))?;

    notify(&mut tx, TOPIC).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn get(pool: &PgPool, name: &str) -> Result<Option<PolicyRecord>, StoreError> {
    let row = sqlx::query(&format!("{SELECT_POLICY} WHERE p.name_key = $1"))
        .bind(case_insensitive_key(name))
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub(super) async fn list(
    pool: &PgPool,
    marker: Option<&str>,
    max_items: u32,
) -> Result<Page<PolicyRecord>, StoreError> {
    let after = marker
        .map(|m| decode_marker(MarkerList::Policies, m))
        .transpose()?;
    let limit = clamp_page_size(max_items);

    // Fetching one row more than the page size shows whether another page follows.
    let rows = sqlx::query(&format!(
        "{SELECT_POLICY} WHERE $1::text IS NULL OR p.name_key > $1 ORDER BY p.name_key LIMIT $2"
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
            Some(encode_marker(MarkerList::Policies, &key))
        }
        _ => None,
    };
    Ok(Page { items, next_marker })
}

pub(super) async fn delete(pool: &PgPool, name: &str) -> Result<(), StoreError> {
    let key = case_insensitive_key(name);
    let mut tx = begin_write(pool).await?;

    if !exists(&mut tx, &key).await? {
        return Err(not_found(name));
    }
    let users: Vec<String> = sqlx::query_scalar(
        "SELECT r.name FROM role_policy_attachments a
         JOIN roles r ON r.name_key = a.role_key
         WHERE a.policy_key = $1
         ORDER BY r.name_key",
    )
    .bind(&key)
    .fetch_all(&mut *tx)
    .await?;
    if !users.is_empty() {
        return Err(StoreError::InUse {
            kind: EntityKind::Policy,
            name: name.to_owned(),
            users,
        });
    }

    sqlx::query("DELETE FROM policies WHERE name_key = $1")
        .bind(&key)
        .execute(&mut *tx)
        .await?;
    notify(&mut tx, TOPIC).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn attach(
    pool: &PgPool,
    role_name: &str,
    policy_name: &str,
) -> Result<(), StoreError> {
    let role_key = case_insensitive_key(role_name);
    let policy_key = case_insensitive_key(policy_name);
    let mut tx = begin_write(pool).await?;

    check_both_exist(&mut tx, role_name, &role_key, policy_name, &policy_key).await?;
    if attached(&mut tx, &role_key, &policy_key).await? {
        return Err(StoreError::Conflict {
            kind: EntityKind::PolicyAttachment,
            name: policy_name.to_owned(),
        });
    }
    sqlx::query(
        "INSERT INTO role_policy_attachments (role_key, policy_key, attached_ms) VALUES ($1, $2, $3)",
    )
    .bind(&role_key)
    .bind(&policy_key)
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict_or_backend(e, EntityKind::PolicyAttachment, policy_name))?;

    notify(&mut tx, ATTACHMENT_TOPIC).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn detach(
    pool: &PgPool,
    role_name: &str,
    policy_name: &str,
) -> Result<(), StoreError> {
    let role_key = case_insensitive_key(role_name);
    let policy_key = case_insensitive_key(policy_name);
    let mut tx = begin_write(pool).await?;

    check_both_exist(&mut tx, role_name, &role_key, policy_name, &policy_key).await?;
    let removed =
        sqlx::query("DELETE FROM role_policy_attachments WHERE role_key = $1 AND policy_key = $2")
            .bind(&role_key)
            .bind(&policy_key)
            .execute(&mut *tx)
            .await?;
    if removed.rows_affected() == 0 {
        return Err(StoreError::NotFound {
            kind: EntityKind::PolicyAttachment,
            name: policy_name.to_owned(),
        });
    }

    notify(&mut tx, ATTACHMENT_TOPIC).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn list_for_role(
    pool: &PgPool,
    role_name: &str,
) -> Result<Vec<PolicyRecord>, StoreError> {
    let role_key = case_insensitive_key(role_name);
    let mut tx = begin_read(pool).await?;

    if !roles::exists(&mut tx, &role_key).await? {
        return Err(roles::not_found(role_name));
    }
    let policies = attached_to(&mut tx, &role_key).await?;
    tx.commit().await?;
    Ok(policies)
}

pub(super) async fn role_with_policies(
    pool: &PgPool,
    role_name: &str,
) -> Result<Option<RoleWithPolicies>, StoreError> {
    let role_key = case_insensitive_key(role_name);
    let mut tx = begin_read(pool).await?;
    let Some(role) = roles::load_by_key(&mut tx, &role_key).await? else {
        tx.commit().await?;
        return Ok(None);
    };
    let policies = attached_to(&mut tx, &role_key).await?;
    tx.commit().await?;
    Ok(Some(RoleWithPolicies { role, policies }))
}

/// Policies attached to the role with `role_key`, ordered by lower-cased name.
async fn attached_to(conn: &mut PgConnection, role_key: &str) -> Result<Vec<PolicyRecord>, StoreError> {
    let rows = sqlx::query(&format!(
        "{SELECT_POLICY}
         JOIN role_policy_attachments a ON a.policy_key = p.name_key
         WHERE a.role_key = $1
         ORDER BY p.name_key"
    ))
    .bind(role_key)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}

fn not_found(name: &str) -> StoreError {
    StoreError::NotFound {
        kind: EntityKind::Policy,
        name: name.to_owned(),
    }
}

async fn exists(conn: &mut PgConnection, key: &str) -> Result<bool, StoreError> {
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM policies WHERE name_key = $1")
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(found.is_some())
}

async fn attached(
    conn: &mut PgConnection,
    role_key: &str,
    policy_key: &str,
) -> Result<bool, StoreError> {
    let found: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM role_policy_attachments WHERE role_key = $1 AND policy_key = $2",
    )
    .bind(role_key)
    .bind(policy_key)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

/// Fails with `NotFound` for the role first, then for the policy.
async fn check_both_exist(
    conn: &mut PgConnection,
    role_name: &str,
    role_key: &str,
    policy_name: &str,
    policy_key: &str,
) -> Result<(), StoreError> {
    if !roles::exists(conn, role_key).await? {
        return Err(roles::not_found(role_name));
    }
    if !exists(conn, policy_key).await? {
        return Err(not_found(policy_name));
    }
    Ok(())
}

/// Returns the attachment time from the system clock, or 0 if the clock is before 1970.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn from_row(row: &PgRow) -> Result<PolicyRecord, StoreError> {
    Ok(PolicyRecord {
        name: row.try_get("name")?,
        policy_type: row.try_get("policy_type")?,
        document: row.try_get("document")?,
        description: row.try_get("description")?,
        default_version: row.try_get("default_version")?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
        attachment_count: stored_u32(row.try_get("attachment_count")?, "attachment_count")?,
    })
}
