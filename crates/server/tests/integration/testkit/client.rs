//! A minimal signed OpenAPI client for the integration tests: V3
//! (ACS3-HMAC-SHA256) or V1 (HMAC-SHA1), parameters in the query string.

use std::path::Path;
use std::sync::Arc;

use akless_core::signature::{percent_encode, v1, v3};
use akless_core::timefmt::iso8601;
use serde_json::Value;

/// AccessKey or temporary credentials.
#[derive(Clone)]
pub struct Credentials {
    pub id: String,
    pub secret: String,
    pub token: Option<String>,
}

/// Signature flavour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signing {
    V1,
    V3,
}

/// Status and JSON body of one response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["Code"].as_str().unwrap_or("")
    }
    pub fn message(&self) -> &str {
        self.body["Message"].as_str().unwrap_or("")
    }
}

/// A client bound to one endpoint.
#[derive(Clone)]
pub struct ApiClient {
    base: String,
    http: reqwest::Client,
    creds: Option<Credentials>,
    signing: Signing,
}

/// Options of one request that tests vary to break signatures.
#[derive(Clone, Default)]
pub struct Tweaks {
    pub nonce: Option<String>,
    pub time: Option<time::OffsetDateTime>,
    pub secret: Option<String>,
    pub method_get: bool,
}

impl ApiClient {
    pub fn new(base: &str, ca_file: &Path, creds: Option<Credentials>, signing: Signing) -> Self {
        let mut roots = rustls::RootCertStore::empty();
        let pem = std::fs::read(ca_file).expect("read CA file");
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            roots.add(cert.expect("CA certificate")).expect("add root");
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let http = reqwest::Client::builder().use_preconfigured_tls(tls).build().expect("HTTP client");
        Self { base: base.trim_end_matches('/').to_owned(), http, creds, signing }
    }

    /// Sends an action and returns status and body.
    pub async fn call(&self, version: &str, action: &str, params: &[(&str, &str)]) -> Reply {
        self.call_tweaked(version, action, params, &Tweaks::default()).await
    }

    /// Sends an action and asserts HTTP 200.
    pub async fn call_ok(&self, version: &str, action: &str, params: &[(&str, &str)]) -> Value {
        let reply = self.call(version, action, params).await;
        assert_eq!(reply.status, 200, "{action} failed: {}", reply.body);
        reply.body
    }

    /// Sends an action with adjustments to the signing inputs.
    pub async fn call_tweaked(&self, version: &str, action: &str, params: &[(&str, &str)], tweaks: &Tweaks) -> Reply {
        self.try_call_tweaked(version, action, params, tweaks).await.expect("request reaches the server")
    }

    /// Sends an action and returns the transport error, for tests that expect the server to go away.
    pub async fn try_call(&self, version: &str, action: &str, params: &[(&str, &str)]) -> Result<Reply, reqwest::Error> {
        self.try_call_tweaked(version, action, params, &Tweaks::default()).await
    }

    async fn try_call_tweaked(
        &self,
        version: &str,
        action: &str,
        params: &[(&str, &str)],
        tweaks: &Tweaks,
    ) -> Result<Reply, reqwest::Error> {
        let nonce = tweaks.nonce.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let now = iso8601(tweaks.time.unwrap_or_else(time::OffsetDateTime::now_utc));
        let method = if tweaks.method_get { "GET" } else { "POST" };
        let mut query: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut headers: Vec<(String, String)> = Vec::new();

        match (&self.creds, self.signing) {
            (None, _) => {
                query.push(("Action".into(), action.into()));
                query.push(("Version".into(), version.into()));
                query.push(("Format".into(), "JSON".into()));
                query.push(("Timestamp".into(), now.clone()));
                query.push(("SignatureNonce".into(), nonce.clone()));
            }
            (Some(creds), Signing::V1) => {
                let secret = tweaks.secret.clone().unwrap_or_else(|| creds.secret.clone());
                for (k, v) in [
                    ("Action", action),
                    ("Version", version),
                    ("Format", "JSON"),
                    ("Timestamp", now.as_str()),
                    ("SignatureNonce", nonce.as_str()),
                    ("SignatureMethod", "HMAC-SHA1"),
                    ("SignatureVersion", "1.0"),
                    ("AccessKeyId", creds.id.as_str()),
                ] {
                    query.push((k.into(), v.into()));
                }
                if let Some(token) = &creds.token {
                    query.push(("SecurityToken".into(), token.clone()));
                }
                let string_to_sign = v1::string_to_sign(method, &query);
                query.push(("Signature".into(), v1::sign(&secret, &string_to_sign)));
            }
            (Some(creds), Signing::V3) => {
                let secret = tweaks.secret.clone().unwrap_or_else(|| creds.secret.clone());
                let host = self.base.split("://").nth(1).unwrap_or_default().to_owned();
                headers.push(("host".into(), host));
                headers.push(("x-acs-action".into(), action.into()));
                headers.push(("x-acs-version".into(), version.into()));
                headers.push(("x-acs-date".into(), now.clone()));
                headers.push(("x-acs-signature-nonce".into(), nonce.clone()));
                headers.push(("x-acs-content-sha256".into(), v3::sha256_hex(b"")));
                if let Some(token) = &creds.token {
                    headers.push(("x-acs-security-token".into(), token.clone()));
                }
                let mut signed: Vec<String> = headers.iter().map(|(k, _)| k.clone()).collect();
                signed.sort();
                let canonical = v3::canonical_request(method, "/", &query, &headers, &signed, &v3::sha256_hex(b""))
                    .expect("canonical request");
                let signature = v3::sign(&secret, &v3::string_to_sign(&canonical));
                headers.push((
                    "authorization".into(),
                    format!(
                        "ACS3-HMAC-SHA256 Credential={},SignedHeaders={},Signature={signature}",
                        creds.id,
                        signed.join(";")
                    ),
                ));
            }
        }

        let query_string: Vec<String> =
            query.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect();
        let url = format!("{}/?{}", self.base, query_string.join("&"));
        let mut request = if tweaks.method_get { self.http.get(&url) } else { self.http.post(&url) };
        for (k, v) in &headers {
            if k != "host" {
                request = request.header(k.as_str(), v.as_str());
            }
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("response is not JSON: {text}"));
        Ok(Reply { status, body })
    }

    /// Posts a raw form body, as the Go and Java credential providers do.
    pub async fn post_form(&self, query: &str, form: &[(&str, &str)]) -> Reply {
        let response = self
            .http
            .post(format!("{}/?{query}", self.base))
            .form(form)
            .send()
            .await
            .expect("request reaches the server");
        let status = response.status().as_u16();
        let body = response.json().await.expect("JSON body");
        Reply { status, body }
    }
}
