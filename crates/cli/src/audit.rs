//! `akless audit`: prints the audit trail of AssumeRoleWithOIDC attempts straight from the data
//! directory's SQLite database, so it works while the server is stopped and needs no credentials.

use std::path::PathBuf;
use std::time::Duration;

use akless_core::timefmt::{from_unix_millis, iso8601, unix_millis};
use akless_server::bootstrap::DATABASE_FILE;
use akless_store::{AuditFilter, AuditRecord, PostgresStore, SqliteStore, Store, MAX_AUDIT_LIMIT};
use anyhow::{bail, Context};
use clap::Args;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::output::{column, emit, render_table, Column, OutputFormat};

const COLUMNS: &[Column] = &[
    column("TIME", "Time"),
    column("OUTCOME", "Outcome"),
    column("ACTION", "Action"),
    column("ROLE", "RoleArn"),
    column("PROVIDER", "ProviderArn"),
    column("SUBJECT", "Subject"),
    column("ERROR", "ErrorCode"),
    column("FAILED CHECK", "FailedCheck"),
    column("SOURCE IP", "SourceIp"),
    column("REQUEST ID", "RequestId"),
];

/// Maximum age accepted by `--since`: about 100 years, in seconds.
const MAX_SINCE_SECS: u64 = 100 * 366 * 24 * 3600;

/// Print audit records, newest first, from the server's database.
#[derive(Args, Debug)]
pub struct AuditArgs {
    /// Data directory of the server; the records are read from its akless.db.
    #[arg(
        long,
        value_name = "DIR",
        env = "AKLESS_DATA_DIR",
        default_value = "./akless-data"
    )]
    pub data_dir: PathBuf,

    /// PostgreSQL URL of a multi-node deployment (postgres://user@host/db); read from there instead of the data directory.
    #[arg(long, value_name = "URL", env = "AKLESS_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Only records for this role ARN (exact match, e.g. acs:ram::<account>:role/ci).
    #[arg(long, value_name = "ARN")]
    pub role: Option<String>,

    /// Only records for this OIDC provider ARN (exact match).
    #[arg(long, value_name = "ARN")]
    pub provider: Option<String>,

    /// Only records with this outcome.
    #[arg(long, value_enum, ignore_case = true)]
    pub outcome: Option<Outcome>,

    /// Only records at or after this time: an RFC 3339 time (2024-05-01T12:00:00Z) or an age such as
    /// 30s, 15m, 1h, 7d or 2w.
    #[arg(long, value_name = "TIME|AGE", value_parser = parse_since)]
    pub since: Option<Since>,

    /// Maximum records printed (1 to 10000).
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_AUDIT_LIMIT)))]
    pub limit: u32,

    /// Output format; json prints one JSON object per line.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

/// Outcome of an audited request, spelled as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Outcome {
    #[value(name = "Success")]
    Success,
    #[value(name = "Failure")]
    Failure,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => akless_store::OUTCOME_SUCCESS,
            Outcome::Failure => akless_store::OUTCOME_FAILURE,
        }
    }
}

/// Lower bound of `--since`: a fixed time, or an age relative to when the command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    At(OffsetDateTime),
    Ago(Duration),
}

impl Since {
    /// Returns the bound as Unix milliseconds, taking ages back from `now`.
    fn to_unix_millis(self, now: OffsetDateTime) -> i64 {
        match self {
            Since::At(at) => unix_millis(at),
            Since::Ago(age) => unix_millis(now) - age.as_millis() as i64,
        }
    }
}

/// Parses an RFC 3339 time, or a whole number followed by s, m, h, d or w.
pub fn parse_since(text: &str) -> Result<Since, String> {
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(Since::At(at));
    }
    let Some(unit) = text.chars().last() else {
        return Err(since_error(text));
    };
    let number = &text[..text.len() - unit.len_utf8()];
    let multiplier: u64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return Err(since_error(text)),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(since_error(text));
    }
    let secs = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .filter(|secs| *secs <= MAX_SINCE_SECS)
        .ok_or_else(|| format!("{text:?} is too far back; use at most 100 years"))?;
    Ok(Since::Ago(Duration::from_secs(secs)))
}

fn since_error(text: &str) -> String {
    format!("{text:?} is neither an RFC 3339 time (2024-05-01T12:00:00Z) nor an age such as 15m, 1h or 7d")
}

/// Renders one record as a JSON object with the field names of the OpenAPI responses.
pub fn record_json(record: &AuditRecord) -> Value {
    json!({
        "Id": record.id,
        "Time": iso8601(from_unix_millis(record.time_ms)),
        "TimeMs": record.time_ms,
        "RequestId": record.request_id,
        "SourceIp": record.source_ip,
        "Action": record.action,
        "ProviderArn": record.provider_arn,
        "RoleArn": record.role_arn,
        "Subject": record.subject,
        "Jti": record.jti,
        "Outcome": record.outcome,
        "ErrorCode": record.error_code,
        "FailedCheck": record.failed_check,
    })
}

/// Renders records as aligned columns, or as one compact JSON object per line.
pub fn render_records(format: OutputFormat, records: &[AuditRecord]) -> String {
    let rows: Vec<Value> = records.iter().map(record_json).collect();
    match format {
        OutputFormat::Table => render_table(COLUMNS, &rows),
        OutputFormat::Json => rows.iter().map(|row| format!("{row}\n")).collect(),
    }
}

/// Opens the database of `args.data_dir` and returns the records that match the filters, newest first.
pub async fn query(args: &AuditArgs, now: OffsetDateTime) -> anyhow::Result<Vec<AuditRecord>> {
    let store: Box<dyn Store> = match &args.database_url {
        Some(url) => Box::new(
            PostgresStore::connect(url)
                .await
                .context("cannot connect to the PostgreSQL database of --database-url")?,
        ),
        None => {
            let path = args.data_dir.join(DATABASE_FILE);
            // Opening a missing file would create an empty database, so check first.
            if !path.is_file() {
                bail!(
                    "no akless database at {}; pass the server's --data-dir (or set AKLESS_DATA_DIR), or --database-url",
                    path.display()
                );
            }
            Box::new(
                SqliteStore::open(&path)
                    .await
                    .with_context(|| format!("cannot open {}", path.display()))?,
            )
        }
    };

    let filter = AuditFilter {
        role_arn: args.role.clone(),
        provider_arn: args.provider.clone(),
        outcome: args.outcome.map(|o| o.as_str().to_owned()),
        since_ms: args.since.map(|s| s.to_unix_millis(now)),
        until_ms: None,
        limit: args.limit,
    };
    let records = store
        .list_audit(&filter)
        .await
        .context("cannot read the audit records");
    drop(store);
    records
}

/// Runs `akless audit`.
pub async fn run(args: AuditArgs) -> anyhow::Result<()> {
    let records = query(&args, OffsetDateTime::now_utc()).await?;
    emit(&render_records(args.output, &records));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn record(id: i64, outcome: &str) -> AuditRecord {
        AuditRecord {
            id,
            time_ms: 1_636_613_763_000,
            request_id: format!("REQ-{id}"),
            source_ip: "127.0.0.1".into(),
            action: "AssumeRoleWithOIDC".into(),
            provider_arn: Some("acs:ram::1:oidc-provider/gh".into()),
            role_arn: Some("acs:ram::1:role/ci".into()),
            subject: Some("repo:org/app:ref:refs/heads/main".into()),
            jti: None,
            outcome: outcome.into(),
            error_code: (outcome == "Failure")
                .then(|| "AuthenticationFail.OIDCToken.Expired".into()),
            failed_check: None,
        }
    }

    #[test]
    fn since_accepts_rfc3339() {
        assert_eq!(
            parse_since("2024-05-01T12:00:00Z"),
            Ok(Since::At(datetime!(2024-05-01 12:00:00 UTC)))
        );
    }

    #[test]
    fn since_accepts_ages() {
        assert_eq!(parse_since("90s"), Ok(Since::Ago(Duration::from_secs(90))));
        assert_eq!(parse_since("15m"), Ok(Since::Ago(Duration::from_secs(900))));
        assert_eq!(parse_since("1h"), Ok(Since::Ago(Duration::from_secs(3600))));
        assert_eq!(
            parse_since("2d"),
            Ok(Since::Ago(Duration::from_secs(172_800)))
        );
        assert_eq!(
            parse_since("1w"),
            Ok(Since::Ago(Duration::from_secs(604_800)))
        );
    }

    #[test]
    fn since_rejects_malformed() {
        for bad in [
            "",
            "h",
            "1x",
            "-1h",
            "1.5h",
            "yesterday",
            "2024-05-01",
            "1\u{e9}",
            "\u{e9}",
        ] {
            assert!(parse_since(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn since_rejects_overflow() {
        assert!(parse_since("99999999999999999999w").is_err());
        assert!(parse_since("40000d").is_err());
    }

    #[test]
    fn since_age_counts_back_from_now() {
        let now = datetime!(2024-05-01 12:00:00 UTC);
        let since = Since::Ago(Duration::from_secs(3600));
        assert_eq!(
            since.to_unix_millis(now),
            unix_millis(datetime!(2024-05-01 11:00:00 UTC))
        );
    }

    #[test]
    fn json_output_one_object_per_line() {
        let text = render_records(
            OutputFormat::Json,
            &[record(2, "Failure"), record(1, "Success")],
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let first: Value = serde_json::from_str(lines[0]).expect("valid JSON");
        assert_eq!(first["Id"], 2);
        assert_eq!(first["Time"], "2021-11-11T06:56:03Z");
        assert_eq!(first["ErrorCode"], "AuthenticationFail.OIDCToken.Expired");
        assert_eq!(first["Jti"], Value::Null);
    }

    #[test]
    fn table_output_has_header_and_rows() {
        let text = render_records(OutputFormat::Table, &[record(1, "Success")]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("TIME"), "{text}");
        assert!(
            lines[1].starts_with("2021-11-11T06:56:03Z  Success"),
            "{text}"
        );
    }

    fn args(data_dir: PathBuf) -> AuditArgs {
        AuditArgs {
            data_dir,
            database_url: None,
            role: None,
            provider: None,
            outcome: None,
            since: None,
            limit: 10,
            output: OutputFormat::Table,
        }
    }

    #[tokio::test]
    async fn query_applies_filters() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join(DATABASE_FILE))
            .await
            .expect("open");
        let mut old = record(0, "Failure");
        old.time_ms -= 7_200_000;
        let mut other_role = record(0, "Success");
        other_role.role_arn = Some("acs:ram::1:role/other".into());
        store
            .insert_audit(&[old, record(0, "Success"), record(0, "Failure"), other_role])
            .await
            .expect("insert");
        store.close().await;
        let now = from_unix_millis(1_636_613_763_000);

        let all = query(&args(dir.path().to_owned()), now)
            .await
            .expect("query");
        assert_eq!(all.len(), 4);

        let mut failures = args(dir.path().to_owned());
        failures.outcome = Some(Outcome::Failure);
        assert_eq!(query(&failures, now).await.expect("query").len(), 2);

        let mut recent_failures = args(dir.path().to_owned());
        recent_failures.outcome = Some(Outcome::Failure);
        recent_failures.since = Some(Since::Ago(Duration::from_secs(3600)));
        let recent = query(&recent_failures, now).await.expect("query");
        assert_eq!(recent.len(), 1);
        assert_eq!(recent[0].time_ms, 1_636_613_763_000);

        let mut by_role = args(dir.path().to_owned());
        by_role.role = Some("acs:ram::1:role/other".into());
        assert_eq!(query(&by_role, now).await.expect("query").len(), 1);

        let mut limited = args(dir.path().to_owned());
        limited.limit = 3;
        assert_eq!(query(&limited, now).await.expect("query").len(), 3);
    }

    #[tokio::test]
    async fn query_missing_database_names_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let error = query(&args(dir.path().join("absent")), OffsetDateTime::now_utc())
            .await
            .expect_err("must fail");
        assert!(error.to_string().contains("absent"), "{error}");
        assert!(!dir.path().join("absent").join(DATABASE_FILE).exists());
    }
}
