//! The single account row.

use sqlx::postgres::PgPool;
use sqlx::Row as _;

use super::begin_write;
use crate::error::{EntityKind, StoreError};
use crate::model::AccountRecord;

pub(super) async fn get(pool: &PgPool) -> Result<Option<AccountRecord>, StoreError> {
    let row = sqlx::query(
        "SELECT account_id, root_access_key_id, root_secret_sealed, master_key_id, created_ms
         FROM account WHERE singleton = 1",
    )
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(AccountRecord {
        account_id: row.try_get("account_id")?,
        root_access_key_id: row.try_get("root_access_key_id")?,
        root_secret_sealed: row.try_get("root_secret_sealed")?,
        master_key_id: row.try_get("master_key_id")?,
        created_ms: row.try_get("created_ms")?,
    }))
}

pub(super) async fn init(pool: &PgPool, record: &AccountRecord) -> Result<(), StoreError> {
    let mut tx = begin_write(pool).await?;

    let existing: Option<String> =
        sqlx::query_scalar("SELECT account_id FROM account WHERE singleton = 1")
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(account_id) = existing {
        return Err(StoreError::Conflict {
            kind: EntityKind::Account,
            name: account_id,
        });
    }

    sqlx::query(
        "INSERT INTO account
             (singleton, account_id, root_access_key_id, root_secret_sealed, master_key_id, created_ms)
         VALUES (1, $1, $2, $3, $4, $5)",
    )
    .bind(&record.account_id)
    .bind(&record.root_access_key_id)
    .bind(&record.root_secret_sealed)
    .bind(&record.master_key_id)
    .bind(record.created_ms)
    .execute(&mut *tx)
    .await?;

    tx.commit().await?;
    Ok(())
}
