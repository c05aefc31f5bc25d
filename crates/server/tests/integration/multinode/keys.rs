//! The master key across nodes: a node must bring the key that set up the
//! database, and nodes starting together on an empty database agree on one
//! account.

use akless_core::seal::MasterKey;
use akless_server::bootstrap::{BootstrapError, MASTER_KEY_FILE, ROOT_CREDENTIALS_FILE};
use akless_server::{Server, ServerError};

use super::Cluster;

fn start_error(result: Result<Server, ServerError>) -> ServerError {
    match result {
        Ok(_) => panic!("the node started but must refuse"),
        Err(error) => error,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_with_other_master_key_refused() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let node_a = cluster.start_first("a", |_| {}).await;

    let other_key = cluster.data_dir("other.key");
    std::fs::write(&other_key, MasterKey::generate().to_file_bytes()).expect("write other key");
    let mut config = cluster.config("b");
    config.master_key_file = Some(other_key);
    let error = start_error(Server::start(config).await);
    assert!(
        matches!(error, ServerError::Bootstrap(BootstrapError::MasterKeyMismatch { .. })),
        "{error:?}"
    );
    assert!(error.to_string().contains("does not match"), "{error}");

    node_a.shutdown().await;
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_without_master_key_refused() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let node_a = cluster.start_first("a", |_| {}).await;

    let error = start_error(Server::start(cluster.config("b")).await);
    assert!(matches!(error, ServerError::Bootstrap(BootstrapError::MasterKeyMissing { .. })), "{error:?}");
    assert!(error.to_string().contains("--master-key-file"), "{error}");
    let dir_b = cluster.data_dir("b");
    assert!(!dir_b.join(MASTER_KEY_FILE).exists(), "a refused node must not create a master key");
    assert!(!dir_b.join(ROOT_CREDENTIALS_FILE).exists(), "a refused node must not write root credentials");

    node_a.shutdown().await;
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_first_starts_share_account() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    // Both nodes get the same key file, as an operator would deploy it; the database is empty.
    let key_file = cluster.data_dir("shared.key");
    std::fs::write(&key_file, MasterKey::generate().to_file_bytes()).expect("write shared key");
    let configs = ["a", "b"].map(|node| {
        let mut config = cluster.config(node);
        config.master_key_file = Some(key_file.clone());
        config
    });
    let [config_a, config_b] = configs;
    let (node_a, node_b) = tokio::join!(Server::start(config_a), Server::start(config_b));
    let node_a = node_a.expect("node A starts");
    let node_b = node_b.expect("node B starts");
    assert_eq!(node_a.account_id(), node_b.account_id(), "both nodes must open one account");
    assert_eq!(node_a.root_credentials(), node_b.root_credentials());

    let written: Vec<bool> =
        ["a", "b"].iter().map(|node| cluster.data_dir(node).join(ROOT_CREDENTIALS_FILE).exists()).collect();
    assert_eq!(written.iter().filter(|w| **w).count(), 1, "only the node that set up the account writes root-credentials: {written:?}");

    node_a.shutdown().await;
    node_b.shutdown().await;
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_first_starts_without_key_one_wins() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let (node_a, node_b) = tokio::join!(Server::start(cluster.config("a")), Server::start(cluster.config("b")));

    // Each node generates its own key. The one that sets up the account keeps running. The other stops
    // and removes the key it generated, because that key seals nothing.
    let (winner, loser, loser_dir) = match (node_a, node_b) {
        (Ok(a), Err(b)) => (a, b, cluster.data_dir("b")),
        (Err(a), Ok(b)) => (b, a, cluster.data_dir("a")),
        (a, b) => panic!("exactly one node must start: A {:?}, B {:?}", a.err(), b.err()),
    };
    assert!(matches!(loser, ServerError::Bootstrap(BootstrapError::MasterKeyMissing { .. })), "{loser:?}");
    assert!(!loser_dir.join(MASTER_KEY_FILE).exists(), "the losing node must remove its unused key");
    assert!(!loser_dir.join(ROOT_CREDENTIALS_FILE).exists());

    winner.shutdown().await;
    cluster.stop().await;
}
