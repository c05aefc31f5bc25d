//! Signed OpenAPI client: builds V3 (`ACS3-HMAC-SHA256`) RPC requests and sends them over HTTPS.
//!
//! Every call is `POST /` with the API parameters in the query string and an empty body, and with
//! `Action` and `Version` only in the `x-acs-action` and `x-acs-version` headers, the shape the
//! official SDKs send for IMS and RAM. All headers the client sets are signed.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use akless_core::signature::{percent_encode, v3};
use serde_json::Value;
use url::Url;

use crate::credentials::Credentials;

/// API version of IMS, which serves the OIDC provider actions.
pub const IMS_VERSION: &str = "2019-08-15";
/// API version of RAM, which serves the role and policy actions.
pub const RAM_VERSION: &str = "2015-05-01";
/// API version of STS.
pub const STS_VERSION: &str = "2015-04-01";

/// Signature algorithm named in the `Authorization` header.
const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// Largest response body read, in bytes; larger bodies are rejected instead of filling memory.
const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// Largest CA file read, in bytes.
const MAX_CA_FILE_BYTES: u64 = 1024 * 1024;

/// Errors of a signed call. No variant carries the AccessKey secret or the security token.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint { endpoint: String, reason: &'static str },

    #[error("cannot read the CA file {path}: {reason}; pass a PEM file with --ca-file")]
    CaFile { path: PathBuf, reason: String },

    #[error("cannot set up TLS: {0}")]
    Tls(String),

    #[error("cannot build the request: {0}")]
    Request(String),

    #[error("request to {endpoint} failed: {detail}. Check that the server runs at --endpoint (AKLESS_ENDPOINT), and pass --ca-file (AKLESS_CA_FILE) if its certificate comes from its own CA")]
    Connection { endpoint: String, detail: String },

    #[error("no response from {endpoint} within {secs} s; check --endpoint or raise --timeout")]
    Timeout { endpoint: String, secs: u64 },

    #[error("{code}: {message} (RequestId {request_id})")]
    Api { status: u16, code: String, message: String, request_id: String },

    #[error("unexpected response from {endpoint} (HTTP {status}): {detail}")]
    InvalidResponse { endpoint: String, status: u16, detail: String },
}

/// The server address: an `http` or `https` URL with path `/` and no query, fragment or user info.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: Url,
}

impl Endpoint {
    /// Parses and checks an endpoint URL; the server serves the OpenAPI at `/` only.
    pub fn parse(text: &str) -> Result<Self, ClientError> {
        let invalid = |reason| ClientError::InvalidEndpoint { endpoint: text.to_owned(), reason };
        let url = Url::parse(text).map_err(|_| invalid("not a URL; use e.g. https://127.0.0.1:8443"))?;
        if url.scheme() != "https" && url.scheme() != "http" {
            return Err(invalid("the scheme must be https or http"));
        }
        if url.host_str().is_none() {
            return Err(invalid("the URL has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("user info is not allowed; credentials come from --credentials-file"));
        }
        if url.path() != "/" {
            return Err(invalid("the path must be / because the server serves the OpenAPI at the root"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("a query or fragment is not allowed"));
        }
        Ok(Self { url })
    }

    /// Returns the value of the `Host` header: the host, plus `:port` when the port is not the scheme default.
    pub fn host_header(&self) -> String {
        let host = self.url.host_str().unwrap_or_default();
        match self.url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str())
    }
}

/// One RPC call: the action, its API version and its parameters (unencoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcCall {
    pub action: &'static str,
    pub version: &'static str,
    pub params: Vec<(String, String)>,
}

impl RpcCall {
    pub fn new(action: &'static str, version: &'static str) -> Self {
        Self { action, version, params: Vec::new() }
    }

    /// Adds a parameter.
    pub fn param(mut self, name: &str, value: impl Into<String>) -> Self {
        self.params.push((name.to_owned(), value.into()));
        self
    }

    /// Adds a parameter when `value` is `Some`.
    pub fn optional_param(self, name: &str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(value) => self.param(name, value),
            None => self,
        }
    }
}

/// A signed request ready to send: the full URL with the encoded query, and every header including
/// `authorization`. `Debug` hides the security token.
#[derive(Clone)]
pub struct SignedRequest {
    pub url: String,
    /// Lower-case header names with values, sorted by name.
    pub headers: Vec<(String, String)>,
    /// The canonical request the signature covers, kept for tests and troubleshooting.
    pub canonical_request: String,
}

impl fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let shown = if name == "x-acs-security-token" { "<redacted>" } else { value.as_str() };
                (name.as_str(), shown)
            })
            .collect();
        f.debug_struct("SignedRequest").field("url", &self.url).field("headers", &headers).finish()
    }
}

/// Encodes parameters as the query string: sorted by name, names and values RFC 3986 encoded.
pub fn encode_query(params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    sorted
        .iter()
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Signs `call` for `endpoint` with `credentials` at `date` (`YYYY-MM-DDTHH:MM:SSZ`) with `nonce`.
///
/// Deterministic for fixed inputs, so the signature can be tested; [`Client::call`] passes the current time
/// and a fresh UUID.
pub fn sign_request(
    endpoint: &Endpoint,
    call: &RpcCall,
    credentials: &Credentials,
    date: &str,
    nonce: &str,
) -> Result<SignedRequest, ClientError> {
    let payload_hash = v3::sha256_hex(b"");
    let mut headers: Vec<(String, String)> = vec![
        ("accept".into(), "application/json".into()),
        ("host".into(), endpoint.host_header()),
        ("user-agent".into(), concat!("akless/", env!("CARGO_PKG_VERSION")).into()),
        ("x-acs-action".into(), call.action.into()),
        ("x-acs-content-sha256".into(), payload_hash.clone()),
        ("x-acs-date".into(), date.into()),
        ("x-acs-signature-nonce".into(), nonce.into()),
        ("x-acs-version".into(), call.version.into()),
    ];
    if let Some(token) = credentials.security_token() {
        headers.push(("x-acs-accesskey-id".into(), credentials.access_key_id().into()));
        headers.push(("x-acs-security-token".into(), token.into()));
    }
    headers.sort();
    let signed_headers: Vec<String> = headers.iter().map(|(name, _)| name.clone()).collect();

    let canonical = v3::canonical_request("POST", "/", &call.params, &headers, &signed_headers, &payload_hash)
        .map_err(|e| ClientError::Request(e.to_string()))?;
    let signature = v3::sign(credentials.access_key_secret(), &v3::string_to_sign(&canonical));
    let authorization = format!(
        "{ALGORITHM} Credential={},SignedHeaders={},Signature={signature}",
        credentials.access_key_id(),
        signed_headers.join(";"),
    );
    headers.push(("authorization".into(), authorization));
    headers.sort();

    let query = encode_query(&call.params);
    let url = if query.is_empty() { endpoint.to_string() } else { format!("{endpoint}?{query}") };
    Ok(SignedRequest { url, headers, canonical_request: canonical })
}

/// Connection settings of a [`Client`].
pub struct ClientOptions {
    pub endpoint: Endpoint,
    /// Extra trusted root certificates (PEM); the system roots stay trusted.
    pub ca_file: Option<PathBuf>,
    pub timeout: Duration,
}

/// Sends signed calls to one endpoint with one set of credentials.
pub struct Client {
    http: reqwest::Client,
    endpoint: Endpoint,
    credentials: Credentials,
    timeout: Duration,
}

impl Client {
    /// Builds the HTTPS client: rustls with the aws-lc-rs provider, the system roots (or the Mozilla
    /// roots when the system has none) plus the certificates of `ca_file`, HTTP/1.1, no redirects.
    pub fn new(options: ClientOptions, credentials: Credentials) -> Result<Self, ClientError> {
        let tls = tls_config(options.ca_file.as_deref())?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .http1_only()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.timeout)
            .timeout(options.timeout)
            .build()
            .map_err(|e| ClientError::Tls(error_chain(&e)))?;
        Ok(Self { http, endpoint: options.endpoint, credentials, timeout: options.timeout })
    }

    /// Signs and sends `call`; returns the JSON body of a 2xx response, or the server's error.
    pub async fn call(&self, call: &RpcCall) -> Result<Value, ClientError> {
        let date = akless_core::timefmt::iso8601(time::OffsetDateTime::now_utc());
        let nonce = uuid::Uuid::new_v4().to_string();
        let signed = sign_request(&self.endpoint, call, &self.credentials, &date, &nonce)?;

        let mut request = self.http.post(&signed.url);
        for (name, value) in &signed.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let mut response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status().as_u16();

        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport_error(&e))? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(self.invalid_response(status, format!("the body exceeds {MAX_RESPONSE_BYTES} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        interpret_response(self.endpoint.as_str(), status, &body)
    }

    fn transport_error(&self, error: &reqwest::Error) -> ClientError {
        if error.is_timeout() {
            return ClientError::Timeout { endpoint: self.endpoint.to_string(), secs: self.timeout.as_secs() };
        }
        ClientError::Connection { endpoint: self.endpoint.to_string(), detail: error_chain(error) }
    }

    fn invalid_response(&self, status: u16, detail: String) -> ClientError {
        ClientError::InvalidResponse { endpoint: self.endpoint.to_string(), status, detail }
    }
}

/// Returns the JSON body of a 2xx response, or the API error that a 4xx or 5xx body describes.
pub fn interpret_response(endpoint: &str, status: u16, body: &[u8]) -> Result<Value, ClientError> {
    let invalid = |detail: String| ClientError::InvalidResponse { endpoint: endpoint.to_owned(), status, detail };
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        let preview: String = String::from_utf8_lossy(body).chars().take(200).collect();
        invalid(format!("the body is not JSON: {preview:?}"))
    })?;
    if (200..300).contains(&status) {
        return Ok(value);
    }
    // The tea-openapi clients accept both capitalisations of these keys.
    let field = |upper: &str, lower: &str| {
        value.get(upper).or_else(|| value.get(lower)).and_then(Value::as_str).map(str::to_owned)
    };
    let code = field("Code", "code").ok_or_else(|| invalid("the error body has no Code".to_owned()))?;
    Err(ClientError::Api {
        status,
        code,
        message: field("Message", "message").unwrap_or_default(),
        request_id: field("RequestId", "requestId").unwrap_or_else(|| "unknown".to_owned()),
    })
}

/// Joins an error and its sources with ": ", skipping the outer reqwest text that only repeats the URL.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = error.source();
    while let Some(cause) = current {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = cause.source();
    }
    if parts.is_empty() {
        error.to_string()
    } else {
        parts.join(": ")
    }
}

fn tls_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, ClientError> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let (added, _ignored) = roots.add_parsable_certificates(native.certs);
    if added == 0 {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    if let Some(path) = ca_file {
        for certificate in read_ca_file(path)? {
            roots.add(certificate).map_err(|e| ClientError::CaFile { path: path.to_owned(), reason: e.to_string() })?;
        }
    }

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Reads the PEM certificates of a CA file; a file without any certificate is an error.
fn read_ca_file(path: &Path) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, ClientError> {
    use std::io::Read;
    let fail = |reason: String| ClientError::CaFile { path: path.to_owned(), reason };
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX_CA_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > MAX_CA_FILE_BYTES {
        return Err(fail(format!("the file is larger than {MAX_CA_FILE_BYTES} bytes")));
    }
    let certificates: Vec<_> = rustls_pemfile::certs(&mut bytes.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| fail(format!("invalid PEM: {e}")))?;
    if certificates.is_empty() {
        return Err(fail("the file contains no CERTIFICATE block".to_owned()));
    }
    Ok(certificates)
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
