//! Admin subcommands: each one sends V3-signed OpenAPI calls to a running akless server and prints the result.

pub mod caller;
pub mod issuer_client;
mod issuer_common;
pub mod issuer_grant;
pub mod issuer_resource_server;
pub mod issuer_signing_key;
pub mod oidc_provider;
pub mod policy;
pub mod role;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use serde_json::Value;

use crate::client::{Client, ClientOptions, Endpoint, RpcCall};
use crate::credentials;
use crate::output::{emit, render_json, render_object, render_table, Column, OutputFormat};

/// CA certificate that `akless serve` writes when it makes its own local CA, relative to the working directory.
const DEFAULT_CA_FILE: &str = "./akless-data/tls/ca.pem";

/// Largest policy document read from a file or standard input, in bytes. The server's own limits
/// (2,048 characters for trust policies, 6,144 for permission policies) are lower.
const MAX_DOCUMENT_BYTES: u64 = 64 * 1024;

/// Maximum pages that `--all` follows, so a server that keeps returning markers cannot loop it forever.
const MAX_PAGES: usize = 10_000;

/// Help heading of the options that every admin subcommand accepts.
const CONNECTION_HEADING: &str = "Common options";

/// How to reach the server and sign requests; shared by every admin command.
#[derive(Args, Debug, Clone)]
pub struct ConnectionArgs {
    /// Base URL of the akless server: scheme, host and port, path /.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "AKLESS_ENDPOINT",
        default_value = "https://127.0.0.1:8443",
        help_heading = CONNECTION_HEADING
    )]
    pub endpoint: String,

    /// INI credentials file. Its [default] section has type = access_key with access_key_id and
    /// access_key_secret, or type = sts with security_token too. The variables ALIBABA_CLOUD_ACCESS_KEY_ID,
    /// ALIBABA_CLOUD_ACCESS_KEY_SECRET and ALIBABA_CLOUD_SECURITY_TOKEN win over the file when set.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        env = "ALIBABA_CLOUD_CREDENTIALS_FILE",
        default_value = "./akless-data/root-credentials",
        help_heading = CONNECTION_HEADING
    )]
    pub credentials_file: PathBuf,

    /// PEM file of extra CA certificates trusted for the endpoint; the system roots stay trusted.
    /// Default: ./akless-data/tls/ca.pem when that file exists.
    #[arg(long, global = true, value_name = "PEM", env = "AKLESS_CA_FILE", help_heading = CONNECTION_HEADING)]
    pub ca_file: Option<PathBuf>,

    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Table, help_heading = CONNECTION_HEADING)]
    pub output: OutputFormat,

    /// Time limit for connecting and for the whole request, in seconds.
    #[arg(
        long,
        global = true,
        value_name = "SECS",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..=3600),
        help_heading = CONNECTION_HEADING
    )]
    pub timeout: u64,
}

impl ConnectionArgs {
    /// Loads the credentials and builds a client for the endpoint.
    pub fn client(&self) -> anyhow::Result<Client> {
        let endpoint = Endpoint::parse(&self.endpoint)?;
        let credentials =
            credentials::load(&self.credentials_file, |name| std::env::var(name).ok())?;
        let ca_file = ca_file_or_default(self.ca_file.clone());
        let options = ClientOptions {
            endpoint,
            ca_file,
            timeout: Duration::from_secs(self.timeout),
        };
        Ok(Client::new(options, credentials)?)
    }
}

/// Returns `explicit`, or the CA certificate of a local `akless serve` (`./akless-data/tls/ca.pem`) when that file exists.
pub fn ca_file_or_default(explicit: Option<PathBuf>) -> Option<PathBuf> {
    explicit.or_else(|| {
        let default = PathBuf::from(DEFAULT_CA_FILE);
        default.is_file().then_some(default)
    })
}

/// Ends the process for a failed command: prints `error: <message>` to standard error and exits with code 1.
pub fn finish(result: anyhow::Result<()>) -> anyhow::Result<()> {
    if let Err(error) = result {
        let _ = std::io::stdout().flush();
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
    Ok(())
}

/// Reads a policy document from a file, or from standard input when `path` is `-`.
pub fn read_document(path: &Path) -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .take(MAX_DOCUMENT_BYTES + 1)
            .read_to_end(&mut bytes)
            .context("cannot read the document from standard input")?;
    } else {
        std::fs::File::open(path)
            .and_then(|file| file.take(MAX_DOCUMENT_BYTES + 1).read_to_end(&mut bytes))
            .with_context(|| format!("cannot read the document {}", path.display()))?;
    }
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        bail!(
            "the document {} is larger than {MAX_DOCUMENT_BYTES} bytes",
            path.display()
        );
    }
    let text = String::from_utf8(bytes)
        .with_context(|| format!("the document {} is not UTF-8", path.display()))?;
    if text.trim().is_empty() {
        bail!("the document {} is empty", path.display());
    }
    Ok(text)
}

/// Paging options shared by the list commands.
#[derive(Args, Debug, Clone)]
pub struct PageArgs {
    /// Marker from the previous page (the Marker field of its response) to continue after.
    #[arg(long, conflicts_with = "all")]
    pub marker: Option<String>,

    /// Items per page: 1 to 100 for OIDC providers, 1 to 1000 for roles and policies. Default on the server: 100.
    #[arg(long, value_name = "N")]
    pub max_items: Option<u32>,

    /// Follow markers and print every page as one list.
    #[arg(long)]
    pub all: bool,
}

/// Location of the items in a list response: `body[container][item]`, e.g. `Roles.Role`.
#[derive(Debug, Clone, Copy)]
pub struct ListShape {
    pub container: &'static str,
    pub item: &'static str,
}

/// Returns the items array of a list body; a missing array counts as empty.
pub fn list_items(body: &Value, shape: ListShape) -> &[Value] {
    body[shape.container][shape.item]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Sends a list call with the paging options. With `--all`, follows `Marker` until `IsTruncated` is false and
/// returns the last body with the items of every page, `IsTruncated` false and an empty `Marker`.
pub async fn fetch_list(
    client: &Client,
    call: RpcCall,
    page: &PageArgs,
    shape: ListShape,
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
        items.extend_from_slice(list_items(&body, shape));
        let next = next_marker(&body);
        match next {
            Some(next) if marker.as_deref() == Some(next.as_str()) => {
                bail!("the server returned the same Marker twice; stopped paging")
            }
            Some(next) => marker = Some(next),
            None => {
                body[shape.container][shape.item] = Value::Array(items);
                body["IsTruncated"] = Value::Bool(false);
                body["Marker"] = Value::String(String::new());
                return Ok(body);
            }
        }
    }
    bail!("stopped after {MAX_PAGES} pages; the list did not end")
}

/// Returns the marker of the next page when the body has `IsTruncated` true and a non-empty `Marker`.
fn next_marker(body: &Value) -> Option<String> {
    if body["IsTruncated"].as_bool() != Some(true) {
        return None;
    }
    body["Marker"]
        .as_str()
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
}

/// Prints one object of the response: the whole body as JSON, or `body[key]` as `Key: Value` lines.
pub fn print_object(format: OutputFormat, body: &Value, key: &str, order: &[&str]) {
    match format {
        OutputFormat::Json => emit(&render_json(body)),
        OutputFormat::Table => emit(&render_object(&body[key], order)),
    }
}

/// Prints a list response as JSON or as a table, with a hint on standard error when more pages exist.
pub fn print_list(format: OutputFormat, body: &Value, shape: ListShape, columns: &[Column]) {
    match format {
        OutputFormat::Json => emit(&render_json(body)),
        OutputFormat::Table => {
            emit(&render_table(columns, list_items(body, shape)));
            if let Some(marker) = next_marker(body) {
                eprintln!("More items exist: rerun with --marker {marker} or with --all.");
            }
        }
    }
}

/// Prints the result of a call whose response has only a `RequestId`: the body as JSON, or `message`.
pub fn print_done(format: OutputFormat, body: &Value, message: &str) {
    match format {
        OutputFormat::Json => emit(&render_json(body)),
        OutputFormat::Table => {
            let request_id = body["RequestId"].as_str().unwrap_or("unknown");
            emit(&format!("{message} (RequestId {request_id})\n"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ROLES: ListShape = ListShape {
        container: "Roles",
        item: "Role",
    };

    #[test]
    fn list_items_reads_nested_array() {
        let body = json!({"Roles": {"Role": [{"RoleName": "a"}, {"RoleName": "b"}]}});
        assert_eq!(list_items(&body, ROLES).len(), 2);
        assert!(list_items(&json!({"RequestId": "x"}), ROLES).is_empty());
    }

    #[test]
    fn next_marker_only_when_truncated() {
        assert_eq!(
            next_marker(&json!({"IsTruncated": true, "Marker": "m1"})),
            Some("m1".to_owned())
        );
        assert_eq!(
            next_marker(&json!({"IsTruncated": false, "Marker": "m1"})),
            None
        );
        assert_eq!(
            next_marker(&json!({"IsTruncated": true, "Marker": ""})),
            None
        );
    }

    #[test]
    fn read_document_rejects_empty_file() {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        let error = read_document(file.path()).expect_err("must fail");
        assert!(error.to_string().contains("empty"), "{error}");
    }

    #[test]
    fn read_document_returns_text_unchanged() {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        let doc = "{\"Version\":\"1\",\n \"Statement\":[]}\n";
        file.write_all(doc.as_bytes()).expect("write");
        assert_eq!(read_document(file.path()).expect("reads"), doc);
    }

    #[test]
    fn read_document_rejects_oversized_file() {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(&vec![b' '; MAX_DOCUMENT_BYTES as usize + 1])
            .expect("write");
        let error = read_document(file.path()).expect_err("must fail");
        assert!(error.to_string().contains("larger than"), "{error}");
    }
}
