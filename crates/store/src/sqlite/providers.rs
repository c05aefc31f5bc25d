//! OIDC providers and their client ID and fingerprint lists.

use std::collections::HashMap;

use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Row as _, SqliteConnection};

use super::{begin_read, begin_write, conflict_or_backend, reject_duplicates, stored_u32};
use crate::error::{EntityKind, StoreError};
use crate::marker::{decode_marker, encode_marker, MarkerList};
use crate::model::{clamp_page_size, OidcProviderRecord, Page};

const SELECT_PROVIDER: &str =
    "SELECT name, arn, issuer_url, issuance_limit_hours, description, created_ms, updated_ms
     FROM oidc_providers";

pub(super) async fn create(
    pool: &SqlitePool,
    record: &OidcProviderRecord,
    max_per_account: u32,
) -> Result<(), StoreError> {
    check_lists(record)?;
    let mut tx = begin_write(pool).await?;

    let conflicting = sqlx::query(
        "SELECT name, arn, issuer_url FROM oidc_providers WHERE name = ? OR arn = ? OR issuer_url = ?",
    )
    .bind(&record.name)
    .bind(&record.arn)
    .bind(&record.issuer_url)
    .fetch_all(&mut *tx)
    .await?;
    for row in &conflicting {
        let name: String = row.try_get("name")?;
        let arn: String = row.try_get("arn")?;
        if name == record.name || arn == record.arn {
            return Err(StoreError::Conflict {
                kind: EntityKind::OidcProvider,
                name: record.name.clone(),
            });
        }
    }
    if !conflicting.is_empty() {
        return Err(StoreError::Conflict {
            kind: EntityKind::IssuerUrl,
            name: record.issuer_url.clone(),
        });
    }

    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM oidc_providers")
        .fetch_one(&mut *tx)
        .await?;
    if count >= i64::from(max_per_account) {
        return Err(StoreError::LimitExceeded {
            kind: EntityKind::OidcProvider,
            limit: max_per_account,
        });
    }

    sqlx::query(
        "INSERT INTO oidc_providers
             (name, arn, issuer_url, issuance_limit_hours, description, created_ms, updated_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&record.name)
    .bind(&record.arn)
    .bind(&record.issuer_url)
    .bind(i64::from(record.issuance_limit_hours))
    .bind(&record.description)
    .bind(record.created_ms)
    .bind(record.updated_ms)
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict_or_backend(e, EntityKind::OidcProvider, &record.name))?;
    insert_lists(&mut tx, record).await?;

    tx.commit().await?;
    Ok(())
}

pub(super) async fn get(
    pool: &SqlitePool,
    name: &str,
) -> Result<Option<OidcProviderRecord>, StoreError> {
    let mut tx = begin_read(pool).await?;
    let record = load(&mut tx, name).await?;
    tx.commit().await?;
    Ok(record)
}

pub(super) async fn list(
    pool: &SqlitePool,
    marker: Option<&str>,
    max_items: u32,
) -> Result<Page<OidcProviderRecord>, StoreError> {
    let after = marker
        .map(|m| decode_marker(MarkerList::OidcProviders, m))
        .transpose()?;
    let limit = clamp_page_size(max_items);
    let mut tx = begin_read(pool).await?;

    // Fetching one row more than the page size shows whether another page follows.
    let rows = sqlx::query(&format!(
        "{SELECT_PROVIDER} WHERE ?1 IS NULL OR name > ?1 ORDER BY name LIMIT ?2"
    ))
    .bind(after.as_deref())
    .bind(i64::from(limit) + 1)
    .fetch_all(&mut *tx)
    .await?;
    let has_more = rows.len() > limit as usize;
    let rows = &rows[..rows.len().min(limit as usize)];

    let mut items = Vec::with_capacity(rows.len());
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        let first: String = first.try_get("name")?;
        let last: String = last.try_get("name")?;
        let mut client_ids = load_list_range(
            &mut tx,
            "client_id",
            "oidc_provider_client_ids",
            &first,
            &last,
        )
        .await?;
        let mut fingerprints = load_list_range(
            &mut tx,
            "fingerprint",
            "oidc_provider_fingerprints",
            &first,
            &last,
        )
        .await?;
        for row in rows {
            let name: String = row.try_get("name")?;
            let ids = client_ids.remove(&name).unwrap_or_default();
            let prints = fingerprints.remove(&name).unwrap_or_default();
            items.push(from_row(row, ids, prints)?);
        }
    }
    tx.commit().await?;

    let next_marker = match items.last() {
        Some(last) if has_more => Some(encode_marker(MarkerList::OidcProviders, &last.name)),
        _ => None,
    };
    Ok(Page { items, next_marker })
}

pub(super) async fn update(
    pool: &SqlitePool,
    record: &OidcProviderRecord,
) -> Result<OidcProviderRecord, StoreError> {
    check_lists(record)?;
    let mut tx = begin_write(pool).await?;

    let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM oidc_providers WHERE name = ?")
        .bind(&record.name)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Err(not_found(&record.name));
    }
    let issuer_owner: Option<String> =
        sqlx::query_scalar("SELECT name FROM oidc_providers WHERE issuer_url = ? AND name <> ?")
            .bind(&record.issuer_url)
            .bind(&record.name)
            .fetch_optional(&mut *tx)
            .await?;
    if issuer_owner.is_some() {
        return Err(StoreError::Conflict {
            kind: EntityKind::IssuerUrl,
            name: record.issuer_url.clone(),
        });
    }

    sqlx::query(
        "UPDATE oidc_providers
         SET issuer_url = ?, issuance_limit_hours = ?, description = ?, updated_ms = ?
         WHERE name = ?",
    )
    .bind(&record.issuer_url)
    .bind(i64::from(record.issuance_limit_hours))
    .bind(&record.description)
    .bind(record.updated_ms)
    .bind(&record.name)
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict_or_backend(e, EntityKind::IssuerUrl, &record.issuer_url))?;
    sqlx::query("DELETE FROM oidc_provider_client_ids WHERE provider_name = ?")
        .bind(&record.name)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM oidc_provider_fingerprints WHERE provider_name = ?")
        .bind(&record.name)
        .execute(&mut *tx)
        .await?;
    insert_lists(&mut tx, record).await?;

    let stored = load(&mut tx, &record.name)
        .await?
        .ok_or_else(|| not_found(&record.name))?;
    tx.commit().await?;
    Ok(stored)
}

pub(super) async fn delete(pool: &SqlitePool, name: &str) -> Result<(), StoreError> {
    let mut tx = begin_write(pool).await?;

    let arn: Option<String> = sqlx::query_scalar("SELECT arn FROM oidc_providers WHERE name = ?")
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(arn) = arn else {
        return Err(not_found(name));
    };

    let users: Vec<String> = sqlx::query_scalar(
        "SELECT r.name FROM role_trusted_providers t
         JOIN roles r ON r.name_key = t.role_key
         WHERE t.provider_arn_key = ?
         ORDER BY r.name_key",
    )
    .bind(crate::model::case_insensitive_key(&arn))
    .fetch_all(&mut *tx)
    .await?;
    if !users.is_empty() {
        return Err(StoreError::InUse {
            kind: EntityKind::OidcProvider,
            name: name.to_owned(),
            users,
        });
    }

    // Client IDs and fingerprints go with the provider through ON DELETE CASCADE.
    sqlx::query("DELETE FROM oidc_providers WHERE name = ?")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

fn not_found(name: &str) -> StoreError {
    StoreError::NotFound {
        kind: EntityKind::OidcProvider,
        name: name.to_owned(),
    }
}

fn check_lists(record: &OidcProviderRecord) -> Result<(), StoreError> {
    reject_duplicates(&record.client_ids, EntityKind::OidcProvider, "client_ids")?;
    reject_duplicates(
        &record.fingerprints,
        EntityKind::OidcProvider,
        "fingerprints",
    )
}

async fn insert_lists(
    conn: &mut SqliteConnection,
    record: &OidcProviderRecord,
) -> Result<(), StoreError> {
    for (position, client_id) in record.client_ids.iter().enumerate() {
        sqlx::query(
            "INSERT INTO oidc_provider_client_ids (provider_name, position, client_id) VALUES (?, ?, ?)",
        )
        .bind(&record.name)
        .bind(position as i64)
        .bind(client_id)
        .execute(&mut *conn)
        .await?;
    }
    for (position, fingerprint) in record.fingerprints.iter().enumerate() {
        sqlx::query(
            "INSERT INTO oidc_provider_fingerprints (provider_name, position, fingerprint) VALUES (?, ?, ?)",
        )
        .bind(&record.name)
        .bind(position as i64)
        .bind(fingerprint)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn load(
    conn: &mut SqliteConnection,
    name: &str,
) -> Result<Option<OidcProviderRecord>, StoreError> {
    let row = sqlx::query(&format!("{SELECT_PROVIDER} WHERE name = ?"))
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let client_ids = sqlx::query_scalar(
        "SELECT client_id FROM oidc_provider_client_ids WHERE provider_name = ? ORDER BY position",
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await?;
    let fingerprints = sqlx::query_scalar(
        "SELECT fingerprint FROM oidc_provider_fingerprints WHERE provider_name = ? ORDER BY position",
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await?;
    from_row(&row, client_ids, fingerprints).map(Some)
}

/// Loads one list column for every provider whose name lies in `first..=last`, grouped by provider name.
/// `column` and `table` are constants of this module, never caller input.
async fn load_list_range(
    conn: &mut SqliteConnection,
    column: &str,
    table: &str,
    first: &str,
    last: &str,
) -> Result<HashMap<String, Vec<String>>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT provider_name, {column} AS value FROM {table}
         WHERE provider_name >= ? AND provider_name <= ?
         ORDER BY provider_name, position"
    ))
    .bind(first)
    .bind(last)
    .fetch_all(&mut *conn)
    .await?;
    let mut grouped: HashMap<String, Vec<String>> = HashMap::new();
    for row in rows {
        let provider: String = row.try_get("provider_name")?;
        grouped
            .entry(provider)
            .or_default()
            .push(row.try_get("value")?);
    }
    Ok(grouped)
}

fn from_row(
    row: &SqliteRow,
    client_ids: Vec<String>,
    fingerprints: Vec<String>,
) -> Result<OidcProviderRecord, StoreError> {
    Ok(OidcProviderRecord {
        name: row.try_get("name")?,
        arn: row.try_get("arn")?,
        issuer_url: row.try_get("issuer_url")?,
        client_ids,
        fingerprints,
        issuance_limit_hours: stored_u32(
            row.try_get("issuance_limit_hours")?,
            "issuance_limit_hours",
        )?,
        description: row.try_get("description")?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
    })
}
