//! Starts the real akless server in-process on 127.0.0.1 port 0 with HTTPS
//! from its local CA, trusting a test issuer's root for outbound fetches.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use akless_server::{Server, ServerConfig, TlsMode};
use serde_json::Value;
use tempfile::TempDir;

use super::client::{ApiClient, Credentials, Signing};
use super::issuer::TestIssuer;

/// A server with its data directory, plus a test issuer it trusts.
pub struct TestServer {
    pub server: Server,
    pub issuer: TestIssuer,
    pub dir: TempDir,
}

impl TestServer {
    /// Starts an issuer and a server whose outbound TLS trusts the issuer's root.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Like [`TestServer::start`], letting the test adjust the settings.
    pub async fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        let issuer = TestIssuer::start().await;
        let dir = tempfile::tempdir().expect("temp dir");
        let root_pem = dir.path().join("issuer-root.pem");
        std::fs::write(&root_pem, issuer.pki().root_pem()).expect("write issuer root");
        let mut config = ServerConfig::new(dir.path().join("data"));
        config.listen = "127.0.0.1:0".parse().expect("loopback address");
        config.tls = TlsMode::LocalCa;
        config.trust_ca_file = Some(root_pem);
        config.allow_private_issuers = true;
        config.jwks_refresh_cooldown = Duration::from_millis(0);
        adjust(&mut config);
        let server = Server::start(config).await.expect("server starts");
        Self { server, issuer, dir }
    }

    pub fn account(&self) -> String {
        self.server.account_id()
    }

    pub fn ca_file(&self) -> PathBuf {
        self.server.ca_file().cloned().expect("local CA file")
    }

    /// Returns a client signing with the root AccessKey (V3).
    pub fn root(&self) -> ApiClient {
        let (id, secret) = self.server.root_credentials().expect("root credentials");
        ApiClient::new(&self.server.url(), &self.ca_file(), Some(Credentials { id, secret, token: None }), Signing::V3)
    }

    /// Returns an unsigned client, for AssumeRoleWithOIDC.
    pub fn anonymous(&self) -> ApiClient {
        ApiClient::new(&self.server.url(), &self.ca_file(), None, Signing::V3)
    }

    /// Returns a client signing with temporary credentials from an AssumeRoleWithOIDC response body.
    pub fn session(&self, assume_response: &Value, signing: Signing) -> ApiClient {
        let creds = &assume_response["Credentials"];
        let get = |k: &str| creds[k].as_str().expect("credential field").to_owned();
        ApiClient::new(
            &self.server.url(),
            &self.ca_file(),
            Some(Credentials { id: get("AccessKeyId"), secret: get("AccessKeySecret"), token: Some(get("SecurityToken")) }),
            signing,
        )
    }

    /// Returns the issuer URL as registered (host `localhost`).
    pub fn issuer_url(&self) -> String {
        self.issuer.url()
    }

    /// Creates a provider for the test issuer with client ID `client-1` and returns its ARN.
    pub async fn create_provider(&self, name: &str) -> String {
        let response = self
            .root()
            .call_ok(
                "2019-08-15",
                "CreateOIDCProvider",
                &[
                    ("OIDCProviderName", name),
                    ("IssuerUrl", &self.issuer_url()),
                    ("Fingerprints", &self.issuer.fingerprint()),
                    ("ClientIds", "client-1"),
                ],
            )
            .await;
        response["OIDCProvider"]["Arn"].as_str().expect("provider ARN").to_owned()
    }

    /// Creates a role trusting `provider_arn` with the given condition block and returns its ARN.
    pub async fn create_role(&self, name: &str, provider_arn: &str, condition: Value) -> String {
        let mut statement = serde_json::json!({
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Federated": [provider_arn]},
        });
        if !condition.is_null() {
            statement["Condition"] = condition;
        }
        let document = serde_json::json!({"Version": "1", "Statement": [statement]}).to_string();
        let response = self
            .root()
            .call_ok("2015-05-01", "CreateRole", &[("RoleName", name), ("AssumeRolePolicyDocument", &document)])
            .await;
        response["Role"]["Arn"].as_str().expect("role ARN").to_owned()
    }

    /// Signs a token for the test issuer with the RSA key and standard claims, overridden by `extra`.
    pub fn token(&self, extra: Value) -> String {
        self.token_with("RS256", "rsa-1", extra)
    }

    /// Signs a token with the given algorithm and key id.
    pub fn token_with(&self, alg: &str, kid: &str, extra: Value) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut claims = serde_json::json!({
            "iss": self.issuer_url(),
            "sub": "workload-a",
            "aud": "client-1",
            "iat": now,
            "exp": now + 600,
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        if let (Value::Object(base), Value::Object(more)) = (&mut claims, extra) {
            for (k, v) in more {
                if v.is_null() {
                    base.remove(&k);
                } else {
                    base.insert(k, v);
                }
            }
        }
        self.issuer.sign_token(alg, kid, &claims)
    }

    pub async fn stop(self) {
        self.server.shutdown().await;
        self.issuer.stop().await;
    }
}

/// Keeps the Arc import used by helpers that share a server across tasks.
pub type Shared = Arc<TestServer>;
