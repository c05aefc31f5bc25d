//! The issuer's discovery, JWKS and token endpoints: every client authentication method, token
//! contents checked with the independent `jsonwebtoken` library, and one case per error.

use serde_json::{json, Value};

use crate::testkit::issuer::{KeyKind, SigningKey};
use crate::testkit::oauth::{
    assertion_claims, client_with_grant, hs256_assertion, OAuthClient, OAuthReply, ASSERTION_TYPE, ISSUER_API,
};
use crate::testkit::server::TestServer;

fn assert_oauth_error(reply: &OAuthReply, status: u16, error: &str, fragment: &str) {
    assert_eq!(reply.status, status, "status of {}", reply.body);
    assert_eq!(reply.error(), error, "{}", reply.body);
    assert!(reply.description().contains(fragment), "{fragment:?} not in {:?}", reply.description());
    assert!(reply.body["request_id"].as_str().is_some_and(|id| id.len() == 36), "{}", reply.body);
    assert_eq!(reply.cache_control.as_deref(), Some("no-store"));
    if status == 401 {
        assert_eq!(reply.www_authenticate.as_deref(), Some("Basic realm=\"akless issuer\""));
    } else {
        assert_eq!(reply.www_authenticate, None);
    }
}

#[tokio::test]
async fn discovery_and_jwks_describe_the_issuer() {
    let server = TestServer::start().await;
    let oauth = OAuthClient::new(&server);
    let (status, discovery) = oauth.get("/.well-known/openid-configuration").await;
    assert_eq!(status, 200);
    assert_eq!(discovery["issuer"], oauth.issuer);
    assert_eq!(oauth.issuer, format!("{}/api/v2/iauths_system/oauth2", server.server.url()));
    assert_eq!(discovery["token_endpoint"], oauth.token_endpoint());
    assert_eq!(discovery["jwks_uri"], format!("{}/jwks", oauth.issuer));
    assert_eq!(discovery["introspection_endpoint"], format!("{}/introspect", oauth.issuer));
    assert_eq!(discovery["revocation_endpoint"], format!("{}/revoke", oauth.issuer));
    assert_eq!(discovery["grant_types_supported"], json!(["client_credentials"]));
    assert_eq!(
        discovery["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"])
    );

    let (status, jwks) = oauth.get("/jwks").await;
    assert_eq!(status, 200);
    let keys = jwks["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 1, "a new server has one key: {jwks}");
    assert_eq!(keys[0]["kty"], "EC");
    assert_eq!(keys[0]["crv"], "P-256");
    assert_eq!(keys[0]["alg"], "ES256");
    assert_eq!(keys[0]["use"], "sig");
    assert!(keys[0]["kid"].as_str().is_some_and(|kid| kid.len() == 43));
    assert!(keys[0].get("d").is_none(), "no private member");

    let issuer = server.root().call_ok(ISSUER_API, "GetIssuer", &[]).await;
    assert_eq!(issuer["Issuer"]["IssuerUrl"], oauth.issuer);
    assert_eq!(issuer["Issuer"]["SigningAlgorithm"], "ES256");
    server.stop().await;
}

#[tokio::test]
async fn basic_token_verifies_with_jsonwebtoken() {
    let server = TestServer::start().await;
    let oauth = OAuthClient::new(&server);
    let fixture = client_with_grant(&server.root(), "billing", "client_secret_basic").await;
    let before = time::OffsetDateTime::now_utc().unix_timestamp();
    let reply = oauth.token_basic(&fixture.client_id, &fixture.secret, "api:billing|.all").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.cache_control.as_deref(), Some("no-store"));
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 3600);
    let expires_at = reply.body["expires_at"].as_i64().expect("expires_at");
    assert!((before + 3600..=before + 3602).contains(&expires_at), "expires_at {expires_at}");

    let (header, claims) = oauth.verify_with_jsonwebtoken(&reply.access_token(), &fixture.audience).await;
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(claims["iss"], oauth.issuer);
    assert_eq!(claims["sub"], fixture.client_id);
    assert_eq!(claims["client_id"], fixture.client_id);
    assert_eq!(claims["aud"], "api:billing");
    assert_eq!(claims["scope"], "read write", ".all gives every granted permission");
    assert_eq!(claims["exp"], expires_at);
    assert_eq!(claims["iat"], claims["nbf"]);
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 3600);
    assert!(claims["jti"].as_str().is_some_and(|jti| jti.len() >= 16));
    server.stop().await;
}

#[tokio::test]
async fn post_auth_with_listed_scope_and_lifetime() {
    let server = TestServer::start().await;
    let root = server.root();
    let oauth = OAuthClient::new(&server);
    let fixture = client_with_grant(&root, "billing", "client_secret_post").await;
    root.call_ok(ISSUER_API, "UpdateClient", &[("ClientId", &fixture.client_id), ("NewAccessTokenLifetime", "600")])
        .await;

    let reply = oauth
        .post(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &fixture.client_id),
                ("client_secret", &fixture.secret),
                ("scope", "api:billing|write api:billing|write"),
            ],
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["expires_in"], 600);
    let (_, claims) = oauth.verify_with_jsonwebtoken(&reply.access_token(), "api:billing").await;
    assert_eq!(claims["scope"], "write");

    // The Python SDK sends client_id in the form next to Basic credentials; that is one method.
    root.call_ok(
        ISSUER_API,
        "UpdateClient",
        &[("ClientId", &fixture.client_id), ("NewAuthMethods", "client_secret_basic")],
    )
    .await;
    let reply = oauth
        .post(
            "/token",
            &[("grant_type", "client_credentials"), ("client_id", &fixture.client_id), ("scope", "api:billing|read")],
            Some((&fixture.client_id, &fixture.secret)),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    server.stop().await;
}

#[tokio::test]
async fn client_secret_jwt_accepted_once() {
    let server = TestServer::start().await;
    let oauth = OAuthClient::new(&server);
    let fixture = client_with_grant(&server.root(), "billing", "client_secret_jwt").await;
    let assertion = hs256_assertion(&fixture.secret, &assertion_claims(&fixture.client_id, &oauth.token_endpoint()));
    let reply = oauth.token_assertion(&assertion, "api:billing|read").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let (_, claims) = oauth.verify_with_jsonwebtoken(&reply.access_token(), "api:billing").await;
    assert_eq!(claims["sub"], fixture.client_id);

    let replay = oauth.token_assertion(&assertion, "api:billing|read").await;
    assert_oauth_error(&replay, 401, "invalid_client", "jti was already used");

    let wrong = hs256_assertion("akcs_not-the-secret", &assertion_claims(&fixture.client_id, &oauth.token_endpoint()));
    assert_oauth_error(&oauth.token_assertion(&wrong, "api:billing|read").await, 401, "invalid_client", "signature");
    server.stop().await;
}

#[tokio::test]
async fn private_key_jwt_with_rs256_and_es256() {
    let server = TestServer::start().await;
    let root = server.root();
    let oauth = OAuthClient::new(&server);
    let fixture = client_with_grant(&root, "billing", "private_key_jwt").await;
    assert!(fixture.secret.is_empty(), "a private_key_jwt client gets no secret");
    let ec = SigningKey::generate(KeyKind::EcP256, "ec-1");
    let rsa = SigningKey::generate(KeyKind::Rsa2048, "rsa-1");
    let jwks = json!({"keys": [ec.jwk(), rsa.jwk()]}).to_string();
    let set = root.call_ok(ISSUER_API, "SetClientJwks", &[("ClientId", &fixture.client_id), ("Jwks", &jwks)]).await;
    assert_eq!(set["Client"]["Jwks"]["keys"].as_array().map(Vec::len), Some(2));

    // aud may be the token endpoint or the issuer URL.
    for (key, alg, aud) in [(&ec, "ES256", oauth.token_endpoint()), (&rsa, "RS256", oauth.issuer.clone())] {
        let assertion = key.sign(alg, Some(key.kid()), &assertion_claims(&fixture.client_id, &aud));
        let reply = oauth.token_assertion(&assertion, "api:billing|read").await;
        assert_eq!(reply.status, 200, "{alg}: {}", reply.body);
        let replay = oauth.token_assertion(&assertion, "api:billing|read").await;
        assert_oauth_error(&replay, 401, "invalid_client", "jti was already used");
    }

    let stranger = SigningKey::generate(KeyKind::EcP256, "ec-1");
    let forged = stranger.sign("ES256", Some("ec-1"), &assertion_claims(&fixture.client_id, &oauth.token_endpoint()));
    assert_oauth_error(&oauth.token_assertion(&forged, "api:billing|read").await, 401, "invalid_client", "registered");

    let mut expired = assertion_claims(&fixture.client_id, &oauth.token_endpoint());
    expired["exp"] = json!(time::OffsetDateTime::now_utc().unix_timestamp() - 120);
    let assertion = ec.sign("ES256", Some("ec-1"), &expired);
    assert_oauth_error(
        &oauth.token_assertion(&assertion, "api:billing|read").await,
        401,
        "invalid_client",
        "exp claim",
    );

    let elsewhere =
        ec.sign("ES256", Some("ec-1"), &assertion_claims(&fixture.client_id, "https://other.example/token"));
    assert_oauth_error(
        &oauth.token_assertion(&elsewhere, "api:billing|read").await,
        401,
        "invalid_client",
        "aud claim",
    );

    let other_client = ec.sign("ES256", Some("ec-1"), &assertion_claims(&fixture.client_id, &oauth.token_endpoint()));
    let reply = oauth
        .post(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("scope", "api:billing|read"),
                ("client_id", "akcSomeoneElse"),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", &other_client),
            ],
            None,
        )
        .await;
    assert_oauth_error(&reply, 401, "invalid_client", "client_id parameter differs");

    // Removing the keys stops the method.
    root.call_ok(ISSUER_API, "SetClientJwks", &[("ClientId", &fixture.client_id), ("Jwks", r#"{"keys":[]}"#)]).await;
    let assertion = ec.sign("ES256", Some("ec-1"), &assertion_claims(&fixture.client_id, &oauth.token_endpoint()));
    assert_oauth_error(
        &oauth.token_assertion(&assertion, "api:billing|read").await,
        401,
        "invalid_client",
        "registered",
    );
    server.stop().await;
}

#[tokio::test]
async fn request_shape_errors() {
    let server = TestServer::start().await;
    let oauth = OAuthClient::new(&server);
    let f = client_with_grant(&server.root(), "billing", "client_secret_basic,client_secret_post").await;
    let basic = Some((f.client_id.as_str(), f.secret.as_str()));

    let reply = oauth.post("/token", &[("scope", "api:billing|read")], basic).await;
    assert_oauth_error(&reply, 400, "invalid_request", "grant_type parameter is missing");

    let reply = oauth.post("/token", &[("grant_type", "password"), ("scope", "api:billing|read")], basic).await;
    assert_oauth_error(&reply, 400, "unsupported_grant_type", "grant_type password is not supported");

    let body = "grant_type=client_credentials&scope=api%3Abilling%7Cread&scope=api%3Abilling%7Cwrite".to_owned();
    let reply = oauth.post_raw("/token", "application/x-www-form-urlencoded", body, basic).await;
    assert_oauth_error(&reply, 400, "invalid_request", "scope parameter is repeated");

    let reply =
        oauth.post_raw("/token", "application/json", r#"{"grant_type":"client_credentials"}"#.into(), basic).await;
    assert_oauth_error(&reply, 400, "invalid_request", "Content-Type");

    let big = format!("grant_type=client_credentials&pad={}", "a".repeat(17 * 1024));
    let reply = oauth.post_raw("/token", "application/x-www-form-urlencoded", big, basic).await;
    assert_oauth_error(&reply, 400, "invalid_request", "larger than 16384 bytes");

    let reply = oauth
        .post(
            "/token",
            &[("grant_type", "client_credentials"), ("client_secret", &f.secret), ("scope", "api:billing|read")],
            basic,
        )
        .await;
    assert_oauth_error(&reply, 400, "invalid_request", "more than one client authentication method");

    let reply = oauth
        .post("/token", &[("grant_type", "client_credentials"), ("client_secret", &f.secret), ("scope", "x|y")], None)
        .await;
    assert_oauth_error(&reply, 400, "invalid_request", "client_id parameter is missing");

    let reply = oauth
        .post(
            "/token",
            &[("grant_type", "client_credentials"), ("client_assertion", "a.b.c"), ("client_assertion_type", "urn:x")],
            None,
        )
        .await;
    assert_oauth_error(&reply, 400, "invalid_request", "client_assertion_type must be");
    server.stop().await;
}

#[tokio::test]
async fn client_authentication_errors() {
    let server = TestServer::start().await;
    let root = server.root();
    let oauth = OAuthClient::new(&server);
    let f = client_with_grant(&root, "billing", "client_secret_basic").await;

    let reply =
        oauth.post("/token", &[("grant_type", "client_credentials"), ("scope", "api:billing|read")], None).await;
    assert_oauth_error(&reply, 401, "invalid_client", "no client authentication");

    let reply = oauth.token_basic(&f.client_id, "akcs_wrong", "api:billing|read").await;
    assert_oauth_error(&reply, 401, "invalid_client", "client_secret is wrong");
    let reply = oauth.token_basic("akcDoesNotExist", &f.secret, "api:billing|read").await;
    assert_oauth_error(&reply, 401, "invalid_client", "client_id is unknown");

    // The right secret with a method the client may not use.
    let reply = oauth
        .post(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &f.client_id),
                ("client_secret", &f.secret),
                ("scope", "api:billing|read"),
            ],
            None,
        )
        .await;
    assert_oauth_error(&reply, 401, "invalid_client", "may not authenticate with client_secret_post");
    let assertion = hs256_assertion(&f.secret, &assertion_claims(&f.client_id, &oauth.token_endpoint()));
    assert_oauth_error(
        &oauth.token_assertion(&assertion, "api:billing|read").await,
        401,
        "invalid_client",
        "may not authenticate with client_secret_jwt",
    );

    // A revoked secret stops working at once; a second secret keeps the client working.
    let second = root.call_ok(ISSUER_API, "CreateClientSecret", &[("ClientId", &f.client_id)]).await;
    let second_secret = second["ClientSecret"]["Secret"].as_str().unwrap().to_owned();
    let secrets = root.call_ok(ISSUER_API, "ListClientSecrets", &[("ClientId", &f.client_id)]).await;
    let first_id = secrets["ClientSecrets"][0]["SecretId"].as_str().unwrap().to_owned();
    root.call_ok(ISSUER_API, "RevokeClientSecret", &[("ClientId", &f.client_id), ("SecretId", &first_id)]).await;
    let reply = oauth.token_basic(&f.client_id, &f.secret, "api:billing|read").await;
    assert_oauth_error(&reply, 401, "invalid_client", "client_secret is wrong");
    let reply = oauth.token_basic(&f.client_id, &second_secret, "api:billing|read").await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    // Deleting the client stops its tokens being issued.
    root.call_ok(ISSUER_API, "DeleteClient", &[("ClientId", &f.client_id)]).await;
    let reply = oauth.token_basic(&f.client_id, &second_secret, "api:billing|read").await;
    assert_oauth_error(&reply, 401, "invalid_client", "client_id is unknown");

    server.stop().await;
}

#[tokio::test]
async fn scope_and_grant_errors() {
    let server = TestServer::start().await;
    let root = server.root();
    let oauth = OAuthClient::new(&server);
    let f = client_with_grant(&root, "billing", "client_secret_basic").await;
    crate::testkit::oauth::ensure_resource_server(&root, "reports").await;

    let cases: Vec<(&str, &str, &str)> = vec![
        ("", "invalid_scope", "scope parameter is missing"),
        ("read", "invalid_scope", "no '|'"),
        ("api:billing|read api:reports|read", "invalid_scope", "more than one audience"),
        ("api:billing|admin", "invalid_scope", "api:billing|admin is not granted"),
        ("api:reports|read", "invalid_grant", "no grant on a resource server with identifier api:reports"),
        ("api:unknown|.all", "invalid_grant", "CreateGrant"),
    ];
    for (scope, error, fragment) in cases {
        let reply = oauth.token_basic(&f.client_id, &f.secret, scope).await;
        assert_oauth_error(&reply, 400, error, fragment);
    }
    let long = format!("api:billing|{}", "r".repeat(5000));
    assert_oauth_error(
        &oauth.token_basic(&f.client_id, &f.secret, &long).await,
        400,
        "invalid_scope",
        "longer than 4096",
    );

    // A new grant takes effect at once.
    root.call_ok(
        ISSUER_API,
        "CreateGrant",
        &[("ClientId", &f.client_id), ("ResourceServerName", "reports"), ("Permissions", "admin")],
    )
    .await;
    let reply = oauth.token_basic(&f.client_id, &f.secret, "api:reports|.all").await;
    let (_, claims) = oauth.verify_with_jsonwebtoken(&reply.access_token(), "api:reports").await;
    assert_eq!(claims["scope"], "admin");
    server.stop().await;
}

#[tokio::test]
async fn rs256_issuer_after_rotation() {
    let server = TestServer::start().await;
    let root = server.root();
    let oauth = OAuthClient::new(&server);
    let f = client_with_grant(&root, "billing", "client_secret_basic").await;
    let rotated =
        root.call_ok(ISSUER_API, "RotateSigningKey", &[("Algorithm", "RS256"), ("ActivationDelay", "0")]).await;
    assert_eq!(rotated["SigningKey"]["Algorithm"], "RS256");
    assert_eq!(rotated["SigningKey"]["State"], "Active");
    let reply = oauth.token_basic(&f.client_id, &f.secret, "api:billing|read").await;
    let (header, _) = oauth.verify_with_jsonwebtoken(&reply.access_token(), "api:billing").await;
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), rotated["SigningKey"]["Kid"].as_str());

    // Without Algorithm the rotation keeps RS256.
    let again = root.call_ok(ISSUER_API, "RotateSigningKey", &[("ActivationDelay", "0")]).await;
    assert_eq!(again["SigningKey"]["Algorithm"], "RS256");
    let (_, jwks) = oauth.get("/jwks").await;
    let algs: Vec<&Value> = jwks["keys"].as_array().unwrap().iter().map(|k| &k["alg"]).collect();
    assert_eq!(algs, [&json!("ES256"), &json!("RS256"), &json!("RS256")], "retired keys stay published");
    server.stop().await;
}
