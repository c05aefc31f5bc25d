//! Test helpers: an akless server in-process on 127.0.0.1 port 0, and the `akless` binary run against it.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use akless_server::{Server, ServerConfig, TlsMode};
use serde_json::Value;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStderr, Command};

/// Environment variables that would change what the binary does; every run clears them.
const CLEARED_ENV: &[&str] = &[
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALIBABA_CLOUD_SECURITY_TOKEN",
    "ALIBABA_CLOUD_ROLE_ARN",
    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
    "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
    "ALIBABA_CLOUD_ROLE_SESSION_NAME",
    "AKLESS_CLIENT_ID",
    "AKLESS_CLIENT_SECRET",
    "AKLESS_ISSUER",
    "RUST_LOG",
    "AKLESS_LOG_FORMAT",
];

/// A running server with its data directory and a working directory for the binary.
pub struct TestServer {
    pub server: Server,
    pub dir: TempDir,
}

impl TestServer {
    /// Starts a server with a local CA that may fetch keys from loopback issuers (its own issuer is one).
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = ServerConfig::new(dir.path().join("data"));
        config.listen = "127.0.0.1:0".parse().expect("address");
        config.tls = TlsMode::LocalCa;
        config.allow_private_issuers = true;
        let server = Server::start(config).await.expect("server starts");
        Self { server, dir }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn ca_file(&self) -> PathBuf {
        self.server.ca_file().cloned().expect("local CA")
    }

    pub fn account(&self) -> String {
        self.server.account_id()
    }

    pub fn issuer_url(&self) -> String {
        format!("{}/api/v2/iauths_system/oauth2", self.url())
    }

    /// Working directory of the binary, next to the data directory.
    pub fn work(&self) -> &Path {
        self.dir.path()
    }

    /// Builds a command for the binary with the endpoint, root credentials and CA of this server.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = akless(self.work(), args);
        command
            .env("AKLESS_ENDPOINT", self.url())
            .env(
                "ALIBABA_CLOUD_CREDENTIALS_FILE",
                self.dir.path().join("data/root-credentials"),
            )
            .env("AKLESS_CA_FILE", self.ca_file());
        command
    }

    /// Runs the binary and returns its output.
    pub async fn run(&self, args: &[&str]) -> Output {
        run_command(self.command(args)).await
    }

    /// Runs the binary, requires success, and returns standard output parsed as JSON.
    pub async fn run_json(&self, args: &[&str]) -> Value {
        let mut full: Vec<&str> = args.to_vec();
        full.extend(["--output", "json"]);
        let output = self.run(&full).await;
        assert_success(&output, args);
        serde_json::from_slice(&output.stdout).expect("JSON output")
    }

    pub async fn stop(self) {
        self.server.shutdown().await;
    }
}

/// Builds a command for the `akless` binary in `work`, with the variables of [`CLEARED_ENV`] removed.
pub fn akless(work: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_akless"));
    command.args(args).current_dir(work).kill_on_drop(true);
    for name in CLEARED_ENV {
        command.env_remove(name);
    }
    command
}

/// Runs a command with a 120 s limit and returns its output.
pub async fn run_command(mut command: Command) -> Output {
    command.stdin(Stdio::null());
    tokio::time::timeout(Duration::from_secs(120), command.output())
        .await
        .expect("the command finished within 120 s")
        .expect("the binary runs")
}

/// Fails the test with the command's output unless it exited with code 0.
pub fn assert_success(output: &Output, args: &[&str]) {
    assert!(
        output.status.success(),
        "akless {args:?} failed with {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Reads log lines from a child's standard error and keeps them, for waiting on a line and for failure messages.
pub struct LogReader {
    lines: tokio::io::Lines<BufReader<ChildStderr>>,
    pub seen: Vec<String>,
}

impl LogReader {
    pub fn new(child: &mut Child) -> Self {
        let stderr = child.stderr.take().expect("stderr piped");
        Self {
            lines: BufReader::new(stderr).lines(),
            seen: Vec::new(),
        }
    }

    /// Returns the text after `marker` on the first new line that contains it, waiting up to `limit`.
    pub async fn wait_for(&mut self, marker: &str, limit: Duration) -> String {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let next = tokio::time::timeout_at(deadline, self.lines.next_line()).await;
            let line = match next {
                Ok(Ok(Some(line))) => line,
                Ok(Ok(None)) => {
                    panic!("the log ended before {marker:?}:\n{}", self.seen.join("\n"))
                }
                Ok(Err(error)) => panic!("reading the log failed: {error}"),
                Err(_) => panic!("no {marker:?} within {limit:?}:\n{}", self.seen.join("\n")),
            };
            self.seen.push(line.clone());
            if let Some(index) = line.find(marker) {
                let rest = &line[index + marker.len()..];
                return rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
            }
        }
    }

    /// Reads the rest of the log until the process closes standard error.
    pub async fn drain(&mut self) {
        while let Ok(Ok(Some(line))) =
            tokio::time::timeout(Duration::from_secs(10), self.lines.next_line()).await
        {
            self.seen.push(line);
        }
    }
}

/// Sends SIGTERM to a child process.
pub async fn terminate(child: &Child) {
    let pid = child.id().expect("running child").to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill runs");
    assert!(status.success(), "kill -TERM {pid} failed");
}

/// Decodes the payload of a JWT without checking its signature.
pub fn jwt_claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("three segments");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// Everything the exchange needs, made through the binary's admin commands.
pub struct Chain {
    pub identifier: String,
    pub client_id: String,
    pub secret_file: PathBuf,
    pub provider_arn: String,
    pub role_arn: String,
}

/// Creates a resource server, a client with a secret file, a grant, an OIDC provider for the server's own
/// issuer with the fingerprint `akless fingerprint` reports, and a role trusting the client.
pub async fn set_up_chain(server: &TestServer, name: &str) -> Chain {
    let identifier = format!("api:{name}");
    server
        .run_json(&[
            "resource-server",
            "create",
            "--name",
            name,
            "--identifier",
            &identifier,
            "--permissions",
            "read,write",
        ])
        .await;

    let secret_file = server.work().join(format!("{name}-secret"));
    let created = server
        .run_json(&[
            "client",
            "create",
            "--name",
            name,
            "--secret-out",
            secret_file.to_str().expect("utf8"),
        ])
        .await;
    let client_id = created["Client"]["ClientId"]
        .as_str()
        .expect("ClientId")
        .to_owned();
    server
        .run_json(&[
            "grant",
            "create",
            "--client-id",
            &client_id,
            "--resource-server",
            name,
            "--permissions",
            "read",
        ])
        .await;

    let issuer = server.issuer_url();
    let fingerprint = server
        .run_json(&["fingerprint", &issuer, "--allow-private"])
        .await;
    let fingerprint = fingerprint["Fingerprint"]
        .as_str()
        .expect("Fingerprint")
        .to_owned();
    let provider = server
        .run_json(&[
            "oidc-provider",
            "create",
            "--name",
            name,
            "--issuer-url",
            &issuer,
            "--fingerprints",
            &fingerprint,
            "--client-ids",
            &identifier,
        ])
        .await;
    let provider_arn = provider["OIDCProvider"]["Arn"]
        .as_str()
        .expect("provider ARN")
        .to_owned();

    let trust = serde_json::json!({"Version": "1", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"Federated": [provider_arn]},
        "Condition": {"StringEquals": {"oidc:sub": client_id, "oidc:aud": identifier}}}]});
    let trust_file = server.work().join(format!("{name}-trust.json"));
    std::fs::write(&trust_file, trust.to_string()).expect("write trust policy");
    let role = server
        .run_json(&[
            "role",
            "create",
            "--name",
            name,
            "--trust-policy",
            trust_file.to_str().expect("utf8"),
        ])
        .await;
    let role_arn = role["Role"]["Arn"].as_str().expect("role ARN").to_owned();

    Chain {
        identifier,
        client_id,
        secret_file,
        provider_arn,
        role_arn,
    }
}
