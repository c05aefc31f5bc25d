//! The token issuer across nodes: a signing key rotated through one node is
//! published by every node's JWKS, and a client assertion accepted by one node
//! is rejected as a replay by another.

use akless_server::{Server, ServerConfig};
use serde_json::json;

use super::{ca_file, poll_until, root, Cluster, PROPAGATION_LIMIT};
use crate::testkit::issuer::{KeyKind, SigningKey};
use crate::testkit::oauth::{assertion_claims, client_with_grant, OAuthClient, ISSUER_API};

/// Public URL of every node: behind one load balancer all nodes have one issuer URL, so a client
/// assertion addressed to it is valid on each of them.
const PUBLIC_URL: &str = "https://akless.cluster.test";

fn shared_public_url(config: &mut ServerConfig) {
    config.public_url = Some(PUBLIC_URL.to_owned());
}

/// Returns a client of the issuer endpoints served by `node`.
fn oauth(cluster: &Cluster, node: &Server, name: &str) -> OAuthClient {
    OAuthClient::for_url(&node.url(), &ca_file(&cluster.data_dir(name)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_key_published_by_other_node() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let node_a = cluster.start_first("a", shared_public_url).await;
    let node_b = cluster.start_next("b", "a", shared_public_url).await;
    let jwks_b = oauth(&cluster, &node_b, "b");
    let (status, before) = jwks_b.get("/jwks").await;
    assert_eq!(status, 200, "{before}");

    // A pending key is published at once but signs only after its activation delay.
    let rotated = root(&node_a).call_ok(ISSUER_API, "RotateSigningKey", &[("ActivationDelay", "3600")]).await;
    let kid = rotated["SigningKey"]["Kid"].as_str().expect("Kid").to_owned();
    assert!(!before.to_string().contains(&kid), "the new kid is already in node B's JWKS: {before}");

    // Node B reloads its keys periodically too, but far less often than the propagation limit.
    let (_, took) = poll_until(PROPAGATION_LIMIT, || async {
        let (status, jwks) = jwks_b.get("/jwks").await;
        let kids: Vec<String> = jwks["keys"]
            .as_array()
            .map(|keys| keys.iter().filter_map(|k| k["kid"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        (status == 200 && kids.contains(&kid)).then_some(())
    })
    .await
    .expect("node B's JWKS did not publish the key rotated through node A within 1 s");
    println!("rotated key published by node B after {took:?}");

    node_a.shutdown().await;
    node_b.shutdown().await;
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_assertion_replay_rejected_on_other_node() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let node_a = cluster.start_first("a", shared_public_url).await;
    let node_b = cluster.start_next("b", "a", shared_public_url).await;

    let root_a = root(&node_a);
    let fixture = client_with_grant(&root_a, "billing", "private_key_jwt").await;
    let key = SigningKey::generate(KeyKind::EcP256, "ec-1");
    let jwks = json!({"keys": [key.jwk()]}).to_string();
    root_a.call_ok(ISSUER_API, "SetClientJwks", &[("ClientId", &fixture.client_id), ("Jwks", &jwks)]).await;

    let (token_a, token_b) = (oauth(&cluster, &node_a, "a"), oauth(&cluster, &node_b, "b"));
    let audience = format!("{PUBLIC_URL}/api/v2/iauths_system/oauth2/token");
    let assertion = key.sign("ES256", Some("ec-1"), &assertion_claims(&fixture.client_id, &audience));

    let first = token_a.token_assertion(&assertion, "api:billing|read").await;
    assert_eq!(first.status, 200, "node A must accept the assertion: {}", first.body);
    let replay = token_b.token_assertion(&assertion, "api:billing|read").await;
    assert_eq!(replay.status, 401, "node B must reject the replayed assertion: {}", replay.body);
    assert_eq!(replay.error(), "invalid_client", "{}", replay.body);
    assert!(replay.description().contains("jti was already used"), "{}", replay.body);

    node_a.shutdown().await;
    node_b.shutdown().await;
    cluster.stop().await;
}
