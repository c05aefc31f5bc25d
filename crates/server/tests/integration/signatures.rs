//! Signed-request checks: each failure has its own code and status.

use serde_json::json;

use crate::testkit::client::{ApiClient, Credentials, Signing, Tweaks};
use crate::testkit::server::TestServer;

const STS: &str = "2015-04-01";

fn client(server: &TestServer, id: &str, secret: &str, token: Option<String>, signing: Signing) -> ApiClient {
    ApiClient::new(
        &server.server.url(),
        &server.ca_file(),
        Some(Credentials { id: id.into(), secret: secret.into(), token }),
        signing,
    )
}

#[tokio::test]
async fn v1_and_v3_root_signatures_pass() {
    let server = TestServer::start().await;
    let (id, secret) = server.server.root_credentials().unwrap();
    for signing in [Signing::V1, Signing::V3] {
        let reply = client(&server, &id, &secret, None, signing)
            .call(STS, "GetCallerIdentity", &[("Note", "spaces and * and ~ and ü")])
            .await;
        assert_eq!(reply.status, 200, "{signing:?}: {}", reply.body);
    }
    server.stop().await;
}

#[tokio::test]
async fn signature_failures_have_their_codes() {
    let server = TestServer::start().await;
    let (id, secret) = server.server.root_credentials().unwrap();
    for signing in [Signing::V1, Signing::V3] {
        let good = client(&server, &id, &secret, None, signing);

        let wrong = Tweaks { secret: Some("wrong-secret".into()), ..Default::default() };
        let reply = good.call_tweaked(STS, "GetCallerIdentity", &[], &wrong).await;
        assert_eq!((reply.status, reply.code()), (400, "SignatureDoesNotMatch"), "{signing:?}: {}", reply.body);

        let nonce = Tweaks { nonce: Some(format!("fixed-{signing:?}")), ..Default::default() };
        assert_eq!(good.call_tweaked(STS, "GetCallerIdentity", &[], &nonce).await.status, 200);
        let reply = good.call_tweaked(STS, "GetCallerIdentity", &[], &nonce).await;
        assert_eq!((reply.status, reply.code()), (400, "SignatureNonceUsed"), "{signing:?}: {}", reply.body);

        let stale = Tweaks { time: Some(time::OffsetDateTime::now_utc() - time::Duration::minutes(16)), ..Default::default() };
        let reply = good.call_tweaked(STS, "GetCallerIdentity", &[], &stale).await;
        assert_eq!((reply.status, reply.code()), (400, "InvalidTimeStamp.Expired"), "{signing:?}: {}", reply.body);
        let future = Tweaks { time: Some(time::OffsetDateTime::now_utc() + time::Duration::minutes(16)), ..Default::default() };
        let reply = good.call_tweaked(STS, "GetCallerIdentity", &[], &future).await;
        assert_eq!(reply.code(), "InvalidTimeStamp.Expired", "{signing:?}");

        let unknown = client(&server, "LTAIunknownunknown000000", &secret, None, signing);
        let reply = unknown.call(STS, "GetCallerIdentity", &[]).await;
        assert_eq!((reply.status, reply.code()), (404, "InvalidAccessKeyId.NotFound"), "{signing:?}: {}", reply.body);
    }
    server.stop().await;
}

#[tokio::test]
async fn unsigned_admin_call_is_incomplete_signature() {
    let server = TestServer::start().await;
    let reply = server.anonymous().call("2019-08-15", "ListOIDCProviders", &[]).await;
    assert_eq!((reply.status, reply.code()), (400, "IncompleteSignature"), "{}", reply.body);
    let reply = server.anonymous().call(STS, "NoSuchAction", &[]).await;
    assert_eq!((reply.status, reply.code()), (404, "InvalidAction.NotFound"), "{}", reply.body);
    let reply = server.anonymous().call("2000-01-01", "GetCallerIdentity", &[]).await;
    assert_eq!((reply.status, reply.code()), (400, "InvalidVersion"), "{}", reply.body);
    server.stop().await;
}

#[tokio::test]
async fn security_token_checks() {
    let server = TestServer::start().await;
    let provider = server.create_provider("idp").await;
    let role = server.create_role("r", &provider, serde_json::Value::Null).await;
    let token = server.token(json!({}));
    let reply = server
        .anonymous()
        .call(STS, "AssumeRoleWithOIDC", &[("OIDCProviderArn", &provider), ("RoleArn", &role), ("OIDCToken", &token), ("RoleSessionName", "s1")])
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let creds = &reply.body["Credentials"];
    let id = creds["AccessKeyId"].as_str().unwrap();
    let secret = creds["AccessKeySecret"].as_str().unwrap();
    let sealed = creds["SecurityToken"].as_str().unwrap().to_owned();

    for signing in [Signing::V1, Signing::V3] {
        let mut broken = sealed.clone().into_bytes();
        let at = broken.len() - 3;
        broken[at] = if broken[at] == b'a' { b'b' } else { b'a' };
        let reply = client(&server, id, secret, Some(String::from_utf8(broken).unwrap()), signing)
            .call(STS, "GetCallerIdentity", &[])
            .await;
        assert_eq!((reply.status, reply.code()), (400, "InvalidSecurityToken.MalFormed"), "{signing:?}: {}", reply.body);

        // A valid token presented with another AccessKeyId.
        let reply = client(&server, "STS.someoneelse0000000000000", secret, Some(sealed.clone()), signing)
            .call(STS, "GetCallerIdentity", &[])
            .await;
        assert_eq!(reply.code(), "InvalidSecurityToken.MalFormed", "{signing:?}: {}", reply.body);

        let reply = client(&server, id, secret, None, signing).call(STS, "GetCallerIdentity", &[]).await;
        assert_eq!(reply.code(), "IncompleteSignature", "{signing:?}: {}", reply.body);
    }
    server.stop().await;
}

#[tokio::test]
async fn sessions_from_another_master_key_are_rejected() {
    let first = TestServer::start().await;
    let provider = first.create_provider("idp").await;
    let role = first.create_role("r", &provider, serde_json::Value::Null).await;
    let token = first.token(json!({}));
    let reply = first
        .anonymous()
        .call(STS, "AssumeRoleWithOIDC", &[("OIDCProviderArn", &provider), ("RoleArn", &role), ("OIDCToken", &token), ("RoleSessionName", "s1")])
        .await;
    assert_eq!(reply.status, 200);
    let second = TestServer::start().await;
    let reply = second.session(&reply.body, Signing::V3).call(STS, "GetCallerIdentity", &[]).await;
    assert_eq!(reply.code(), "InvalidSecurityToken.MalFormed", "{}", reply.body);
    first.stop().await;
    second.stop().await;
}

#[tokio::test]
async fn nonce_stays_used_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let start = || {
        let mut config = akless_server::ServerConfig::new(dir.path().join("data"));
        config.listen = "127.0.0.1:0".parse().unwrap();
        akless_server::Server::start(config)
    };
    let tweaks = Tweaks { nonce: Some("restart-nonce".into()), ..Default::default() };

    let server = start().await.unwrap();
    let (id, secret) = server.root_credentials().unwrap();
    let ca = server.ca_file().cloned().unwrap();
    let first = ApiClient::new(&server.url(), &ca, Some(Credentials { id: id.clone(), secret: secret.clone(), token: None }), Signing::V3);
    assert_eq!(first.call_tweaked(STS, "GetCallerIdentity", &[], &tweaks).await.status, 200);
    server.shutdown().await;

    let server = start().await.unwrap();
    let again = ApiClient::new(&server.url(), &ca, Some(Credentials { id, secret, token: None }), Signing::V3);
    let reply = again.call_tweaked(STS, "GetCallerIdentity", &[], &tweaks).await;
    assert_eq!((reply.status, reply.code()), (400, "SignatureNonceUsed"), "{}", reply.body);
    server.shutdown().await;
}
