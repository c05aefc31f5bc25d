//! The append-only audit trail.

use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{QueryBuilder, Row as _, Sqlite};

use super::begin_write;
use crate::error::{EntityKind, StoreError};
use crate::model::{clamp_audit_limit, AuditFilter, AuditRecord, OUTCOME_FAILURE, OUTCOME_SUCCESS};

/// Rows per INSERT statement, at most: 11 parameters each stay below SQLite's historic limit of 999.
const ROWS_PER_STATEMENT: usize = 64;

pub(super) async fn insert(pool: &SqlitePool, records: &[AuditRecord]) -> Result<(), StoreError> {
    if records.is_empty() {
        return Ok(());
    }
    for record in records {
        if record.outcome != OUTCOME_SUCCESS && record.outcome != OUTCOME_FAILURE {
            return Err(StoreError::InvalidRecord {
                kind: EntityKind::AuditRecord,
                reason: format!(
                    "outcome {:?} is neither {OUTCOME_SUCCESS:?} nor {OUTCOME_FAILURE:?}",
                    record.outcome
                ),
            });
        }
    }

    // A few multi-row statements instead of one per record: each statement is a round trip to the
    // SQLite worker thread, which at thousands of exchanges per second cost more than the inserts.
    let mut tx = begin_write(pool).await?;
    let mut rest = records;
    while !rest.is_empty() {
        // Power-of-two chunk sizes keep the distinct statements, each cached once per connection, at seven.
        let size = if rest.len() >= ROWS_PER_STATEMENT {
            ROWS_PER_STATEMENT
        } else {
            1 << rest.len().ilog2()
        };
        let (chunk, tail) = rest.split_at(size);
        let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO audit_events (time_ms, request_id, source_ip, action, provider_arn, role_arn, subject,
                                       jti, outcome, error_code, failed_check) ",
        );
        query.push_values(chunk, |mut row, record| {
            row.push_bind(record.time_ms)
                .push_bind(&record.request_id)
                .push_bind(&record.source_ip)
                .push_bind(&record.action)
                .push_bind(&record.provider_arn)
                .push_bind(&record.role_arn)
                .push_bind(&record.subject)
                .push_bind(&record.jti)
                .push_bind(&record.outcome)
                .push_bind(&record.error_code)
                .push_bind(&record.failed_check);
        });
        query.build().execute(&mut *tx).await?;
        rest = tail;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn list(
    pool: &SqlitePool,
    filter: &AuditFilter,
) -> Result<Vec<AuditRecord>, StoreError> {
    // Only the conditions that are set go into the WHERE clause, so SQLite can use the matching index.
    let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(
        "SELECT id, time_ms, request_id, source_ip, action, provider_arn, role_arn, subject, jti, outcome,
                error_code, failed_check
         FROM audit_events WHERE 1 = 1",
    );
    if let Some(role_arn) = &filter.role_arn {
        query.push(" AND role_arn = ").push_bind(role_arn);
    }
    if let Some(provider_arn) = &filter.provider_arn {
        query.push(" AND provider_arn = ").push_bind(provider_arn);
    }
    if let Some(outcome) = &filter.outcome {
        query.push(" AND outcome = ").push_bind(outcome);
    }
    if let Some(since_ms) = filter.since_ms {
        query.push(" AND time_ms >= ").push_bind(since_ms);
    }
    if let Some(until_ms) = filter.until_ms {
        query.push(" AND time_ms < ").push_bind(until_ms);
    }
    query
        .push(" ORDER BY time_ms DESC, id DESC LIMIT ")
        .push_bind(i64::from(clamp_audit_limit(filter.limit)));

    let rows = query.build().fetch_all(pool).await?;
    rows.iter().map(from_row).collect()
}

fn from_row(row: &SqliteRow) -> Result<AuditRecord, StoreError> {
    Ok(AuditRecord {
        id: row.try_get("id")?,
        time_ms: row.try_get("time_ms")?,
        request_id: row.try_get("request_id")?,
        source_ip: row.try_get("source_ip")?,
        action: row.try_get("action")?,
        provider_arn: row.try_get("provider_arn")?,
        role_arn: row.try_get("role_arn")?,
        subject: row.try_get("subject")?,
        jti: row.try_get("jti")?,
        outcome: row.try_get("outcome")?,
        error_code: row.try_get("error_code")?,
        failed_check: row.try_get("failed_check")?,
    })
}

/// Deletes records with `time_ms` before `before_ms`.
pub(crate) async fn prune(pool: &SqlitePool, before_ms: i64) -> Result<u64, StoreError> {
    let result = sqlx::query("DELETE FROM audit_events WHERE time_ms < ?").bind(before_ms).execute(pool).await?;
    Ok(result.rows_affected())
}
