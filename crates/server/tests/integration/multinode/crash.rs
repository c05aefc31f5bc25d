//! A node killed with SIGKILL while it writes leaves no partial object: every
//! write is one PostgreSQL transaction, which the server rolls back when the
//! node's connections drop.
//!
//! The killed node runs in a child process: this test binary started again
//! with only the [`child_node`] test selected, which starts a real `Server`
//! from environment variables, prints its URL and serves until it is killed.
//! It is the code `akless serve` runs, without its argument parsing. The
//! `akless` binary itself is not available to this crate's tests, because
//! Cargo builds binaries of other packages only for their own tests.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use akless_server::{Server, ServerConfig, TlsMode};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

use super::{ca_file, Cluster, IMS, RAM};
use crate::testkit::client::{ApiClient, Credentials, Signing};

const CHILD_DATA_DIR_ENV: &str = "AKLESS_TEST_CHILD_DATA_DIR";
const CHILD_DATABASE_URL_ENV: &str = "AKLESS_TEST_CHILD_DATABASE_URL";
/// Line prefix with which the child announces its URL on stdout.
const URL_LINE: &str = "AKLESS_TEST_CHILD_URL=";

/// Client IDs each provider gets, so a torn write would show as a shorter or mixed list.
const CLIENT_IDS: usize = 8;
const FINGERPRINTS: usize = 5;
const TRUSTED_PROVIDERS: usize = 3;
const WRITERS: usize = 4;
/// Iterations per writer at most, which keeps the providers below the limit of 100 per account.
const MAX_ITERATIONS: usize = 20;
/// Successful writes after which node A is killed.
const KILL_AFTER_WRITES: usize = 24;

/// Entry point of the child process; does nothing unless started by [`start_child`].
#[tokio::test]
#[ignore = "runs only inside the child process that the crash test starts"]
async fn child_node() {
    let (Ok(data_dir), Ok(database_url)) = (std::env::var(CHILD_DATA_DIR_ENV), std::env::var(CHILD_DATABASE_URL_ENV))
    else {
        println!("child_node: {CHILD_DATA_DIR_ENV} is unset, so this is no child process; nothing to do");
        return;
    };
    // The parent keeps the write end of stdin open, so end of file on stdin means the parent is gone.
    tokio::spawn(async {
        let mut sink = Vec::new();
        let _ = tokio::io::stdin().read_to_end(&mut sink).await;
        std::process::exit(0);
    });

    let mut config = ServerConfig::new(PathBuf::from(data_dir));
    config.database_url = Some(database_url.parse().expect("database URL"));
    config.listen = "127.0.0.1:0".parse().expect("loopback address");
    config.tls = TlsMode::LocalCa;
    let server = Server::start(config).await.expect("child node starts");
    println!("{URL_LINE}{}", server.url());
    std::future::pending::<()>().await;
}

/// Starts node `data_dir` in a child process and returns it with its URL.
async fn start_child(data_dir: &Path, database_url: &str) -> (Child, String) {
    let exe = std::env::current_exe().expect("path of this test binary");
    let mut child = Command::new(exe)
        .args(["multinode::crash::child_node", "--exact", "--ignored", "--nocapture", "--test-threads", "1"])
        .env(CHILD_DATA_DIR_ENV, data_dir)
        .env(CHILD_DATABASE_URL_ENV, database_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start child node");
    let stdout = child.stdout.take().expect("child stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("read child stdout") {
            // The test harness prints "test <name> ... " without a line break before the child's output.
            if let Some((_, url)) = line.split_once(URL_LINE) {
                return url.trim().to_owned();
            }
        }
        panic!("child node exited before printing its URL");
    })
    .await
    .expect("child node did not start within 60 s");
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url)
}

/// Reads `access_key_id` and `access_key_secret` from a root-credentials INI file.
fn read_root_credentials(path: &Path) -> Credentials {
    let text = std::fs::read_to_string(path).expect("read root-credentials");
    let value = |key: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(key).and_then(|rest| rest.trim_start().strip_prefix('=')))
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| panic!("{key} missing in root-credentials"))
    };
    Credentials { id: value("access_key_id"), secret: value("access_key_secret"), token: None }
}

/// API version, action and parameters of one call.
type ApiCall<'a> = (&'static str, &'static str, Vec<(&'static str, &'a str)>);

fn fingerprint(writer: usize, iteration: usize, index: usize) -> String {
    format!("{:040x}", (writer * 10_000 + iteration * 10 + index) as u128)
}

/// Runs create and update writes through `client` until a call fails, and counts each success.
async fn write_until_error(client: ApiClient, writer: usize, account: String, done: Arc<AtomicUsize>) -> usize {
    let mut succeeded = 0;
    for iteration in 0..MAX_ITERATIONS {
        let name = format!("w{writer}-{iteration}");
        let ids = |generation: usize| {
            (0..CLIENT_IDS).map(|i| format!("g{generation}-c{i}")).collect::<Vec<_>>().join(",")
        };
        let prints: Vec<String> = (0..FINGERPRINTS).map(|i| fingerprint(writer, iteration, i)).collect();
        let trusted: Vec<String> = (0..TRUSTED_PROVIDERS)
            .map(|i| format!("acs:ram::{account}:oidc-provider/w{writer}-{iteration}-t{i}"))
            .collect();
        let trust = json!({"Version": "1", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Federated": trusted}}
        ]})
        .to_string();
        let issuer = format!("https://{name}.example.com");
        let role = format!("{name}-role");
        let first_ids = ids(0);
        let fingerprints = prints.join(",");
        let second_ids = ids(1);
        let calls: [ApiCall; 4] = [
            (
                IMS,
                "CreateOIDCProvider",
                vec![
                    ("OIDCProviderName", &name),
                    ("IssuerUrl", &issuer),
                    ("Fingerprints", &fingerprints),
                    ("ClientIds", &first_ids),
                ],
            ),
            (IMS, "UpdateOIDCProvider", vec![("OIDCProviderName", &name), ("ClientIds", &second_ids)]),
            (RAM, "CreateRole", vec![("RoleName", &role), ("AssumeRolePolicyDocument", &trust)]),
            (RAM, "AttachPolicyToRole", vec![("PolicyType", "Custom"), ("PolicyName", "Shared"), ("RoleName", &role)]),
        ];
        for (version, action, params) in calls {
            match client.try_call(version, action, &params).await {
                Ok(reply) if reply.status == 200 => {
                    succeeded += 1;
                    done.fetch_add(1, Ordering::SeqCst);
                }
                Ok(reply) => panic!("{action} failed before the kill: {}", reply.body),
                Err(_) => return succeeded,
            }
        }
    }
    succeeded
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_writes_leaves_no_partial_objects() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let dir_a = cluster.data_dir("a");
    let (mut child_a, url_a) = start_child(&dir_a, cluster.database.url()).await;
    let node_b = cluster.start_next("b", "a", |_| {}).await;
    let account = node_b.account_id();

    let root_a = ApiClient::new(
        &url_a,
        &ca_file(&dir_a),
        Some(read_root_credentials(&dir_a.join(akless_server::bootstrap::ROOT_CREDENTIALS_FILE))),
        Signing::V3,
    );
    let shared = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ram:Get*", "Resource": "*"}]});
    root_a.call_ok(RAM, "CreatePolicy", &[("PolicyName", "Shared"), ("PolicyDocument", &shared.to_string())]).await;

    let done = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| tokio::spawn(write_until_error(root_a.clone(), writer, account.clone(), Arc::clone(&done))))
        .collect();
    while done.load(Ordering::SeqCst) < KILL_AFTER_WRITES {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // A varying delay lets the kill land at different points of the transactions in flight.
    tokio::time::sleep(Duration::from_micros(rand::random::<u64>() % 20_000)).await;
    child_a.kill().await.expect("SIGKILL node A");
    let mut succeeded = 0;
    for writer in writers {
        succeeded += writer.await.expect("writer task panicked");
    }
    println!("node A killed after {succeeded} successful writes");
    assert!(succeeded < WRITERS * MAX_ITERATIONS * 4, "node A was killed after every write had finished");

    // Node B must read every object complete or not at all.
    let store = node_b.state().expect("node B state").registry().store().clone();
    let providers = store.list_oidc_providers(None, 1000).await.expect("list providers").items;
    assert!(!providers.is_empty(), "no provider survived");
    for provider in &providers {
        assert_eq!(provider.client_ids.len(), CLIENT_IDS, "torn client IDs of {}: {:?}", provider.name, provider.client_ids);
        let generation = provider.client_ids[0].split('-').next().expect("generation prefix").to_owned();
        assert!(
            provider.client_ids.iter().all(|id| id.starts_with(&format!("{generation}-"))),
            "client IDs of {} mix two writes: {:?}",
            provider.name,
            provider.client_ids
        );
        assert_eq!(provider.fingerprints.len(), FINGERPRINTS, "torn fingerprints of {}", provider.name);
    }
    let roles = store.list_roles(None, 1000).await.expect("list roles").items;
    for role in &roles {
        assert_eq!(role.trusted_provider_arns.len(), TRUSTED_PROVIDERS, "torn trusted providers of {}", role.name);
    }

    // Node B keeps serving the shared state over the API.
    let listed = super::root(&node_b).call_ok(IMS, "ListOIDCProviders", &[]).await;
    let served = listed["OIDCProviders"]["OIDCProvider"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(served, providers.len().min(100));

    node_b.shutdown().await;
    cluster.stop().await;
}

