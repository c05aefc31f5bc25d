//! Several akless nodes on one PostgreSQL database: changes made through one
//! node reach the others' caches through LISTEN/NOTIFY, credentials and
//! nonces work across nodes, and a node killed mid-write leaves no partial
//! object behind.
//!
//! Each test gets its own database, so NOTIFY traffic of parallel tests does
//! not mix. Nodes run in this process as real `Server`s with their own data
//! directory, caches and connection pool, except the node that the crash test
//! kills, which runs in a child process (see `crash`). Without a PostgreSQL
//! server and without `AKLESS_TEST_DATABASE_URL`, the tests print why and pass.

mod cache;
mod crash;
mod issuer;
mod keys;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use akless_server::{Server, ServerConfig, TlsMode};
use akless_store::postgres::TestDatabase;
use serde_json::Value;
use tempfile::TempDir;

use crate::testkit::client::{ApiClient, Credentials, Signing};
use crate::testkit::issuer::TestIssuer;

pub const IMS: &str = "2019-08-15";
pub const RAM: &str = "2015-05-01";
pub const STS: &str = "2015-04-01";

/// Time within which a change made through one node must take effect on another.
pub const PROPAGATION_LIMIT: Duration = Duration::from_secs(1);

/// One database, one test issuer, and a folder holding every node's data directory.
pub struct Cluster {
    pub database: TestDatabase,
    pub issuer: TestIssuer,
    dir: TempDir,
}

impl Cluster {
    /// Creates the database and starts the issuer, or returns `None` when no PostgreSQL server is available.
    pub async fn start() -> Option<Self> {
        let database = TestDatabase::create().await?;
        let issuer = TestIssuer::start().await;
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("issuer-root.pem"), issuer.pki().root_pem()).expect("write issuer root");
        Some(Self { database, issuer, dir })
    }

    /// Data directory of the node named `node`.
    pub fn data_dir(&self, node: &str) -> PathBuf {
        self.dir.path().join(node)
    }

    /// Settings of a node on the shared database that trusts the test issuer.
    pub fn config(&self, node: &str) -> ServerConfig {
        let mut config = ServerConfig::new(self.data_dir(node));
        config.database_url = Some(self.database.url().parse().expect("database URL"));
        config.listen = "127.0.0.1:0".parse().expect("loopback address");
        config.tls = TlsMode::LocalCa;
        config.trust_ca_file = Some(self.dir.path().join("issuer-root.pem"));
        config.allow_private_issuers = true;
        config.jwks_refresh_cooldown = Duration::from_millis(0);
        config
    }

    /// Starts the node that sets up the empty database.
    pub async fn start_first(&self, node: &str, adjust: impl FnOnce(&mut ServerConfig)) -> Server {
        let mut config = self.config(node);
        adjust(&mut config);
        Server::start(config).await.expect("first node starts")
    }

    /// Starts a further node that reads the master key of node `first` through `--master-key-file`.
    pub async fn start_next(&self, node: &str, first: &str, adjust: impl FnOnce(&mut ServerConfig)) -> Server {
        let mut config = self.config(node);
        config.master_key_file = Some(self.master_key_of(first));
        adjust(&mut config);
        Server::start(config).await.expect("further node starts")
    }

    /// Returns the master key file that node `node` wrote when it set up the database.
    pub fn master_key_of(&self, node: &str) -> PathBuf {
        self.data_dir(node).join(akless_server::bootstrap::MASTER_KEY_FILE)
    }

    /// Signs a token for the test issuer with client ID `client-1` and subject `workload-a`.
    pub fn token(&self) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = serde_json::json!({
            "iss": self.issuer.url(),
            "sub": "workload-a",
            "aud": "client-1",
            "iat": now,
            "exp": now + 600,
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        self.issuer.sign_token("RS256", "rsa-1", &claims)
    }

    pub async fn stop(self) {
        self.issuer.stop().await;
    }
}

/// Returns the local CA file of a node whose data directory is `data_dir`.
pub fn ca_file(data_dir: &Path) -> PathBuf {
    data_dir.join(akless_server::tls::CA_CERT_FILE)
}

/// Returns a V3 client signing with the root AccessKey of `server`.
pub fn root(server: &Server) -> ApiClient {
    let (id, secret) = server.root_credentials().expect("root credentials");
    client(server, Some(Credentials { id, secret, token: None }))
}

/// Returns an unsigned client of `server`, for AssumeRoleWithOIDC.
pub fn anonymous(server: &Server) -> ApiClient {
    client(server, None)
}

/// Returns a V3 client of `server` signing with the temporary credentials of an AssumeRoleWithOIDC
/// response.
pub fn session(server: &Server, assume_response: &Value) -> ApiClient {
    let creds = &assume_response["Credentials"];
    let get = |k: &str| creds[k].as_str().expect("credential field").to_owned();
    client(
        server,
        Some(Credentials { id: get("AccessKeyId"), secret: get("AccessKeySecret"), token: Some(get("SecurityToken")) }),
    )
}

fn client(server: &Server, creds: Option<Credentials>) -> ApiClient {
    let ca = server.ca_file().expect("local CA file");
    ApiClient::new(&server.url(), ca, creds, Signing::V3)
}

/// Calls `probe` every 20 ms until it returns `Some`, and returns its value with the time that took, or
/// `None` when `limit` passed first.
pub async fn poll_until<T, F, Fut>(limit: Duration, mut probe: F) -> Option<(T, Duration)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return Some((value, start.elapsed()));
        }
        if start.elapsed() > limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
