//! Admin actions called with temporary credentials: the role's attached
//! policies, intersected with the session policy, decide.

use serde_json::{json, Value};

use crate::testkit::client::{ApiClient, Signing};
use crate::testkit::server::TestServer;

const IMS: &str = "2019-08-15";
const RAM: &str = "2015-05-01";

async fn session(server: &TestServer, role: &str, provider: &str, policy: Option<&str>) -> ApiClient {
    let token = server.token(json!({}));
    let mut params = vec![("OIDCProviderArn", provider), ("RoleArn", role), ("OIDCToken", token.as_str()), ("RoleSessionName", "ops")];
    if let Some(policy) = policy {
        params.push(("Policy", policy));
    }
    let reply = server.anonymous().call("2015-04-01", "AssumeRoleWithOIDC", &params).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    server.session(&reply.body, Signing::V3)
}

#[tokio::test]
async fn attached_policy_allows_and_denies() {
    let server = TestServer::start().await;
    let provider = server.create_provider("idp").await;
    let role = server.create_role("operator", &provider, Value::Null).await;
    let root = server.root();
    let doc = json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": ["ims:GetOIDCProvider", "ims:ListOIDCProviders", "ram:GetRole"], "Resource": "*"},
        {"Effect": "Deny", "Action": "ram:GetRole", "Resource": format!("acs:ram::{}:role/secret*", server.account())}
    ]})
    .to_string();
    root.call_ok(RAM, "CreatePolicy", &[("PolicyName", "Reader"), ("PolicyDocument", &doc)]).await;
    root.call_ok(RAM, "AttachPolicyToRole", &[("PolicyType", "Custom"), ("PolicyName", "Reader"), ("RoleName", "operator")]).await;

    let ops = session(&server, &role, &provider, None).await;
    ops.call_ok(IMS, "GetOIDCProvider", &[("OIDCProviderName", "idp")]).await;
    ops.call_ok(IMS, "ListOIDCProviders", &[]).await;
    ops.call_ok(RAM, "GetRole", &[("RoleName", "operator")]).await;

    let reply = ops.call(RAM, "GetRole", &[("RoleName", "secret-role")]).await;
    assert_eq!((reply.status, reply.code()), (403, "NoPermission"), "explicit deny: {}", reply.body);
    assert!(reply.message().contains("ram:GetRole"), "{}", reply.message());
    let reply = ops.call(IMS, "DeleteOIDCProvider", &[("OIDCProviderName", "idp")]).await;
    assert_eq!((reply.status, reply.code()), (403, "NoPermission"), "no allow: {}", reply.body);
    assert!(reply.message().contains(&format!("oidc-provider/idp")), "{}", reply.message());
    let still = root.call_ok(IMS, "GetOIDCProvider", &[("OIDCProviderName", "idp")]).await;
    assert_eq!(still["OIDCProvider"]["OIDCProviderName"], "idp");

    // Detaching the policy takes effect for the same session.
    root.call_ok(RAM, "DetachPolicyFromRole", &[("PolicyType", "Custom"), ("PolicyName", "Reader"), ("RoleName", "operator")]).await;
    let reply = ops.call(IMS, "GetOIDCProvider", &[("OIDCProviderName", "idp")]).await;
    assert_eq!(reply.status, 403, "{}", reply.body);
    server.stop().await;
}

#[tokio::test]
async fn session_policy_narrows_the_role() {
    let server = TestServer::start().await;
    let provider = server.create_provider("idp").await;
    let role = server.create_role("operator", &provider, Value::Null).await;
    let root = server.root();
    let doc = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ims:*", "Resource": "*"}]}).to_string();
    root.call_ok(RAM, "CreatePolicy", &[("PolicyName", "IdpAdmin"), ("PolicyDocument", &doc)]).await;
    root.call_ok(RAM, "AttachPolicyToRole", &[("PolicyType", "Custom"), ("PolicyName", "IdpAdmin"), ("RoleName", "operator")]).await;

    let narrow = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ims:Get*", "Resource": "*"}]}).to_string();
    let ops = session(&server, &role, &provider, Some(&narrow)).await;
    ops.call_ok(IMS, "GetOIDCProvider", &[("OIDCProviderName", "idp")]).await;
    let reply = ops.call(IMS, "ListOIDCProviders", &[]).await;
    assert_eq!((reply.status, reply.code()), (403, "NoPermission"), "{}", reply.body);

    // A session policy cannot widen: ram:* is not in the role's policies.
    let wide = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}).to_string();
    let ops = session(&server, &role, &provider, Some(&wide)).await;
    let reply = ops.call(RAM, "ListRoles", &[]).await;
    assert_eq!(reply.status, 403, "{}", reply.body);
    server.stop().await;
}

#[tokio::test]
async fn recreated_role_does_not_empower_old_sessions() {
    let server = TestServer::start().await;
    let provider = server.create_provider("idp").await;
    let role = server.create_role("tmp1", &provider, Value::Null).await;
    let root = server.root();
    let ops = session(&server, &role, &provider, None).await;
    let reply = ops.call(RAM, "ListRoles", &[]).await;
    assert_eq!(reply.status, 403, "{}", reply.body);

    root.call_ok(RAM, "DeleteRole", &[("RoleName", "tmp1")]).await;
    server.create_role("TMP1", &provider, Value::Null).await;
    let doc = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ram:*", "Resource": "*"}]}).to_string();
    root.call_ok(RAM, "CreatePolicy", &[("PolicyName", "All"), ("PolicyDocument", &doc)]).await;
    root.call_ok(RAM, "AttachPolicyToRole", &[("PolicyType", "Custom"), ("PolicyName", "All"), ("RoleName", "TMP1")]).await;

    let reply = ops.call(RAM, "ListRoles", &[]).await;
    assert_eq!((reply.status, reply.code()), (403, "NoPermission"), "old session gained the new role's policy: {}", reply.body);
    let fresh = session(&server, &role, &provider, None).await;
    fresh.call_ok(RAM, "ListRoles", &[]).await;
    server.stop().await;
}
