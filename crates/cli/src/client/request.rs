//! V3 (`ACS3-HMAC-SHA256`) signing of RPC calls: the endpoint, the call and the signed request.

use std::fmt;

use akless_core::signature::{percent_encode, v3};
use url::Url;

use super::ClientError;
use crate::credentials::Credentials;

/// Signature algorithm named in the `Authorization` header.
const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// The server address: an `http` or `https` URL with path `/` and no query, fragment or user info.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: Url,
}

impl Endpoint {
    /// Parses and checks an endpoint URL; the server serves the OpenAPI at `/` only.
    pub fn parse(text: &str) -> Result<Self, ClientError> {
        let invalid = |reason| ClientError::InvalidEndpoint {
            endpoint: text.to_owned(),
            reason,
        };
        let url =
            Url::parse(text).map_err(|_| invalid("not a URL; use e.g. https://127.0.0.1:8443"))?;
        if url.scheme() != "https" && url.scheme() != "http" {
            return Err(invalid("the scheme must be https or http"));
        }
        if url.host_str().is_none() {
            return Err(invalid("the URL has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "user info is not allowed; credentials come from --credentials-file",
            ));
        }
        if url.path() != "/" {
            return Err(invalid(
                "the path must be / because the server serves the OpenAPI at the root",
            ));
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
        Self {
            action,
            version,
            params: Vec::new(),
        }
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
}

impl fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let shown = if name == "x-acs-security-token" {
                    "<redacted>"
                } else {
                    value.as_str()
                };
                (name.as_str(), shown)
            })
            .collect();
        f.debug_struct("SignedRequest")
            .field("url", &self.url)
            .field("headers", &headers)
            .finish()
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
/// Deterministic for fixed inputs, so the signature can be tested; [`super::Client::call`] passes the current time
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
        (
            "user-agent".into(),
            concat!("akless/", env!("CARGO_PKG_VERSION")).into(),
        ),
        ("x-acs-action".into(), call.action.into()),
        ("x-acs-content-sha256".into(), payload_hash.clone()),
        ("x-acs-date".into(), date.into()),
        ("x-acs-signature-nonce".into(), nonce.into()),
        ("x-acs-version".into(), call.version.into()),
    ];
    if let Some(token) = credentials.security_token() {
        headers.push((
            "x-acs-accesskey-id".into(),
            credentials.access_key_id().into(),
        ));
        headers.push(("x-acs-security-token".into(), token.into()));
    }
    headers.sort();
    let signed_headers: Vec<String> = headers.iter().map(|(name, _)| name.clone()).collect();

    let canonical = v3::canonical_request(
        "POST",
        "/",
        &call.params,
        &headers,
        &signed_headers,
        &payload_hash,
    )
    .map_err(|e| ClientError::Request(e.to_string()))?;
    let signature = v3::sign(
        credentials.access_key_secret(),
        &v3::string_to_sign(&canonical),
    );
    let authorization = format!(
        "{ALGORITHM} Credential={},SignedHeaders={},Signature={signature}",
        credentials.access_key_id(),
        signed_headers.join(";"),
    );
    headers.push(("authorization".into(), authorization));
    headers.sort();

    let query = encode_query(&call.params);
    let url = if query.is_empty() {
        endpoint.to_string()
    } else {
        format!("{endpoint}?{query}")
    };
    Ok(SignedRequest { url, headers })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::IMS_VERSION;

    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const USER_AGENT: &str = concat!("akless/", env!("CARGO_PKG_VERSION"));

    fn root() -> Credentials {
        Credentials::new("LTAIroot".into(), "root-secret-value".into(), None).expect("valid")
    }

    fn sts() -> Credentials {
        Credentials::new(
            "STS.temp".into(),
            "sts-secret-value".into(),
            Some("AKLS1.sealed-token".into()),
        )
        .expect("valid")
    }

    fn endpoint() -> Endpoint {
        Endpoint::parse("https://127.0.0.1:8443").expect("valid endpoint")
    }

    fn create_call() -> RpcCall {
        RpcCall::new("CreateOIDCProvider", IMS_VERSION)
            .param("OIDCProviderName", "gh")
            .param("IssuerUrl", "https://issuer.example")
            .param("Description", "CI tokens *~")
    }

    fn header<'a>(request: &'a SignedRequest, name: &str) -> Option<&'a str> {
        request
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn endpoint_host_header_with_port() {
        assert_eq!(endpoint().host_header(), "127.0.0.1:8443");
        assert_eq!(
            Endpoint::parse("https://akless.example/")
                .expect("valid")
                .host_header(),
            "akless.example"
        );
        assert_eq!(
            Endpoint::parse("https://akless.example:443")
                .expect("valid")
                .host_header(),
            "akless.example"
        );
        assert_eq!(
            Endpoint::parse("http://[::1]:8080")
                .expect("valid")
                .host_header(),
            "[::1]:8080"
        );
    }

    #[test]
    fn endpoint_rejects_bad_urls() {
        for bad in [
            "127.0.0.1:8443",
            "ftp://host",
            "https://user:pw@host",
            "https://host/api",
            "https://host/?a=b",
        ] {
            let error = Endpoint::parse(bad).expect_err(bad);
            assert!(
                matches!(error, ClientError::InvalidEndpoint { .. }),
                "{bad}: {error:?}"
            );
        }
    }

    #[test]
    fn query_sorted_and_rfc3986_encoded() {
        let params = vec![
            ("b".to_owned(), "x y*z~".to_owned()),
            ("a".to_owned(), "1/2+3".to_owned()),
            ("c".to_owned(), "中".to_owned()),
        ];
        assert_eq!(
            encode_query(&params),
            "a=1%2F2%2B3&b=x%20y%2Az~&c=%E4%B8%AD"
        );
    }

    #[test]
    fn signed_request_header_set() {
        let request = sign_request(
            &endpoint(),
            &create_call(),
            &root(),
            "2024-01-01T00:00:00Z",
            "nonce-1",
        )
        .expect("signs");
        let names: Vec<&str> = request.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "accept",
                "authorization",
                "host",
                "user-agent",
                "x-acs-action",
                "x-acs-content-sha256",
                "x-acs-date",
                "x-acs-signature-nonce",
                "x-acs-version",
            ]
        );

        assert_eq!(header(&request, "accept"), Some("application/json"));
        assert_eq!(header(&request, "host"), Some("127.0.0.1:8443"));
        assert_eq!(header(&request, "x-acs-action"), Some("CreateOIDCProvider"));
        assert_eq!(header(&request, "x-acs-version"), Some("2019-08-15"));
        assert_eq!(header(&request, "x-acs-content-sha256"), Some(EMPTY_SHA256));
        assert_eq!(header(&request, "x-acs-date"), Some("2024-01-01T00:00:00Z"));
        assert_eq!(header(&request, "x-acs-signature-nonce"), Some("nonce-1"));
        assert_eq!(
            request.url,
            "https://127.0.0.1:8443/?Description=CI%20tokens%20%2A~&IssuerUrl=https%3A%2F%2Fissuer.example&OIDCProviderName=gh"
        );
    }

    #[test]
    fn canonical_request_stable() {
        let request = sign_request(
            &endpoint(),
            &create_call(),
            &root(),
            "2024-01-01T00:00:00Z",
            "nonce-1",
        )
        .expect("signs");
        let expected = format!(
            "POST\n/\n\
             Description=CI%20tokens%20%2A~&IssuerUrl=https%3A%2F%2Fissuer.example&OIDCProviderName=gh\n\
             accept:application/json\n\
             host:127.0.0.1:8443\n\
             user-agent:{USER_AGENT}\n\
             x-acs-action:CreateOIDCProvider\n\
             x-acs-content-sha256:{EMPTY_SHA256}\n\
             x-acs-date:2024-01-01T00:00:00Z\n\
             x-acs-signature-nonce:nonce-1\n\
             x-acs-version:2019-08-15\n\
             \n\
             accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n\
             {EMPTY_SHA256}"
        );
        // The signature matches only if the client built exactly this canonical request.
        let signature = v3::sign("root-secret-value", &v3::string_to_sign(&expected));
        let authorization = header(&request, "authorization").expect("authorization header");
        assert_eq!(
            authorization,
            format!(
                "ACS3-HMAC-SHA256 Credential=LTAIroot,SignedHeaders=accept;host;user-agent;x-acs-action;\
                 x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature={signature}"
            )
        );
    }

    /// Checks the request the way the server does: parse the header, decode the query from the URL and
    /// rebuild the canonical request from what goes on the wire.
    fn server_accepts(request: &SignedRequest, secret: &str) -> bool {
        let authorization =
            v3::parse_authorization(header(request, "authorization").expect("authorization"))
                .expect("well-formed Authorization");
        let url = Url::parse(&request.url).expect("valid URL");
        let query: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let canonical = v3::canonical_request(
            "POST",
            url.path(),
            &query,
            &request.headers,
            &authorization.signed_headers,
            header(request, "x-acs-content-sha256").expect("content hash"),
        )
        .expect("every signed header present");
        v3::verify(
            secret,
            &v3::string_to_sign(&canonical),
            &authorization.signature,
        )
    }

    #[test]
    fn signature_verifies_like_server() {
        let request = sign_request(
            &endpoint(),
            &create_call(),
            &root(),
            "2024-01-01T00:00:00Z",
            "n",
        )
        .expect("signs");
        assert!(server_accepts(&request, "root-secret-value"));
        assert!(!server_accepts(&request, "other-secret"));
    }

    #[test]
    fn sts_credentials_sign_token_headers() {
        let request = sign_request(
            &endpoint(),
            &create_call(),
            &sts(),
            "2024-01-01T00:00:00Z",
            "n",
        )
        .expect("signs");
        assert_eq!(
            header(&request, "x-acs-security-token"),
            Some("AKLS1.sealed-token")
        );
        assert_eq!(header(&request, "x-acs-accesskey-id"), Some("STS.temp"));
        let authorization = header(&request, "authorization").expect("authorization");
        assert!(
            authorization.contains("x-acs-accesskey-id;x-acs-action"),
            "{authorization}"
        );
        assert!(
            authorization.contains("x-acs-security-token;x-acs-signature-nonce"),
            "{authorization}"
        );
        assert!(server_accepts(&request, "sts-secret-value"));
    }

    #[test]
    fn secret_appears_nowhere_and_token_redacted() {
        let request = sign_request(
            &endpoint(),
            &create_call(),
            &sts(),
            "2024-01-01T00:00:00Z",
            "n",
        )
        .expect("signs");
        let everything = format!("{} {:?}", request.url, request.headers);
        assert!(!everything.contains("sts-secret-value"), "{everything}");
        let debug = format!("{request:?}");
        assert!(!debug.contains("AKLS1.sealed-token"), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
    }
}
