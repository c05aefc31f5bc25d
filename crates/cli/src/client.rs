//! Signed OpenAPI client: builds V3 (`ACS3-HMAC-SHA256`) RPC requests and sends them over HTTPS.
//!
//! Every call is `POST /` with the API parameters in the query string and an empty body, and with
//! `Action` and `Version` only in the `x-acs-action` and `x-acs-version` headers, the shape the
//! official SDKs send for IMS and RAM. All headers the client sets are signed.

mod request;
mod tls;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

pub use request::{sign_request, Endpoint, RpcCall};

use crate::credentials::Credentials;

/// API version of IMS, which serves the OIDC provider actions.
pub const IMS_VERSION: &str = "2019-08-15";
/// API version of RAM, which serves the role and policy actions.
pub const RAM_VERSION: &str = "2015-05-01";
/// API version of STS.
pub const STS_VERSION: &str = "2015-04-01";
/// API version of the akless token issuer's admin actions (resource servers, clients, grants, signing keys).
pub const ISSUER_VERSION: &str = "2026-12-01";

/// Maximum size of a response body, in bytes; larger bodies are rejected instead of filling memory.
const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// Errors of a signed call. No variant carries the AccessKey secret or the security token.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        endpoint: String,
        reason: &'static str,
    },

    #[error("cannot read the CA file {path}: {reason}; pass a PEM file with --ca-file")]
    CaFile { path: PathBuf, reason: String },

    #[error("cannot set up TLS: {0}")]
    Tls(String),

    #[error("cannot build the request: {0}")]
    Request(String),

    #[error("request to {endpoint} failed: {detail}. Check that the server runs at --endpoint (AKLESS_ENDPOINT), and pass --ca-file (AKLESS_CA_FILE) if its certificate comes from its own CA")]
    Connection { endpoint: String, detail: String },

    #[error("request to {endpoint} timed out after {secs} s; check --endpoint or raise --timeout")]
    Timeout { endpoint: String, secs: u64 },

    #[error("{code}: {message} (RequestId {request_id})")]
    Api {
        status: u16,
        code: String,
        message: String,
        request_id: String,
    },

    #[error("unexpected response from {endpoint} (HTTP {status}): {detail}")]
    InvalidResponse {
        endpoint: String,
        status: u16,
        detail: String,
    },
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
        let http = http_client(options.ca_file.as_deref(), options.timeout)?;
        Ok(Self {
            http,
            endpoint: options.endpoint,
            credentials,
            timeout: options.timeout,
        })
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
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(&e))?
        {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(self.invalid_response(
                    status,
                    format!("the body exceeds {MAX_RESPONSE_BYTES} bytes"),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        interpret_response(self.endpoint.as_str(), status, &body)
    }

    fn transport_error(&self, error: &reqwest::Error) -> ClientError {
        if error.is_timeout() {
            return ClientError::Timeout {
                endpoint: self.endpoint.to_string(),
                secs: self.timeout.as_secs(),
            };
        }
        ClientError::Connection {
            endpoint: self.endpoint.to_string(),
            detail: error_chain(error),
        }
    }

    fn invalid_response(&self, status: u16, detail: String) -> ClientError {
        ClientError::InvalidResponse {
            endpoint: self.endpoint.to_string(),
            status,
            detail,
        }
    }
}

/// Builds the HTTP client that every outbound call of the CLI uses: rustls with the aws-lc-rs provider,
/// the system roots (or the Mozilla roots when the system has none) plus the certificates of `ca_file`,
/// HTTP/1.1, no redirects, and `timeout` for connecting and for the whole request.
pub fn http_client(
    ca_file: Option<&std::path::Path>,
    timeout: Duration,
) -> Result<reqwest::Client, ClientError> {
    let tls = tls::tls_config(ca_file)?;
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .http1_only()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout)
        .timeout(timeout)
        .user_agent(concat!("akless/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ClientError::Tls(error_chain(&e)))
}

/// Returns the JSON body of a 2xx response, or the API error that a 4xx or 5xx body describes.
pub fn interpret_response(endpoint: &str, status: u16, body: &[u8]) -> Result<Value, ClientError> {
    let invalid = |detail: String| ClientError::InvalidResponse {
        endpoint: endpoint.to_owned(),
        status,
        detail,
    };
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        let preview: String = String::from_utf8_lossy(body).chars().take(200).collect();
        invalid(format!("the body is not JSON: {preview:?}"))
    })?;
    if (200..300).contains(&status) {
        return Ok(value);
    }
    // The tea-openapi clients accept both capitalisations of these keys.
    let field = |upper: &str, lower: &str| {
        value
            .get(upper)
            .or_else(|| value.get(lower))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let code =
        field("Code", "code").ok_or_else(|| invalid("the error body has no Code".to_owned()))?;
    Err(ClientError::Api {
        status,
        code,
        message: field("Message", "message").unwrap_or_default(),
        request_id: field("RequestId", "requestId").unwrap_or_else(|| "unknown".to_owned()),
    })
}

/// Joins an error and its sources with ": ", skipping the outer reqwest text that only repeats the URL.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Starts a real akless server on a free loopback port with its own local CA.
    async fn start_server(dir: &std::path::Path) -> akless_server::Server {
        let mut config = akless_server::ServerConfig::new(dir.to_owned());
        config.listen = "127.0.0.1:0".parse().expect("socket address");
        akless_server::Server::start(config)
            .await
            .expect("server starts")
    }

    fn client_for(server: &akless_server::Server, dir: &std::path::Path, ca: bool) -> Client {
        let credentials = crate::credentials::load(&dir.join("root-credentials"), |_| None)
            .expect("root credentials written by the server");
        let options = ClientOptions {
            endpoint: Endpoint::parse(&server.url()).expect("server URL"),
            ca_file: ca.then(|| server.ca_file().expect("local CA").clone()),
            timeout: Duration::from_secs(10),
        };
        Client::new(options, credentials).expect("client")
    }

    #[tokio::test]
    async fn call_against_real_server() {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = start_server(dir.path()).await;
        let client = client_for(&server, dir.path(), true);

        let identity = client
            .call(&RpcCall::new("GetCallerIdentity", STS_VERSION))
            .await
            .expect("signed call accepted");
        assert_eq!(identity["IdentityType"], "Account");
        assert_eq!(identity["AccountId"], server.account_id());

        let missing = RpcCall::new("GetRole", RAM_VERSION).param("RoleName", "absent-role");
        let error = client
            .call(&missing)
            .await
            .expect_err("role does not exist");
        assert!(
            matches!(&error, ClientError::Api { code, .. } if code == "EntityNotExist.Role"),
            "{error:?}"
        );
        server.shutdown().await;
    }

    #[tokio::test]
    async fn call_without_ca_suggests_flag() {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = start_server(dir.path()).await;
        let client = client_for(&server, dir.path(), false);

        let error = client
            .call(&RpcCall::new("GetCallerIdentity", STS_VERSION))
            .await
            .expect_err("local CA not trusted");
        assert!(matches!(error, ClientError::Connection { .. }), "{error:?}");
        assert!(error.to_string().contains("--ca-file"), "{error}");
        server.shutdown().await;
    }

    #[test]
    fn response_success_returns_body() {
        let body = interpret_response(
            "https://h/",
            200,
            br#"{"RequestId":"R1","Role":{"RoleName":"ci"}}"#,
        )
        .expect("success");
        assert_eq!(body["Role"]["RoleName"], "ci");
    }

    #[test]
    fn response_error_formats_code_message_request_id() {
        let body = br#"{"RequestId":"R2","HostId":"akless","Code":"EntityNotExist.Role","Message":"The role ci does not exist."}"#;
        let error = interpret_response("https://h/", 404, body).expect_err("error status");
        assert!(
            matches!(&error, ClientError::Api { status: 404, code, .. } if code == "EntityNotExist.Role")
        );
        assert_eq!(
            error.to_string(),
            "EntityNotExist.Role: The role ci does not exist. (RequestId R2)"
        );
    }

    #[test]
    fn response_error_lower_case_keys() {
        let body = br#"{"requestId":"R3","code":"Throttling","message":"slow down"}"#;
        let error = interpret_response("https://h/", 503, body).expect_err("error status");
        assert_eq!(error.to_string(), "Throttling: slow down (RequestId R3)");
    }

    #[test]
    fn response_not_json_is_invalid() {
        let error = interpret_response("https://h/", 502, b"<html>Bad Gateway</html>")
            .expect_err("not JSON");
        assert!(
            matches!(error, ClientError::InvalidResponse { status: 502, .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("Bad Gateway"), "{error}");
    }

    #[test]
    fn response_error_without_code_is_invalid() {
        let error = interpret_response("https://h/", 500, br#"{"oops":1}"#).expect_err("no code");
        assert!(
            matches!(error, ClientError::InvalidResponse { .. }),
            "{error:?}"
        );
    }
}
