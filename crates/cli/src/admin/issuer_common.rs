//! Helpers shared by the issuer admin subcommands: client-side rule checks, paging of the flat list
//! responses of Version 2026-12-01, and output of secrets that are shown once.

use std::path::Path;

use akless_core::error::ApiError;
use anyhow::bail;
use clap::Args;
use serde_json::Value;

use super::MAX_PAGES;
use crate::client::{Client, RpcCall};
use crate::output::{emit, render_json, render_object, render_table, Column, OutputFormat};
use crate::secure_file;

/// Runs one of the server's own rule checks on a flag value, so a bad value fails before any request
/// with the message the server would return.
pub fn check<T>(flag: &str, result: Result<T, ApiError>) -> anyhow::Result<T> {
    result.map_err(|error| anyhow::anyhow!("invalid {flag}: {} ({})", error.message, error.code))
}

/// Checks a description with the issuer's rule: at most 256 characters, no control characters except tab and line breaks.
pub fn check_description(flag: &str, field: &str, text: &str) -> anyhow::Result<()> {
    check(
        flag,
        akless_core::validate::description(
            field,
            text,
            akless_core::issuer::rules::MAX_DESCRIPTION_CHARS,
        ),
    )
}

/// Paging options of the issuer list commands.
#[derive(Args, Debug, Clone, Default)]
pub struct IssuerPageArgs {
    /// Marker from the previous page (the Marker field of its response) to continue after.
    #[arg(long, conflicts_with = "all")]
    pub marker: Option<String>,

    /// Items per page, 1 to 100. Default on the server: 100.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_items: Option<u32>,

    /// Follow markers and print every page as one list.
    #[arg(long)]
    pub all: bool,
}

/// Sends a list call whose items are the array `body[key]`. With `--all`, follows `Marker` until
/// `IsTruncated` is false and returns one body with every item.
pub async fn fetch_flat_list(
    client: &Client,
    call: RpcCall,
    page: &IssuerPageArgs,
    key: &str,
) -> anyhow::Result<Value> {
    let base = call.optional_param("MaxItems", page.max_items.map(|n| n.to_string()));
    let mut marker = page.marker.clone();
    let mut items: Vec<Value> = Vec::new();

    for _ in 0..MAX_PAGES {
        let request = base.clone().optional_param("Marker", marker.clone());
        let mut body = client.call(&request).await?;
        if !page.all {
            return Ok(body);
        }
        items.extend(body[key].as_array().cloned().unwrap_or_default());
        match next_marker(&body) {
            Some(next) if marker.as_deref() == Some(next.as_str()) => {
                bail!("the server returned the same Marker twice; stopped paging")
            }
            Some(next) => marker = Some(next),
            None => {
                body[key] = Value::Array(items);
                body["IsTruncated"] = Value::Bool(false);
                body["Marker"] = Value::String(String::new());
                return Ok(body);
            }
        }
    }
    bail!("stopped after {MAX_PAGES} pages; the list did not end")
}

fn next_marker(body: &Value) -> Option<String> {
    if body["IsTruncated"].as_bool() != Some(true) {
        return None;
    }
    body["Marker"]
        .as_str()
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
}

/// Prints a flat list response as JSON or as a table, with a hint on standard error when more pages exist.
pub fn print_flat_list(format: OutputFormat, body: &Value, key: &str, columns: &[Column]) {
    match format {
        OutputFormat::Json => emit(&render_json(body)),
        OutputFormat::Table => {
            let items = body[key].as_array().map(Vec::as_slice).unwrap_or(&[]);
            emit(&render_table(columns, items));
            if let Some(marker) = next_marker(body) {
                eprintln!("More items exist: rerun with --marker {marker} or with --all.");
            }
        }
    }
}

/// Handles a response that contains a new client secret in `body.ClientSecret.Secret`.
///
/// With `secret_out`, writes the secret text to that file (mode 0600) and replaces it in the body with
/// a note, so the secret never reaches the terminal. Without it, leaves the body unchanged and prints
/// a reminder on standard error, because the server shows a secret only once.
pub fn take_secret(body: &mut Value, secret_out: Option<&Path>) -> anyhow::Result<()> {
    let Some(secret) = body["ClientSecret"]["Secret"].as_str().map(str::to_owned) else {
        return Ok(());
    };
    match secret_out {
        Some(path) => {
            secure_file::write_private_atomic(path, secret.as_bytes())?;
            body["ClientSecret"]["Secret"] =
                Value::String(format!("(written to {})", path.display()));
            eprintln!("Wrote the client secret to {} (mode 0600).", path.display());
        }
        None => eprintln!("Store the client secret now: the server does not show it again."),
    }
    Ok(())
}

/// Prints a response with `Client` and an optional `ClientSecret`, or with `ClientSecret` alone.
pub fn print_client_and_secret(format: OutputFormat, body: &Value, client_fields: &[&str]) {
    match format {
        OutputFormat::Json => emit(&render_json(body)),
        OutputFormat::Table => {
            let mut out = String::new();
            if body.get("Client").is_some() {
                out.push_str(&render_object(&body["Client"], client_fields));
            }
            if body.get("ClientSecret").is_some() {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(&render_object(&body["ClientSecret"], SECRET_FIELDS));
            }
            emit(&out);
        }
    }
}

/// Field order of a client secret in `Key: Value` output.
pub const SECRET_FIELDS: &[&str] = &[
    "SecretId",
    "ClientId",
    "Secret",
    "Status",
    "CreateDate",
    "RevokeDate",
];

/// Reads a JWKS document from a file (`-` for standard input) and checks it with the server's rule.
pub fn read_jwks(flag: &str, path: &Path) -> anyhow::Result<String> {
    let text = super::read_document(path)?;
    check(flag, akless_core::issuer::client_jwks(&text))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn check_names_flag_and_code() {
        let result = akless_core::issuer::rules::resource_server_name("a|b");
        let error = check("--name", result).expect_err("invalid");
        let text = error.to_string();
        assert!(text.starts_with("invalid --name: "), "{text}");
        assert!(
            text.contains("InvalidParameter.ResourceServerName"),
            "{text}"
        );
    }

    #[test]
    fn take_secret_writes_file_and_hides_value() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("secret");
        let mut body = json!({"Client": {"ClientId": "akc1"}, "ClientSecret": {"SecretId": "cs-1", "Secret": "akcs_value"}});
        take_secret(&mut body, Some(&path)).expect("writes");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "akcs_value");
        let shown = body["ClientSecret"]["Secret"].as_str().expect("string");
        assert!(!shown.contains("akcs_value"), "{shown}");
        assert!(shown.contains("written to"), "{shown}");
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&path).expect("metadata").permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn take_secret_without_file_keeps_body() {
        let mut body = json!({"ClientSecret": {"Secret": "akcs_value"}});
        take_secret(&mut body, None).expect("no file");
        assert_eq!(body["ClientSecret"]["Secret"], "akcs_value");
    }

    /// The `--help` texts state these limits as numbers; this test fails when the server's rules change.
    #[test]
    fn help_limits_match_server_rules() {
        use akless_core::issuer::{self, rules};
        assert_eq!(rules::MAX_RESOURCE_SERVERS, 100);
        assert_eq!(rules::MAX_PERMISSIONS, 50);
        assert_eq!(rules::MAX_CLIENTS, 1000);
        assert_eq!(rules::MAX_ACTIVE_SECRETS, 5);
        assert_eq!(rules::MAX_DESCRIPTION_CHARS, 256);
        assert_eq!(rules::DEFAULT_ACCESS_TOKEN_LIFETIME_SECS, 3600);
        assert_eq!(rules::MIN_ACCESS_TOKEN_LIFETIME_SECS, 300);
        assert_eq!(rules::MAX_ACCESS_TOKEN_LIFETIME_SECS, 43_200);
        assert_eq!(rules::DEFAULT_ACTIVATION_DELAY_SECS, 60);
        assert_eq!(rules::MAX_ACTIVATION_DELAY_SECS, 86_400);
        assert_eq!(issuer::MAX_CLIENT_JWKS_BYTES, 16 * 1024);
        assert_eq!(issuer::MAX_CLIENT_JWKS_KEYS, 10);
        assert_eq!(issuer::MAX_SCOPE_VALUES, 50);
    }

    #[test]
    fn flat_list_next_marker() {
        assert_eq!(
            next_marker(&json!({"IsTruncated": true, "Marker": "m"})),
            Some("m".into())
        );
        assert_eq!(
            next_marker(&json!({"IsTruncated": false, "Marker": "m"})),
            None
        );
    }
}
