//! Token introspection (RFC 7662) and revocation (RFC 7009) of the issuer.

use crate::testkit::oauth::{assertion_claims, client_with_grant, hs256_assertion, OAuthClient, ASSERTION_TYPE};
use crate::testkit::server::TestServer;

#[tokio::test]
async fn introspection_reports_own_tokens_only() {
    let server = TestServer::start().await;
    let root = server.root();
    let oauth = OAuthClient::new(&server);
    let alice = client_with_grant(&root, "billing", "client_secret_basic").await;
    let bob = client_with_grant(&root, "billing", "client_secret_basic,client_secret_jwt").await;
    let token = oauth.token_basic(&alice.client_id, &alice.secret, "api:billing|.all").await.access_token();

    let reply = oauth.post("/introspect", &[("token", &token)], Some((&alice.client_id, &alice.secret))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.cache_control.as_deref(), Some("no-store"));
    let body = &reply.body;
    assert_eq!(body["active"], true);
    assert_eq!(body["client_id"], alice.client_id);
    assert_eq!(body["sub"], alice.client_id);
    assert_eq!(body["aud"], "api:billing");
    assert_eq!(body["iss"], oauth.issuer);
    assert_eq!(body["scope"], "read write");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["exp"].as_i64().unwrap() > body["iat"].as_i64().unwrap());

    // Bob, even authenticated by a client assertion, gets Alice's token reported inactive.
    let assertion =
        hs256_assertion(&bob.secret, &assertion_claims(&bob.client_id, &format!("{}/introspect", oauth.issuer)));
    let reply = oauth
        .post(
            "/introspect",
            &[("token", &token), ("client_assertion_type", ASSERTION_TYPE), ("client_assertion", &assertion)],
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body, serde_json::json!({"active": false}));

    for garbage in ["not-a-token", "a.b.c", &format!("{token}x")] {
        let reply = oauth.post("/introspect", &[("token", garbage)], Some((&alice.client_id, &alice.secret))).await;
        assert_eq!(reply.body, serde_json::json!({"active": false}), "{garbage}");
    }

    let reply = oauth.post("/introspect", &[], Some((&alice.client_id, &alice.secret))).await;
    assert_eq!((reply.status, reply.error()), (400, "invalid_request"));
    assert!(reply.description().contains("token parameter is missing"), "{}", reply.description());
    let reply = oauth.post("/introspect", &[("token", &token)], None).await;
    assert_eq!((reply.status, reply.error()), (401, "invalid_client"));
    let reply = oauth.post("/introspect", &[("token", &token)], Some((&alice.client_id, "akcs_wrong"))).await;
    assert_eq!((reply.status, reply.error()), (401, "invalid_client"));
    server.stop().await;
}

fn as_refs<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn revocation_deactivates_token() {
    let server = TestServer::start().await;
    let root = server.root();
    let oauth = OAuthClient::new(&server);
    let alice = client_with_grant(&root, "billing", "client_secret_post").await;
    let bob = client_with_grant(&root, "billing", "client_secret_basic").await;
    let token = oauth
        .post(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &alice.client_id),
                ("client_secret", &alice.secret),
                ("scope", "api:billing|read"),
            ],
            None,
        )
        .await
        .access_token();
    let alice_form = |extra: &[(&'static str, &str)]| {
        let mut form = vec![("client_id", alice.client_id.clone()), ("client_secret", alice.secret.clone())];
        form.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        form
    };

    // Another client may not revoke it.
    let reply = oauth.post("/revoke", &[("token", &token)], Some((&bob.client_id, &bob.secret))).await;
    assert_eq!((reply.status, reply.error()), (400, "unauthorized_client"), "{}", reply.body);
    assert!(reply.description().contains("another client"), "{}", reply.description());

    let introspect = alice_form(&[("token", &token)]);
    let active = oauth.post("/introspect", &as_refs(&introspect), None).await;
    assert_eq!(active.body["active"], true, "still active after the refused revocation");

    let revoke = alice_form(&[("token", &token), ("token_type_hint", "access_token")]);
    let reply = oauth.post("/revoke", &as_refs(&revoke), None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.cache_control.as_deref(), Some("no-store"));
    let inactive = oauth.post("/introspect", &as_refs(&introspect), None).await;
    assert_eq!(inactive.body, serde_json::json!({"active": false}));

    // Revoking again, or revoking an invalid token, succeeds without effect (RFC 7009 section 2.2).
    let reply = oauth.post("/revoke", &as_refs(&revoke), None).await;
    assert_eq!(reply.status, 200);
    let garbage = alice_form(&[("token", "garbage")]);
    assert_eq!(oauth.post("/revoke", &as_refs(&garbage), None).await.status, 200);
    let reply = oauth.post("/revoke", &as_refs(&alice_form(&[])), None).await;
    assert_eq!((reply.status, reply.error()), (400, "invalid_request"));
    let reply = oauth.post("/revoke", &[("token", &token)], None).await;
    assert_eq!((reply.status, reply.error()), (401, "invalid_client"));
    server.stop().await;
}
