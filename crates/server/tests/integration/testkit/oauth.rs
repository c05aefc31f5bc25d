//! Helpers for the issuer tests: an HTTP client for akless's OAuth endpoints, fixtures created through
//! the admin API, and client assertions built with the independent `jsonwebtoken` library.

use std::path::Path;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use serde_json::{json, Value};

use super::client::ApiClient;
use super::server::TestServer;

/// The akless issuer API version.
pub const ISSUER_API: &str = "2026-12-01";
/// The client assertion type of RFC 7523.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Status, selected headers and JSON body of one OAuth response.
#[derive(Debug)]
pub struct OAuthReply {
    pub status: u16,
    pub www_authenticate: Option<String>,
    pub cache_control: Option<String>,
    pub body: Value,
}

impl OAuthReply {
    /// Returns the `error` member, or "" on success.
    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }

    /// Returns the `error_description` member.
    pub fn description(&self) -> &str {
        self.body["error_description"].as_str().unwrap_or("")
    }

    /// Returns the access token of a successful token response.
    pub fn access_token(&self) -> String {
        assert_eq!(self.status, 200, "token request failed: {}", self.body);
        self.body["access_token"].as_str().expect("access_token").to_owned()
    }
}

/// A client of the issuer endpoints of one server, trusting the server's local CA.
#[derive(Clone)]
pub struct OAuthClient {
    http: reqwest::Client,
    /// The issuer URL, `{server URL}/api/v2/iauths_system/oauth2`.
    pub issuer: String,
}

impl OAuthClient {
    pub fn new(server: &TestServer) -> Self {
        Self::for_url(&server.server.url(), &server.ca_file())
    }

    pub fn for_url(base: &str, ca_file: &Path) -> Self {
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
        Self { http, issuer: format!("{base}/api/v2/iauths_system/oauth2") }
    }

    pub fn token_endpoint(&self) -> String {
        format!("{}/token", self.issuer)
    }

    /// GETs `path` below the issuer and returns status and JSON body.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response =
            self.http.get(format!("{}{path}", self.issuer)).send().await.expect("request reaches the server");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    /// POSTs a form to `path` below the issuer, with Basic credentials when given.
    pub async fn post(&self, path: &str, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> OAuthReply {
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        self.post_raw(path, "application/x-www-form-urlencoded", body, basic).await
    }

    /// POSTs a raw body with any content type.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: String,
        basic: Option<(&str, &str)>,
    ) -> OAuthReply {
        let mut request =
            self.http.post(format!("{}{path}", self.issuer)).header("content-type", content_type).body(body);
        if let Some((id, secret)) = basic {
            request = request.header("authorization", format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))));
        }
        let response = request.send().await.expect("request reaches the server");
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let www_authenticate = header("www-authenticate");
        let cache_control = header("cache-control");
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        OAuthReply { status, www_authenticate, cache_control, body }
    }

    /// Requests a token with client_secret_basic.
    pub async fn token_basic(&self, client_id: &str, secret: &str, scope: &str) -> OAuthReply {
        self.post("/token", &[("grant_type", "client_credentials"), ("scope", scope)], Some((client_id, secret))).await
    }

    /// Requests a token with a client assertion.
    pub async fn token_assertion(&self, assertion: &str, scope: &str) -> OAuthReply {
        self.post(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("scope", scope),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", assertion),
            ],
            None,
        )
        .await
    }

    /// Fetches the JWKS and verifies `token` with `jsonwebtoken`, checking iss and aud; returns the claims.
    pub async fn verify_with_jsonwebtoken(&self, token: &str, audience: &str) -> (Header, Value) {
        let header = jsonwebtoken::decode_header(token).expect("token header");
        let (status, jwks) = self.get("/jwks").await;
        assert_eq!(status, 200);
        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks).expect("JWKS for jsonwebtoken");
        let kid = header.kid.clone().expect("kid in the header");
        let jwk = set.find(&kid).expect("the token's key is published");
        let key = DecodingKey::from_jwk(jwk).expect("decoding key");
        let mut validation = Validation::new(header.alg);
        validation.set_audience(&[audience]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iat", "nbf", "iss", "sub", "aud"]);
        let data = jsonwebtoken::decode::<Value>(token, &key, &validation).expect("jsonwebtoken accepts the token");
        (data.header, data.claims)
    }
}

/// A client created through the admin API, with its first secret and the audience it may use.
pub struct Fixture {
    pub client_id: String,
    pub secret: String,
    pub audience: String,
}

/// Creates resource server `name` (identifier `api:<name>`, permissions read, write and admin) unless it exists.
pub async fn ensure_resource_server(root: &ApiClient, name: &str) -> String {
    let identifier = format!("api:{name}");
    let reply = root
        .call(
            ISSUER_API,
            "CreateResourceServer",
            &[("ResourceServerName", name), ("Identifier", &identifier), ("Permissions", "read,write,admin")],
        )
        .await;
    assert!(reply.status == 200 || reply.code() == "EntityAlreadyExists.ResourceServer", "{}", reply.body);
    identifier
}

/// Creates a client with `methods` and a grant of read and write on resource server `server`.
pub async fn client_with_grant(root: &ApiClient, server: &str, methods: &str) -> Fixture {
    let audience = ensure_resource_server(root, server).await;
    let created =
        root.call_ok(ISSUER_API, "CreateClient", &[("ClientName", "test-app"), ("AuthMethods", methods)]).await;
    let client_id = created["Client"]["ClientId"].as_str().expect("ClientId").to_owned();
    let secret = created["ClientSecret"]["Secret"].as_str().unwrap_or_default().to_owned();
    root.call_ok(
        ISSUER_API,
        "CreateGrant",
        &[("ClientId", &client_id), ("ResourceServerName", server), ("Permissions", "read,write")],
    )
    .await;
    Fixture { client_id, secret, audience }
}

/// Returns assertion claims for `client_id` and audience `aud`, valid for 5 minutes, with a fresh jti.
pub fn assertion_claims(client_id: &str, aud: &str) -> Value {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    json!({
        "iss": client_id,
        "sub": client_id,
        "aud": aud,
        "iat": now,
        "exp": now + 300,
        "jti": uuid::Uuid::new_v4().to_string(),
    })
}

/// Signs an HS256 client assertion with the client secret as key (client_secret_jwt).
pub fn hs256_assertion(secret: &str, claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("HS256 signing")
}
