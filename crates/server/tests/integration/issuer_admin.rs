//! The akless issuer API (2026-12-01): resource servers, clients, secrets, grants and signing keys,
//! with their name rules, limits and conflicts, and authorization of session callers.

use serde_json::{json, Value};

use crate::testkit::client::{ApiClient, Reply, Signing};
use crate::testkit::issuer::{KeyKind, SigningKey};
use crate::testkit::oauth::ISSUER_API;
use crate::testkit::server::TestServer;

fn assert_code(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.code(), code, "{}", reply.body);
}

async fn create_client(root: &ApiClient, methods: &str) -> Value {
    root.call_ok(ISSUER_API, "CreateClient", &[("ClientName", "app"), ("AuthMethods", methods)]).await
}

#[tokio::test]
async fn resource_server_lifecycle() {
    let server = TestServer::start().await;
    let root = server.root();
    let created = root
        .call_ok(
            ISSUER_API,
            "CreateResourceServer",
            &[
                ("ResourceServerName", "billing"),
                ("Identifier", "https://api.example.com/billing"),
                ("Permissions", "read, write,read"),
                ("Description", "Billing API"),
            ],
        )
        .await;
    let rs = &created["ResourceServer"];
    assert_eq!(rs["ResourceServerName"], "billing");
    assert_eq!(rs["Identifier"], "https://api.example.com/billing");
    assert_eq!(rs["Permissions"], json!(["read", "write"]));
    assert_eq!(rs["Description"], "Billing API");
    assert!(akless_core::timefmt::parse_iso8601(rs["CreateDate"].as_str().unwrap()).is_some());

    let got = root.call_ok(ISSUER_API, "GetResourceServer", &[("ResourceServerName", "billing")]).await;
    assert_eq!(got["ResourceServer"], *rs);
    root.call_ok(
        ISSUER_API,
        "CreateResourceServer",
        &[("ResourceServerName", "audit"), ("Identifier", "api:audit"), ("Permissions", "read")],
    )
    .await;
    let listed = root.call_ok(ISSUER_API, "ListResourceServers", &[("MaxItems", "1")]).await;
    assert_eq!(listed["ResourceServers"][0]["ResourceServerName"], "audit");
    assert_eq!(listed["IsTruncated"], true);
    let marker = listed["Marker"].as_str().unwrap().to_owned();
    let rest = root.call_ok(ISSUER_API, "ListResourceServers", &[("Marker", &marker)]).await;
    assert_eq!(rest["ResourceServers"][0]["ResourceServerName"], "billing");
    assert_eq!(rest["IsTruncated"], false);

    let updated = root
        .call_ok(
            ISSUER_API,
            "UpdateResourceServer",
            &[("ResourceServerName", "billing"), ("NewPermissions", "read,admin"), ("NewDescription", "")],
        )
        .await;
    assert_eq!(updated["ResourceServer"]["Permissions"], json!(["read", "admin"]));
    assert_eq!(updated["ResourceServer"]["Description"], "");
    assert_eq!(updated["ResourceServer"]["Identifier"], "https://api.example.com/billing");

    root.call_ok(ISSUER_API, "DeleteResourceServer", &[("ResourceServerName", "billing")]).await;
    let reply = root.call(ISSUER_API, "GetResourceServer", &[("ResourceServerName", "billing")]).await;
    assert_code(&reply, 404, "EntityNotExist.ResourceServer");
    server.stop().await;
}

#[tokio::test]
async fn resource_server_rules_and_conflicts() {
    let server = TestServer::start().await;
    let root = server.root();
    let create = |name: &'static str, identifier: &'static str, permissions: &'static str| {
        let root = root.clone();
        async move {
            root.call(
                ISSUER_API,
                "CreateResourceServer",
                &[("ResourceServerName", name), ("Identifier", identifier), ("Permissions", permissions)],
            )
            .await
        }
    };
    assert_code(&create("bad name", "api:x", "read").await, 400, "InvalidParameter.ResourceServerName");
    assert_code(&create("x", "api x", "read").await, 400, "InvalidParameter.Identifier");
    assert_code(&create("x", "api|x", "read").await, 400, "InvalidParameter.Identifier");
    let reply = create("x", "api:x", ".all").await;
    assert_code(&reply, 400, "InvalidParameter.Permissions");
    assert!(reply.message().contains("letters, digits"), "{}", reply.message());
    assert_code(&create("x", "api:x", "").await, 400, "MissingParameter");

    assert_eq!(create("billing", "api:billing", "read,write").await.status, 200);
    assert_code(&create("billing", "api:other", "read").await, 409, "EntityAlreadyExists.ResourceServer");
    let reply = create("other", "api:billing", "read").await;
    assert_code(&reply, 409, "EntityAlreadyExists.ResourceServer.Identifier");

    // Permissions in grants and resource servers with grants cannot go away.
    let client = create_client(&root, "client_secret_basic").await;
    let client_id = client["Client"]["ClientId"].as_str().unwrap().to_owned();
    root.call_ok(
        ISSUER_API,
        "CreateGrant",
        &[("ClientId", &client_id), ("ResourceServerName", "billing"), ("Permissions", "write")],
    )
    .await;
    let reply = root
        .call(ISSUER_API, "UpdateResourceServer", &[("ResourceServerName", "billing"), ("NewPermissions", "read")])
        .await;
    assert_code(&reply, 409, "DeleteConflict.ResourceServer.Permission.Client");
    assert!(reply.message().contains(&client_id), "{}", reply.message());
    let reply = root.call(ISSUER_API, "DeleteResourceServer", &[("ResourceServerName", "billing")]).await;
    assert_code(&reply, 409, "DeleteConflict.ResourceServer.Client");
    server.stop().await;
}

#[tokio::test]
async fn client_lifecycle_and_secrets() {
    let server = TestServer::start().await;
    let root = server.root();
    let created = root
        .call_ok(
            ISSUER_API,
            "CreateClient",
            &[("ClientName", "ci-deployer"), ("AccessTokenLifetime", "900"), ("Description", "CI")],
        )
        .await;
    let client = &created["Client"];
    let client_id = client["ClientId"].as_str().unwrap().to_owned();
    assert!(client_id.starts_with("akc"), "{client_id}");
    assert_eq!(client_id.len(), 24, "{client_id}");
    assert_eq!(client["AuthMethods"], json!(["client_secret_basic", "client_secret_post"]), "default methods");
    assert_eq!(client["AccessTokenLifetime"], 900);
    assert_eq!(client["Jwks"], Value::Null);
    let secret = &created["ClientSecret"];
    assert!(secret["Secret"].as_str().is_some_and(|s| s.starts_with("akcs_") && s.len() == 48));
    assert_eq!(secret["Status"], "Active");

    let got = root.call_ok(ISSUER_API, "GetClient", &[("ClientId", &client_id)]).await;
    assert_eq!(got["Client"], *client);
    assert!(!got.to_string().contains(secret["Secret"].as_str().unwrap()), "the secret is shown only once");

    let updated = root
        .call_ok(
            ISSUER_API,
            "UpdateClient",
            &[("ClientId", &client_id), ("NewClientName", "renamed"), ("NewAuthMethods", "client_secret_jwt")],
        )
        .await;
    assert_eq!(updated["Client"]["ClientName"], "renamed");
    assert_eq!(updated["Client"]["AuthMethods"], json!(["client_secret_jwt"]));
    assert_eq!(updated["Client"]["AccessTokenLifetime"], 900);

    for _ in 0..4 {
        root.call_ok(ISSUER_API, "CreateClientSecret", &[("ClientId", &client_id)]).await;
    }
    let reply = root.call(ISSUER_API, "CreateClientSecret", &[("ClientId", &client_id)]).await;
    assert_code(&reply, 409, "LimitExceeded.Client.Secret");
    assert!(reply.message().contains("limit of 5"), "{}", reply.message());
    let first_id = secret["SecretId"].as_str().unwrap();
    let revoked =
        root.call_ok(ISSUER_API, "RevokeClientSecret", &[("ClientId", &client_id), ("SecretId", first_id)]).await;
    assert_eq!(revoked["ClientSecret"]["Status"], "Revoked");
    assert!(revoked["ClientSecret"]["RevokeDate"].is_string());
    root.call_ok(ISSUER_API, "CreateClientSecret", &[("ClientId", &client_id)]).await;
    let listed = root.call_ok(ISSUER_API, "ListClientSecrets", &[("ClientId", &client_id)]).await;
    let statuses: Vec<&str> =
        listed["ClientSecrets"].as_array().unwrap().iter().map(|s| s["Status"].as_str().unwrap()).collect();
    assert_eq!(statuses.len(), 6);
    assert_eq!(statuses.iter().filter(|s| **s == "Active").count(), 5);
    assert!(!listed.to_string().contains("\"Secret\""), "listing never shows secret text");
    let reply =
        root.call(ISSUER_API, "RevokeClientSecret", &[("ClientId", &client_id), ("SecretId", "cs-missing")]).await;
    assert_code(&reply, 404, "EntityNotExist.Client.Secret");

    let list = root.call_ok(ISSUER_API, "ListClients", &[]).await;
    assert_eq!(list["Clients"][0]["ClientId"], client_id);
    root.call_ok(ISSUER_API, "DeleteClient", &[("ClientId", &client_id)]).await;
    assert_code(&root.call(ISSUER_API, "GetClient", &[("ClientId", &client_id)]).await, 404, "EntityNotExist.Client");
    assert_code(
        &root.call(ISSUER_API, "DeleteClient", &[("ClientId", &client_id)]).await,
        404,
        "EntityNotExist.Client",
    );
    server.stop().await;
}

#[tokio::test]
async fn client_parameter_rules() {
    let server = TestServer::start().await;
    let root = server.root();
    let long_description = "d".repeat(257);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![], "MissingParameter"),
        (vec![("ClientName", "has space")], "InvalidParameter.ClientName"),
        (vec![("ClientName", "a"), ("AuthMethods", "none")], "InvalidParameter.AuthMethods"),
        (vec![("ClientName", "a"), ("AccessTokenLifetime", "299")], "InvalidParameter.AccessTokenLifetime"),
        (vec![("ClientName", "a"), ("AccessTokenLifetime", "43201")], "InvalidParameter.AccessTokenLifetime"),
        (vec![("ClientName", "a"), ("AccessTokenLifetime", "-1")], "InvalidParameter.AccessTokenLifetime"),
        (vec![("ClientName", "a"), ("Description", long_description.as_str())], "InvalidParameter.Description"),
        (vec![("ClientName", "a"), ("Jwks", r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#)], "InvalidParameter.Jwks"),
    ];
    for (params, code) in cases {
        let reply = root.call(ISSUER_API, "CreateClient", &params).await;
        assert_code(&reply, 400, code);
    }
    let reply = root.call(ISSUER_API, "GetClient", &[("ClientId", "bad id")]).await;
    assert_code(&reply, 400, "InvalidParameter.ClientId");

    let client = create_client(&root, "private_key_jwt").await;
    assert!(client.get("ClientSecret").is_none(), "no secret for a key-only client: {client}");
    let client_id = client["Client"]["ClientId"].as_str().unwrap();
    let key = SigningKey::generate(KeyKind::EcP256, "k1");
    let ed = SigningKey::generate(KeyKind::Ed25519, "k2");
    let reply = root
        .call(
            ISSUER_API,
            "SetClientJwks",
            &[("ClientId", client_id), ("Jwks", &json!({"keys": [key.jwk(), ed.jwk()]}).to_string())],
        )
        .await;
    assert_code(&reply, 400, "InvalidParameter.Jwks");
    assert!(reply.message().contains("key 2 of 2"), "{}", reply.message());
    let set = root
        .call_ok(
            ISSUER_API,
            "SetClientJwks",
            &[("ClientId", client_id), ("Jwks", &json!({"keys": [key.jwk()]}).to_string())],
        )
        .await;
    assert_eq!(set["Client"]["Jwks"]["keys"][0]["kid"], "k1");
    let reply =
        root.call(ISSUER_API, "UpdateClient", &[("ClientId", client_id), ("NewAccessTokenLifetime", "99999")]).await;
    assert_code(&reply, 400, "InvalidParameter.NewAccessTokenLifetime");
    server.stop().await;
}

#[tokio::test]
async fn grant_lifecycle() {
    let server = TestServer::start().await;
    let root = server.root();
    root.call_ok(
        ISSUER_API,
        "CreateResourceServer",
        &[("ResourceServerName", "billing"), ("Identifier", "api:billing"), ("Permissions", "read,write")],
    )
    .await;
    let client = create_client(&root, "client_secret_basic").await;
    let client_id = client["Client"]["ClientId"].as_str().unwrap();
    let grant = |permissions: &'static str| {
        [("ClientId", client_id), ("ResourceServerName", "billing"), ("Permissions", permissions)]
    };

    let reply = root.call(ISSUER_API, "CreateGrant", &grant("read,delete")).await;
    assert_code(&reply, 404, "EntityNotExist.ResourceServer.Permission");
    assert!(reply.message().contains("delete"), "{}", reply.message());
    let reply = root
        .call(
            ISSUER_API,
            "CreateGrant",
            &[("ClientId", client_id), ("ResourceServerName", "absent"), ("Permissions", "read")],
        )
        .await;
    assert_code(&reply, 404, "EntityNotExist.ResourceServer");
    let reply = root
        .call(
            ISSUER_API,
            "CreateGrant",
            &[("ClientId", "akcMissing"), ("ResourceServerName", "billing"), ("Permissions", "read")],
        )
        .await;
    assert_code(&reply, 404, "EntityNotExist.Client");

    let created = root.call_ok(ISSUER_API, "CreateGrant", &grant("write,read")).await;
    assert_eq!(created["Grant"]["Permissions"], json!(["write", "read"]));
    assert_code(&root.call(ISSUER_API, "CreateGrant", &grant("read")).await, 409, "EntityAlreadyExists.Grant");
    let updated = root.call_ok(ISSUER_API, "UpdateGrant", &grant("read")).await;
    assert_eq!(updated["Grant"]["Permissions"], json!(["read"]));
    let got = root.call_ok(ISSUER_API, "GetGrant", &[("ClientId", client_id), ("ResourceServerName", "billing")]).await;
    assert_eq!(got["Grant"], updated["Grant"]);

    let by_client = root.call_ok(ISSUER_API, "ListGrants", &[("ClientId", client_id)]).await;
    assert_eq!(by_client["Grants"].as_array().unwrap().len(), 1);
    let by_server = root.call_ok(ISSUER_API, "ListGrants", &[("ResourceServerName", "billing")]).await;
    assert_eq!(by_server["Grants"][0]["ClientId"], client_id);
    let all = root.call_ok(ISSUER_API, "ListGrants", &[]).await;
    assert_eq!(all["Grants"].as_array().unwrap().len(), 1);

    root.call_ok(ISSUER_API, "DeleteGrant", &[("ClientId", client_id), ("ResourceServerName", "billing")]).await;
    let reply = root.call(ISSUER_API, "GetGrant", &[("ClientId", client_id), ("ResourceServerName", "billing")]).await;
    assert_code(&reply, 404, "EntityNotExist.Grant");
    root.call_ok(ISSUER_API, "DeleteResourceServer", &[("ResourceServerName", "billing")]).await;
    server.stop().await;
}

#[tokio::test]
async fn signing_key_listing_and_pending_rotation() {
    let server = TestServer::start().await;
    let root = server.root();
    let keys = root.call_ok(ISSUER_API, "ListSigningKeys", &[]).await;
    let first = keys["SigningKeys"][0].clone();
    assert_eq!(first["State"], "Active");
    assert_eq!(first["Algorithm"], "ES256");
    assert!(first.get("RetireDate").is_none());

    let rotated = root.call_ok(ISSUER_API, "RotateSigningKey", &[("ActivationDelay", "3600")]).await;
    assert_eq!(rotated["SigningKey"]["State"], "Pending");
    let reply = root.call(ISSUER_API, "RotateSigningKey", &[]).await;
    assert_code(&reply, 409, "InvalidOperation.SigningKeyPending");
    assert_code(
        &root.call(ISSUER_API, "RotateSigningKey", &[("Algorithm", "HS256")]).await,
        400,
        "InvalidParameter.Algorithm",
    );
    assert_code(
        &root.call(ISSUER_API, "RotateSigningKey", &[("ActivationDelay", "86401")]).await,
        400,
        "InvalidParameter.ActivationDelay",
    );

    let keys = root.call_ok(ISSUER_API, "ListSigningKeys", &[]).await;
    let listed = keys["SigningKeys"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["Kid"], first["Kid"]);
    assert_eq!(listed[0]["State"], "Active", "the old key signs until the new one activates");
    assert_eq!(listed[0]["RetireDate"], rotated["SigningKey"]["ActivateDate"]);
    assert!(listed[0]["RemoveDate"].is_string());
    assert_eq!(listed[1]["State"], "Pending");

    // The pending key is published but does not sign.
    let oauth = crate::testkit::oauth::OAuthClient::new(&server);
    let (_, jwks) = oauth.get("/jwks").await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    let fixture = crate::testkit::oauth::client_with_grant(&root, "billing", "client_secret_basic").await;
    let token = oauth.token_basic(&fixture.client_id, &fixture.secret, "api:billing|read").await.access_token();
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.kid.as_deref(), first["Kid"].as_str());
    server.stop().await;
}

#[tokio::test]
async fn session_callers_need_akless_permissions() {
    let server = TestServer::start().await;
    let provider = server.create_provider("idp").await;
    let role = server.create_role("operator", &provider, Value::Null).await;
    let root = server.root();
    let doc = json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": ["akless:ListClients", "akless:GetResourceServer"], "Resource": "*"},
        {"Effect": "Allow", "Action": "akless:CreateGrant",
         "Resource": format!("acs:akless::{}:resource-server/public*", server.account())}
    ]})
    .to_string();
    root.call_ok("2015-05-01", "CreatePolicy", &[("PolicyName", "IssuerReader"), ("PolicyDocument", &doc)]).await;
    root.call_ok(
        "2015-05-01",
        "AttachPolicyToRole",
        &[("PolicyType", "Custom"), ("PolicyName", "IssuerReader"), ("RoleName", "operator")],
    )
    .await;
    let token = server.token(json!({}));
    let reply = server
        .anonymous()
        .call(
            "2015-04-01",
            "AssumeRoleWithOIDC",
            &[("OIDCProviderArn", &provider), ("RoleArn", &role), ("OIDCToken", &token), ("RoleSessionName", "ops")],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let ops = server.session(&reply.body, Signing::V3);

    ops.call_ok(ISSUER_API, "ListClients", &[]).await;
    let reply = ops.call(ISSUER_API, "CreateClient", &[("ClientName", "x")]).await;
    assert_code(&reply, 403, "NoPermission");
    assert!(reply.message().contains("akless:CreateClient"), "{}", reply.message());
    assert!(reply.message().contains(&format!("acs:akless::{}:client/*", server.account())), "{}", reply.message());
    // A grant needs the permission on the client too, not only on the resource server.
    let reply = ops
        .call(
            ISSUER_API,
            "CreateGrant",
            &[("ClientId", "akcX"), ("ResourceServerName", "public-api"), ("Permissions", "read")],
        )
        .await;
    assert_code(&reply, 403, "NoPermission");
    assert!(reply.message().contains("client/akcX"), "{}", reply.message());
    let reply = ops.call(ISSUER_API, "RotateSigningKey", &[]).await;
    assert_code(&reply, 403, "NoPermission");

    let reply = root.call(ISSUER_API, "NoSuchAction", &[]).await;
    assert_code(&reply, 404, "InvalidAction.NotFound");
    let reply = root.call("2026-01-01", "ListClients", &[]).await;
    assert_code(&reply, 400, "InvalidVersion");
    assert!(reply.message().contains("2026-12-01"), "{}", reply.message());
    server.stop().await;
}
