//! The append-only audit trail.

use sqlx::postgres::{PgPool, PgRow};
use sqlx::{Postgres, QueryBuilder, Row as _};

use crate::error::{EntityKind, StoreError};
use crate::model::{clamp_audit_limit, AuditFilter, AuditRecord, OUTCOME_FAILURE, OUTCOME_SUCCESS};

pub(super) async fn insert(pool: &PgPool, records: &[AuditRecord]) -> Result<(), StoreError> {
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

    let mut columns = Columns::default();
    for record in records {
        columns.push(record);
    }
    // One statement inserts the whole batch, so it is stored entirely or not at all. WITH ORDINALITY keeps
    // the batch order in the assigned IDs, which break ties between records with the same time.
    sqlx::query(
        "INSERT INTO audit_events (time_ms, request_id, source_ip, action, provider_arn, role_arn, subject,
                                   jti, outcome, error_code, failed_check)
         SELECT time_ms, request_id, source_ip, action, provider_arn, role_arn, subject,
                jti, outcome, error_code, failed_check
         FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                     $8::text[], $9::text[], $10::text[], $11::text[])
              WITH ORDINALITY AS batch (time_ms, request_id, source_ip, action, provider_arn, role_arn,
                                        subject, jti, outcome, error_code, failed_check, n)
         ORDER BY n",
    )
    .bind(columns.time_ms)
    .bind(columns.request_id)
    .bind(columns.source_ip)
    .bind(columns.action)
    .bind(columns.provider_arn)
    .bind(columns.role_arn)
    .bind(columns.subject)
    .bind(columns.jti)
    .bind(columns.outcome)
    .bind(columns.error_code)
    .bind(columns.failed_check)
    .execute(pool)
    .await?;
    Ok(())
}

/// Audit records split into one array per column, for `UNNEST`.
#[derive(Default)]
struct Columns {
    time_ms: Vec<i64>,
    request_id: Vec<String>,
    source_ip: Vec<String>,
    action: Vec<String>,
    provider_arn: Vec<Option<String>>,
    role_arn: Vec<Option<String>>,
    subject: Vec<Option<String>>,
    jti: Vec<Option<String>>,
    outcome: Vec<String>,
    error_code: Vec<Option<String>>,
    failed_check: Vec<Option<String>>,
}

impl Columns {
    fn push(&mut self, record: &AuditRecord) {
        let optional = |value: &Option<String>| value.as_deref().map(storable);
        self.time_ms.push(record.time_ms);
        self.request_id.push(storable(&record.request_id));
        self.source_ip.push(storable(&record.source_ip));
        self.action.push(storable(&record.action));
        self.provider_arn.push(optional(&record.provider_arn));
        self.role_arn.push(optional(&record.role_arn));
        self.subject.push(optional(&record.subject));
        self.jti.push(optional(&record.jti));
        self.outcome.push(record.outcome.clone());
        self.error_code.push(optional(&record.error_code));
        self.failed_check.push(optional(&record.failed_check));
    }
}

/// Replaces NUL characters, which PostgreSQL text cannot hold, with U+FFFD. Audit fields such as `sub`
/// and `jti` come from caller-supplied tokens, and one such value must not make a whole batch fail.
fn storable(value: &str) -> String {
    value.replace('\0', "\u{FFFD}")
}

pub(super) async fn list(
    pool: &PgPool,
    filter: &AuditFilter,
) -> Result<Vec<AuditRecord>, StoreError> {
    // Only the conditions that are set go into the WHERE clause, so PostgreSQL can use the matching index.
    let mut query: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT id, time_ms, request_id, source_ip, action, provider_arn, role_arn, subject, jti, outcome,
                error_code, failed_check
         FROM audit_events WHERE TRUE",
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

fn from_row(row: &PgRow) -> Result<AuditRecord, StoreError> {
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
pub(crate) async fn prune(pool: &PgPool, before_ms: i64) -> Result<u64, StoreError> {
    let result = sqlx::query("DELETE FROM audit_events WHERE time_ms < $1").bind(before_ms).execute(pool).await?;
    Ok(result.rows_affected())
}
