//! OIDC providers and their client ID and fingerprint lists.

use sqlx::postgres::{PgPool, PgRow};
use sqlx::{PgConnection, Row as _};

use super::{begin_write, conflict_or_backend, notify, position, reject_duplicates, stored_u32};
use crate::error::{EntityKind, StoreError};
use crate::marker::{decode_marker, encode_marker, MarkerList};
use crate::model::{case_insensitive_key, clamp_page_size, OidcProviderRecord, Page};

/// Change topic of provider writes.
const TOPIC: &str = "oidc_provider";

/// Selects a provider with its lists in one statement, so a reader never sees a provider row from one
/// commit and its lists from another.
const SELECT_PROVIDER: &str =
    "SELECT p.name, p.arn, p.issuer_url, p.issuance_limit_hours, p.description, p.created_ms, p.updated_ms,
            ARRAY(SELECT c.client_id FROM oidc_provider_client_ids c
                  WHERE c.provider_name = p.name ORDER BY c.position) AS client_ids,
            ARRAY(SELECT f.fingerprint FROM oidc_provider_fingerprints f
                  WHERE f.provider_name = p.name ORDER BY f.position) AS fingerprints
     FROM oidc_providers p";

pub(super) async fn create(
    pool: &PgPool,
    record: &OidcProviderRecord,
    max_per_account: u32,
) -> Result<(), StoreError> {
    check_lists(record)?;
    let mut tx = begin_write(pool).await?;

    let conflicting = sqlx::query(
        "SELECT name, arn FROM oidc_providers WHERE name = $1 OR arn = $2 OR issuer_url = $3",
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
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
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

    notify(&mut tx, TOPIC).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn get(
    pool: &PgPool,
    name: &str,
) -> Result<Option<OidcProviderRecord>, StoreError> {
    let row = sqlx::query(&format!("{SELECT_PROVIDER} WHERE p.name = $1"))
        .bind(name)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub(super) async fn list(
    pool: &PgPool,
    marker: Option<&str>,
    max_items: u32,
) -> Result<Page<OidcProviderRecord>, StoreError> {
    let after = marker
        .map(|m| decode_marker(MarkerList::OidcProviders, m))
        .transpose()?;
    let limit = clamp_page_size(max_items);

    // Fetching one row more than the page size shows whether another page follows.
    let rows = sqlx::query(&format!(
        "{SELECT_PROVIDER} WHERE $1::text IS NULL OR p.name > $1 ORDER BY p.name LIMIT $2"
    ))
    .bind(after.as_deref())
    .bind(i64::from(limit) + 1)
    .fetch_all(pool)
    .await?;
    let has_more = rows.len() > limit as usize;
    let rows = &rows[..rows.len().min(limit as usize)];

    let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
    let next_marker = match items.last() {
        Some(last) if has_more => Some(encode_marker(MarkerList::OidcProviders, &last.name)),
        _ => None,
    };
    Ok(Page { items, next_marker })
}

pub(super) async fn update(
    pool: &PgPool,
    record: &OidcProviderRecord,
) -> Result<OidcProviderRecord, StoreError> {
    check_lists(record)?;
    let mut tx = begin_write(pool).await?;

    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM oidc_providers WHERE name = $1")
        .bind(&record.name)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Err(not_found(&record.name));
    }
    let issuer_owner: Option<String> =
        sqlx::query_scalar("SELECT name FROM oidc_providers WHERE issuer_url = $1 AND name <> $2")
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
         SET issuer_url = $1, issuance_limit_hours = $2, description = $3, updated_ms = $4
         WHERE name = $5",
    )
    .bind(&record.issuer_url)
    .bind(i64::from(record.issuance_limit_hours))
    .bind(&record.description)
    .bind(record.updated_ms)
    .bind(&record.name)
    .execute(&mut *tx)
    .await
    .map_err(|e| conflict_or_backend(e, EntityKind::IssuerUrl, &record.issuer_url))?;
    sqlx::query("DELETE FROM oidc_provider_client_ids WHERE provider_name = $1")
        .bind(&record.name)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM oidc_provider_fingerprints WHERE provider_name = $1")
        .bind(&record.name)
        .execute(&mut *tx)
        .await?;
    insert_lists(&mut tx, record).await?;

    let stored = sqlx::query(&format!("{SELECT_PROVIDER} WHERE p.name = $1"))
        .bind(&record.name)
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
    let mut tx = begin_write(pool).await?;

    let arn: Option<String> = sqlx::query_scalar("SELECT arn FROM oidc_providers WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(arn) = arn else {
        return Err(not_found(name));
    };

    let users: Vec<String> = sqlx::query_scalar(
        "SELECT r.name FROM role_trusted_providers t
         JOIN roles r ON r.name_key = t.role_key
         WHERE t.provider_arn_key = $1
         ORDER BY r.name_key",
    )
    .bind(case_insensitive_key(&arn))
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
    sqlx::query("DELETE FROM oidc_providers WHERE name = $1")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    notify(&mut tx, TOPIC).await?;
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
    conn: &mut PgConnection,
    record: &OidcProviderRecord,
) -> Result<(), StoreError> {
    for (index, client_id) in record.client_ids.iter().enumerate() {
        sqlx::query(
            "INSERT INTO oidc_provider_client_ids (provider_name, position, client_id) VALUES ($1, $2, $3)",
        )
        .bind(&record.name)
        .bind(position(index)?)
        .bind(client_id)
        .execute(&mut *conn)
        .await?;
    }
    for (index, fingerprint) in record.fingerprints.iter().enumerate() {
        sqlx::query(
            "INSERT INTO oidc_provider_fingerprints (provider_name, position, fingerprint) VALUES ($1, $2, $3)",
        )
        .bind(&record.name)
        .bind(position(index)?)
        .bind(fingerprint)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn from_row(row: &PgRow) -> Result<OidcProviderRecord, StoreError> {
    Ok(OidcProviderRecord {
        name: row.try_get("name")?,
        arn: row.try_get("arn")?,
        issuer_url: row.try_get("issuer_url")?,
        client_ids: row.try_get("client_ids")?,
        fingerprints: row.try_get("fingerprints")?,
        issuance_limit_hours: stored_u32(
            row.try_get("issuance_limit_hours")?,
            "issuance_limit_hours",
        )?,
        description: row.try_get("description")?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
    })
}
