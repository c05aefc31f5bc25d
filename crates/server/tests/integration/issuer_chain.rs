//! The chain closes: tokens from akless's own issuer pass akless's own AssumeRoleWithOIDC over HTTPS,
//! CreateOIDCProvider reads the fingerprint itself when none is given, and a signing-key rotation
//! does not break exchanges of tokens that the old key signed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::testkit::client::{ApiClient, Signing};
use crate::testkit::oauth::{client_with_grant, OAuthClient, ISSUER_API};
use crate::testkit::server::TestServer;

const IMS: &str = "2019-08-15";
const STS: &str = "2015-04-01";

/// Returns the SHA-1 fingerprint of the server's local CA, the last certificate its listener presents.
fn local_ca_fingerprint(server: &TestServer) -> String {
    let pem = std::fs::read(server.ca_file()).expect("read CA file");
    let der = rustls_pemfile::certs(&mut pem.as_slice()).next().expect("a certificate").expect("valid PEM");
    akless_server::jwks::sha1_fingerprint(&der)
}

/// Registers the server's own issuer as OIDC provider `name` without Fingerprints and returns its ARN.
async fn register_own_issuer(server: &TestServer, oauth: &OAuthClient, name: &str, client_ids: &str) -> String {
    let created = server
        .root()
        .call_ok(
            IMS,
            "CreateOIDCProvider",
            &[("OIDCProviderName", name), ("IssuerUrl", &oauth.issuer), ("ClientIds", client_ids)],
        )
        .await;
    assert_eq!(
        created["OIDCProvider"]["Fingerprints"],
        local_ca_fingerprint(server),
        "fingerprint read from the chain"
    );
    created["OIDCProvider"]["Arn"].as_str().expect("provider ARN").to_owned()
}

async fn exchange(client: &ApiClient, provider: &str, role: &str, token: &str) -> crate::testkit::client::Reply {
    client
        .call(
            STS,
            "AssumeRoleWithOIDC",
            &[("OIDCProviderArn", provider), ("RoleArn", role), ("OIDCToken", token), ("RoleSessionName", "m2m")],
        )
        .await
}

#[tokio::test]
async fn own_tokens_pass_assume_role_with_oidc() {
    let server = TestServer::start().await;
    let root = server.root();
    let oauth = OAuthClient::new(&server);
    let alice = client_with_grant(&root, "billing", "client_secret_basic").await;
    let bob = client_with_grant(&root, "billing", "client_secret_basic").await;
    let provider = register_own_issuer(&server, &oauth, "akless-self", "api:billing").await;
    let role =
        server.create_role("billing-reader", &provider, json!({"StringEquals": {"oidc:sub": alice.client_id}})).await;

    let token = oauth.token_basic(&alice.client_id, &alice.secret, "api:billing|read").await.access_token();
    let reply = exchange(&server.anonymous(), &provider, &role, &token).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let info = &reply.body["OIDCTokenInfo"];
    assert_eq!(info["Subject"], alice.client_id);
    assert_eq!(info["Issuer"], oauth.issuer);
    assert_eq!(info["ClientIds"], "api:billing");
    let session = server.session(&reply.body, Signing::V3);
    let me = session.call_ok(STS, "GetCallerIdentity", &[]).await;
    assert_eq!(me["Arn"], format!("acs:ram::{}:assumed-role/billing-reader/m2m", server.account()));

    // Bob's token is genuine but the trust policy names Alice.
    let token = oauth.token_basic(&bob.client_id, &bob.secret, "api:billing|read").await.access_token();
    let reply = exchange(&server.anonymous(), &provider, &role, &token).await;
    assert_eq!((reply.status, reply.code()), (401, "AuthenticationFail.NoPermission"), "{}", reply.body);
    server.stop().await;
}

#[tokio::test]
async fn provider_fingerprint_read_from_issuer_chain() {
    let server = TestServer::start().await;
    let root = server.root();
    // The external test issuer presents leaf and intermediate; the intermediate is the last certificate.
    let created = root
        .call_ok(
            IMS,
            "CreateOIDCProvider",
            &[("OIDCProviderName", "external"), ("IssuerUrl", &server.issuer_url()), ("ClientIds", "client-1")],
        )
        .await;
    assert_eq!(created["OIDCProvider"]["Fingerprints"], server.issuer.fingerprint());
    let provider = created["OIDCProvider"]["Arn"].as_str().unwrap().to_owned();
    let role = server.create_role("external-role", &provider, Value::Null).await;
    let reply = exchange(&server.anonymous(), &provider, &role, &server.token(json!({}))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    let reply = root
        .call(
            IMS,
            "CreateOIDCProvider",
            &[("OIDCProviderName", "unreachable"), ("IssuerUrl", "https://127.0.0.1:1/idp")],
        )
        .await;
    assert_eq!((reply.status, reply.code()), (400, "InvalidParameter.Fingerprints"), "{}", reply.body);
    assert!(reply.message().contains("was not given"), "{}", reply.message());
    assert!(reply.message().contains("127.0.0.1:1"), "{}", reply.message());
    let missing = root.call(IMS, "GetOIDCProvider", &[("OIDCProviderName", "unreachable")]).await;
    assert_eq!(missing.status, 404, "nothing is stored when the fetch fails");
    server.stop().await;
}

#[tokio::test]
async fn rotation_keeps_old_tokens_exchangeable() {
    let server = TestServer::start().await;
    let root = server.root();
    let oauth = OAuthClient::new(&server);
    let alice = client_with_grant(&root, "billing", "client_secret_basic").await;
    let provider = register_own_issuer(&server, &oauth, "akless-self", "api:billing").await;
    let role =
        server.create_role("billing-reader", &provider, json!({"StringEquals": {"oidc:sub": alice.client_id}})).await;

    let old_token = oauth.token_basic(&alice.client_id, &alice.secret, "api:billing|read").await.access_token();
    let old_kid = jsonwebtoken::decode_header(&old_token).unwrap().kid.expect("kid");
    let first = exchange(&server.anonymous(), &provider, &role, &old_token).await;
    assert_eq!(first.status, 200, "{}", first.body);

    // Exchange the old token without pause while the key rotates and the new key takes over.
    let stop = Arc::new(AtomicBool::new(false));
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let background = {
        let (client, provider, role, token) = (server.anonymous(), provider.clone(), role.clone(), old_token.clone());
        let (stop, failures) = (stop.clone(), failures.clone());
        tokio::spawn(async move {
            let mut successes = 0u32;
            while !stop.load(Ordering::SeqCst) {
                let reply = exchange(&client, &provider, &role, &token).await;
                if reply.status == 200 {
                    successes += 1;
                } else {
                    failures.lock().unwrap().push(format!("old token: {}", reply.body));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            successes
        })
    };

    let rotated = root.call_ok(ISSUER_API, "RotateSigningKey", &[("ActivationDelay", "2")]).await;
    let new_kid = rotated["SigningKey"]["Kid"].as_str().unwrap().to_owned();
    assert_ne!(new_kid, old_kid);
    let mut kids_seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(4);
    while tokio::time::Instant::now() < deadline {
        let token = oauth.token_basic(&alice.client_id, &alice.secret, "api:billing|read").await.access_token();
        kids_seen.push(jsonwebtoken::decode_header(&token).unwrap().kid.expect("kid"));
        let reply = exchange(&server.anonymous(), &provider, &role, &token).await;
        if reply.status != 200 {
            failures.lock().unwrap().push(format!("new token: {}", reply.body));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop.store(true, Ordering::SeqCst);
    let old_successes = background.await.expect("background task");

    let failures = failures.lock().unwrap().clone();
    assert!(failures.is_empty(), "exchanges failed across the rotation: {failures:?}");
    assert!(old_successes >= 20, "only {old_successes} exchanges of the old token ran");
    assert!(kids_seen.contains(&old_kid), "the old key signed before activation: {kids_seen:?}");
    assert!(kids_seen.contains(&new_kid), "the new key signed after activation: {kids_seen:?}");
    let first_new = kids_seen.iter().position(|kid| *kid == new_kid).unwrap();
    assert!(
        kids_seen[first_new..].iter().all(|kid| *kid == new_kid),
        "no old-key token after the switch: {kids_seen:?}"
    );

    let keys = root.call_ok(ISSUER_API, "ListSigningKeys", &[]).await;
    let states: Vec<(&str, &str)> = keys["SigningKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| (key["Kid"].as_str().unwrap(), key["State"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [(old_kid.as_str(), "Retiring"), (new_kid.as_str(), "Active")]);
    let (_, jwks) = oauth.get("/jwks").await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2, "the retiring key stays published");
    let again = exchange(&server.anonymous(), &provider, &role, &old_token).await;
    assert_eq!(again.status, 200, "{}", again.body);
    server.stop().await;
}
