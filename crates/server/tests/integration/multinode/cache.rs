//! Writes through one node take effect on another within the propagation
//! limit, even with a cache TTL far above it. Credentials, nonces and
//! read-modify-write changes behave as on a single node.

use std::time::Duration;

use akless_server::{Server, ServerConfig};
use serde_json::json;

use super::{anonymous, poll_until, root, session, Cluster, IMS, PROPAGATION_LIMIT, RAM, STS};
use crate::testkit::client::{Reply, Tweaks};

/// Cache TTL of the nodes in these tests: far above [`PROPAGATION_LIMIT`], so only change notifications
/// can meet the limit.
fn long_cache_ttl(config: &mut ServerConfig) {
    config.cache_ttl = Duration::from_secs(300);
}

/// Creates provider `idp` for the test issuer with client ID `client-1`, and role `deployer` trusting it.
/// Returns the provider and role ARNs.
async fn create_provider_and_role(cluster: &Cluster, node: &Server) -> (String, String) {
    let root = root(node);
    let provider = root
        .call_ok(
            IMS,
            "CreateOIDCProvider",
            &[
                ("OIDCProviderName", "idp"),
                ("IssuerUrl", &cluster.issuer.url()),
                ("Fingerprints", &cluster.issuer.fingerprint()),
                ("ClientIds", "client-1"),
            ],
        )
        .await["OIDCProvider"]["Arn"]
        .as_str()
        .expect("provider ARN")
        .to_owned();
    let trust = json!({"Version": "1", "Statement": [{
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Principal": {"Federated": [provider]},
        "Condition": {"StringEquals": {"oidc:aud": "client-1"}},
    }]})
    .to_string();
    let role = root
        .call_ok(RAM, "CreateRole", &[("RoleName", "deployer"), ("AssumeRolePolicyDocument", &trust)])
        .await["Role"]["Arn"]
        .as_str()
        .expect("role ARN")
        .to_owned();
    (provider, role)
}

async fn assume(cluster: &Cluster, node: &Server, provider: &str, role: &str) -> Reply {
    let token = cluster.token();
    anonymous(node)
        .call(
            STS,
            "AssumeRoleWithOIDC",
            &[("OIDCProviderArn", provider), ("RoleArn", role), ("OIDCToken", &token), ("RoleSessionName", "ci")],
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_through_one_node_reach_the_other() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let node_a = cluster.start_first("a", long_cache_ttl).await;
    let node_b = cluster.start_next("b", "a", long_cache_ttl).await;
    let root_a = root(&node_a);

    // Provider, role and policy are created through node A.
    let (provider, role) = create_provider_and_role(&cluster, &node_a).await;
    let reader = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ram:ListRoles", "Resource": "*"}]});
    root_a.call_ok(RAM, "CreatePolicy", &[("PolicyName", "RoleReader"), ("PolicyDocument", &reader.to_string())]).await;
    let attachment = [("PolicyType", "Custom"), ("PolicyName", "RoleReader"), ("RoleName", "deployer")];
    root_a.call_ok(RAM, "AttachPolicyToRole", &attachment).await;

    // Node B exchanges a token for them, and the session uses the policy on node B.
    let (assumed, took) = poll_until(PROPAGATION_LIMIT, || async {
        let reply = assume(&cluster, &node_b, &provider, &role).await;
        (reply.status == 200).then_some(reply)
    })
    .await
    .expect("node B did not accept the provider and role created through node A within 1 s");
    println!("provider and role usable on node B after {took:?}");
    let ops_b = session(&node_b, &assumed.body);
    ops_b.call_ok(RAM, "ListRoles", &[]).await;

    // Node B now caches the role with its policy. Detaching through node A must reach that cache.
    root_a.call_ok(RAM, "DetachPolicyFromRole", &attachment).await;
    let (denied, took) = poll_until(PROPAGATION_LIMIT, || async {
        let reply = ops_b.call(RAM, "ListRoles", &[]).await;
        (reply.status == 403).then_some(reply)
    })
    .await
    .expect("node B still applied the detached policy after 1 s");
    assert_eq!(denied.code(), "NoPermission", "{}", denied.body);
    println!("detached policy gone on node B after {took:?}");

    // Node B caches the provider too. Replacing its client IDs through node A must reach that cache.
    root_a.call_ok(IMS, "UpdateOIDCProvider", &[("OIDCProviderName", "idp"), ("ClientIds", "client-2")]).await;
    let (rejected, took) = poll_until(PROPAGATION_LIMIT, || async {
        let reply = assume(&cluster, &node_b, &provider, &role).await;
        (reply.status != 200).then_some(reply)
    })
    .await
    .expect("node B still accepted the old client ID after 1 s");
    assert_eq!(rejected.code(), "AuthenticationFail.OIDCToken.AudienceNotMatch", "{}", rejected.body);
    println!("provider update seen on node B after {took:?}");

    node_a.shutdown().await;
    node_b.shutdown().await;
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_and_nonces_shared_across_nodes() {
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let node_a = cluster.start_first("a", |_| {}).await;
    let node_b = cluster.start_next("b", "a", |_| {}).await;
    assert_eq!(node_a.account_id(), node_b.account_id());
    assert_eq!(node_a.root_credentials(), node_b.root_credentials(), "one root AccessKey for the account");

    let (provider, role) = create_provider_and_role(&cluster, &node_a).await;
    let assumed = assume(&cluster, &node_a, &provider, &role).await;
    assert_eq!(assumed.status, 200, "{}", assumed.body);

    // Temporary credentials minted by node A authenticate on node B.
    let me = session(&node_b, &assumed.body).call_ok(STS, "GetCallerIdentity", &[]).await;
    assert_eq!(me["Arn"], format!("acs:ram::{}:assumed-role/deployer/ci", node_a.account_id()));
    assert_eq!(me["IdentityType"], "AssumedRoleUser");

    // A nonce used on node A is rejected on node B.
    let tweaks = Tweaks { nonce: Some(uuid::Uuid::new_v4().to_string()), ..Default::default() };
    let first = root(&node_a).call_tweaked(STS, "GetCallerIdentity", &[], &tweaks).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let replay = root(&node_b).call_tweaked(STS, "GetCallerIdentity", &[], &tweaks).await;
    assert_eq!((replay.status, replay.code()), (400, "SignatureNonceUsed"), "{}", replay.body);

    node_a.shutdown().await;
    node_b.shutdown().await;
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_updates_through_both_nodes_kept() {
    const ADDS_PER_NODE: usize = 6;
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let node_a = cluster.start_first("a", |_| {}).await;
    let node_b = cluster.start_next("b", "a", |_| {}).await;
    create_provider_and_role(&cluster, &node_a).await;

    // Each call reads the provider, adds one client ID and stores the whole provider. Without a lock
    // shared by both nodes, concurrent calls overwrite each other's additions.
    let mut calls = tokio::task::JoinSet::new();
    for (node, client) in [("a", root(&node_a)), ("b", root(&node_b))] {
        for i in 0..ADDS_PER_NODE {
            let client = client.clone();
            calls.spawn(async move {
                let id = format!("{node}-{i}");
                client.call_ok(IMS, "AddClientIdToOIDCProvider", &[("OIDCProviderName", "idp"), ("ClientId", &id)]).await;
            });
        }
    }
    while let Some(joined) = calls.join_next().await {
        joined.expect("AddClientIdToOIDCProvider task panicked");
    }

    let provider = root(&node_b).call_ok(IMS, "GetOIDCProvider", &[("OIDCProviderName", "idp")]).await;
    let ids = provider["OIDCProvider"]["ClientIds"].as_str().expect("ClientIds").to_owned();
    let ids: Vec<&str> = ids.split(',').collect();
    assert_eq!(ids.len(), 1 + 2 * ADDS_PER_NODE, "lost additions: {ids:?}");
    for node in ["a", "b"] {
        for i in 0..ADDS_PER_NODE {
            let id = format!("{node}-{i}");
            assert!(ids.contains(&id.as_str()), "client ID {id} lost: {ids:?}");
        }
    }

    node_a.shutdown().await;
    node_b.shutdown().await;
    cluster.stop().await;
}
