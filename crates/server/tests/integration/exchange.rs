//! AssumeRoleWithOIDC end to end: success in every request shape the official
//! clients use, and one rejected case per validation step in the documented order.

use serde_json::{json, Value};

use crate::testkit::client::{Reply, Signing};
use crate::testkit::server::TestServer;

const STS: &str = "2015-04-01";

async fn setup() -> (TestServer, String, String) {
    let server = TestServer::start().await;
    let provider = server.create_provider("test-idp").await;
    let role = server
        .create_role("app-role", &provider, json!({"StringLike": {"oidc:sub": ["workload-*"]}, "StringEquals": {"oidc:aud": "client-1"}}))
        .await;
    (server, provider, role)
}

async fn assume(server: &TestServer, provider: &str, role: &str, token: &str, extra: &[(&str, &str)]) -> Reply {
    let mut params = vec![("OIDCProviderArn", provider), ("RoleArn", role), ("OIDCToken", token), ("RoleSessionName", "s1")];
    params.extend_from_slice(extra);
    server.anonymous().call(STS, "AssumeRoleWithOIDC", &params).await
}

fn assert_rejected(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "unexpected status, body {}", reply.body);
    assert_eq!(reply.code(), code, "unexpected code, body {}", reply.body);
    assert!(reply.body["RequestId"].as_str().is_some_and(|id| id.len() == 36), "RequestId missing: {}", reply.body);
}

#[tokio::test]
async fn exchange_succeeds_for_each_algorithm() {
    let (server, provider, role) = setup().await;
    for (alg, kid) in [("RS256", "rsa-1"), ("ES256", "ec-1"), ("EdDSA", "ed-1")] {
        let token = server.token_with(alg, kid, json!({}));
        let reply = assume(&server, &provider, &role, &token, &[]).await;
        assert_eq!(reply.status, 200, "{alg}: {}", reply.body);
        let creds = &reply.body["Credentials"];
        assert!(creds["AccessKeyId"].as_str().unwrap().starts_with("STS."), "{alg}");
        assert!(!creds["AccessKeySecret"].as_str().unwrap().is_empty());
        assert!(!creds["SecurityToken"].as_str().unwrap().is_empty());
        let expiration = creds["Expiration"].as_str().unwrap();
        assert!(akless_core::timefmt::parse_iso8601(expiration).is_some(), "Expiration {expiration} not YYYY-MM-DDTHH:MM:SSZ");
    }
    server.stop().await;
}

#[tokio::test]
async fn exchange_response_fields() {
    let (server, provider, role) = setup().await;
    let token = server.token(json!({"aud": ["other", "client-1"]}));
    let reply = assume(&server, &provider, &role, &token, &[("DurationSeconds", "900")]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = &reply.body;
    let account = server.account();
    assert_eq!(body["AssumedRoleUser"]["Arn"], format!("acs:ram::{account}:role/app-role/s1"));
    assert!(body["AssumedRoleUser"]["AssumedRoleId"].as_str().unwrap().ends_with(":s1"));
    let info = &body["OIDCTokenInfo"];
    assert_eq!(info["Subject"], "workload-a");
    assert_eq!(info["Issuer"], server.issuer_url());
    assert_eq!(info["ClientIds"], "other,client-1");
    assert_eq!(info["VerificationInfo"], "Success");
    let expiration = akless_core::timefmt::parse_iso8601(body["Credentials"]["Expiration"].as_str().unwrap()).unwrap();
    let left = (expiration - time::OffsetDateTime::now_utc()).whole_seconds();
    assert!((880..=901).contains(&left), "DurationSeconds=900 gave {left} s");
    server.stop().await;
}

#[tokio::test]
async fn temporary_credentials_call_get_caller_identity() {
    let (server, provider, role) = setup().await;
    let reply = assume(&server, &provider, &role, &server.token(json!({})), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    for signing in [Signing::V3, Signing::V1] {
        let session = server.session(&reply.body, signing);
        let me = session.call_ok(STS, "GetCallerIdentity", &[]).await;
        assert_eq!(me["Arn"], format!("acs:ram::{}:assumed-role/app-role/s1", server.account()), "{signing:?}");
        assert_eq!(me["IdentityType"], "AssumedRoleUser");
        assert_eq!(me["AccountId"], server.account());
    }
    let root = server.root().call_ok(STS, "GetCallerIdentity", &[]).await;
    assert_eq!(root["Arn"], format!("acs:ram::{}:root", server.account()));
    server.stop().await;
}

#[tokio::test]
async fn form_body_and_get_shapes_are_accepted() {
    let (server, provider, role) = setup().await;
    // Go and Java credential providers: POST, Action/Version in the query, the rest in a form body.
    let token = server.token(json!({}));
    let reply = server
        .anonymous()
        .post_form(
            "Action=AssumeRoleWithOIDC&Version=2015-04-01&Format=JSON",
            &[("RoleArn", &role), ("OIDCProviderArn", &provider), ("OIDCToken", &token), ("RoleSessionName", "go-1"), ("DurationSeconds", "3600")],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    // Python credential provider: GET, everything in the query, token file with a trailing newline.
    let token = format!("{}\n", server.token(json!({})));
    let reply = server
        .anonymous()
        .call_tweaked(
            STS,
            "AssumeRoleWithOIDC",
            &[("OIDCProviderArn", &provider), ("RoleArn", &role), ("OIDCToken", &token), ("RoleSessionName", "py-1")],
            &crate::testkit::client::Tweaks { method_get: true, ..Default::default() },
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    server.stop().await;
}

#[tokio::test]
async fn parameter_errors() {
    let (server, provider, role) = setup().await;
    let token = server.token(json!({}));
    let client = server.anonymous();

    let reply = client.call(STS, "AssumeRoleWithOIDC", &[("RoleArn", &role), ("OIDCToken", &token), ("RoleSessionName", "s1")]).await;
    assert_rejected(&reply, 400, "MissingParameter");
    assert!(reply.message().contains("OIDCProviderArn"), "{}", reply.message());

    for bad in ["a", "bad name", "x".repeat(65).as_str()] {
        let reply = client
            .call(STS, "AssumeRoleWithOIDC", &[("OIDCProviderArn", &provider), ("RoleArn", &role), ("OIDCToken", &token), ("RoleSessionName", bad)])
            .await;
        assert_rejected(&reply, 400, "InvalidParameter.RoleSessionName");
    }
    for bad in ["899", "43201", "abc"] {
        let reply = assume(&server, &provider, &role, &token, &[("DurationSeconds", bad)]).await;
        assert_eq!(reply.status, 400, "{bad}: {}", reply.body);
        assert!(reply.code().starts_with("InvalidParameter"), "{bad}: {}", reply.body);
    }
    // Within the global range but above the role's MaxSessionDuration (3600).
    let reply = assume(&server, &provider, &role, &token, &[("DurationSeconds", "7200")]).await;
    assert_rejected(&reply, 400, "InvalidParameter.DurationSeconds");

    let reply = assume(&server, &provider, &role, &token, &[("Policy", "{\"Version\":\"1\"}")]).await;
    assert_rejected(&reply, 400, "InvalidParameter.PolicyGrammar");

    let reply = assume(&server, &provider, &role, "abc", &[]).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    server.stop().await;
}

#[tokio::test]
async fn provider_and_role_errors() {
    let (server, provider, role) = setup().await;
    let token = server.token(json!({}));
    let account = server.account();

    let unknown = format!("acs:ram::{account}:oidc-provider/nope");
    let reply = assume(&server, &unknown, &role, &token, &[]).await;
    assert_rejected(&reply, 401, "AuthenticationFail.NoPermission");
    assert_eq!(reply.message(), "No such OIDC Provider registered.");

    let other_account = provider.replace(&account, "1234567890123456");
    let reply = assume(&server, &other_account, &role, &token, &[]).await;
    assert_rejected(&reply, 401, "AuthenticationFail.NoPermission");

    let reply = assume(&server, &provider, &format!("acs:ram::{account}:role/missing"), &token, &[]).await;
    assert_rejected(&reply, 404, "EntityNotExist.Role");
    server.stop().await;
}

#[tokio::test]
async fn malformed_arn_names_are_parameter_errors() {
    let (server, provider, role) = setup().await;
    let token = server.token(json!({}));
    let account = server.account();

    let long_name = "r".repeat(65);
    for bad_role in [
        format!("acs:ram::{account}:role/{long_name}"),
        format!("acs:ram::{account}:role/app%ZZ"),
        format!("acs:ram::{account}:role/x/app"),
        format!("acs:ram::{account}:role/"),
        format!("acs:ram:cn-hangzhou:{account}:role/app-role"),
    ] {
        let reply = assume(&server, &provider, &bad_role, &token, &[]).await;
        assert_rejected(&reply, 400, "InvalidParameter.RoleArn");
        assert!(reply.message().contains("acs:ram::<account>:role/<name>"), "{bad_role}: {}", reply.message());
    }
    let reply = assume(&server, &provider, &format!("acs:ram::{account}:role/{long_name}"), &token, &[]).await;
    assert!(reply.message().contains("got 65 characters"), "{}", reply.message());

    for bad_provider in [
        format!("acs:ram::{account}:oidc-provider/bad name"),
        format!("acs:ram:cn-hangzhou:{account}:oidc-provider/test-idp"),
    ] {
        let reply = assume(&server, &bad_provider, &role, &token, &[]).await;
        assert_rejected(&reply, 400, "InvalidParameter.OIDCProviderArn");
    }
    server.stop().await;
}

#[tokio::test]
async fn token_errors_in_order() {
    let (server, provider, role) = setup().await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();

    // 3. Format and algorithm.
    let header = |h: Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h.to_string())
    };
    let good = server.token(json!({}));
    let parts: Vec<&str> = good.split('.').collect();
    let none = format!("{}.{}.", header(json!({"alg": "none"})), parts[1]);
    let reply = assume(&server, &provider, &role, &none, &[]).await;
    assert_rejected(&reply, 401, "AuthenticationFail.OIDCToken.Invalid");
    let crit = format!("{}.{}.{}", header(json!({"alg": "RS256", "kid": "rsa-1", "crit": ["exp"]})), parts[1], parts[2]);
    assert_rejected(&assume(&server, &provider, &role, &crit, &[]).await, 401, "AuthenticationFail.OIDCToken.Invalid");
    let hs = format!("{}.{}.{}", header(json!({"alg": "HS256", "kid": "rsa-1"})), parts[1], parts[2]);
    assert_rejected(&assume(&server, &provider, &role, &hs, &[]).await, 401, "AuthenticationFail.OIDCToken.Invalid");
    assert_rejected(&assume(&server, &provider, &role, "abcd.efgh", &[]).await, 401, "AuthenticationFail.OIDCToken.Invalid");

    // 4. Issuer, checked before any key fetch.
    let fetches = server.issuer.jwks_hits();
    let wrong_iss = server.token(json!({"iss": "https://evil.example"}));
    assert_rejected(&assume(&server, &provider, &role, &wrong_iss, &[]).await, 401, "AuthenticationFail.OIDCToken.IssuerNotMatch");
    assert_eq!(server.issuer.jwks_hits(), fetches, "an issuer mismatch must not trigger a JWKS fetch");

    // 6. Signature: flip one byte of the signature.
    let mut tampered = good.clone().into_bytes();
    let last = tampered.len() - 5;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let reply = assume(&server, &provider, &role, &tampered, &[]).await;
    assert_rejected(&reply, 401, "AuthenticationFail.OIDCToken.InvalidSignature");
    assert!(reply.message().contains("changed after signing"), "the message should say what to check: {}", reply.message());
    let unknown_kid = server.token_with("RS256", "rsa-1", json!({}));
    let unknown_kid = {
        let p: Vec<&str> = unknown_kid.split('.').collect();
        format!("{}.{}.{}", header(json!({"alg": "RS256", "kid": "nope"})), p[1], p[2])
    };
    assert_rejected(&assume(&server, &provider, &role, &unknown_kid, &[]).await, 401, "AuthenticationFail.OIDCToken.InvalidSignature");

    // 7. Time claims.
    let expired = server.token(json!({"exp": now - 3600, "iat": now - 7200}));
    assert_rejected(&assume(&server, &provider, &role, &expired, &[]).await, 401, "AuthenticationFail.OIDCToken.Expired");
    let future_nbf = server.token(json!({"nbf": now + 3600}));
    assert_rejected(&assume(&server, &provider, &role, &future_nbf, &[]).await, 401, "AuthenticationFail.OIDCToken.Expired");
    let too_old = server.token(json!({"iat": now - 13 * 3600, "exp": now + 600}));
    assert_rejected(&assume(&server, &provider, &role, &too_old, &[]).await, 401, "AuthenticationFail.OIDCToken.Expired");
    let no_iat = server.token(json!({"iat": null}));
    assert_rejected(&assume(&server, &provider, &role, &no_iat, &[]).await, 401, "AuthenticationFail.OIDCToken.Expired");

    // 8. Audience.
    let wrong_aud = server.token(json!({"aud": ["client-2"]}));
    assert_rejected(&assume(&server, &provider, &role, &wrong_aud, &[]).await, 401, "AuthenticationFail.OIDCToken.AudienceNotMatch");

    // 9. Trust condition on oidc:sub.
    let wrong_sub = server.token(json!({"sub": "intruder"}));
    let reply = assume(&server, &provider, &role, &wrong_sub, &[]).await;
    assert_rejected(&reply, 401, "AuthenticationFail.NoPermission");
    assert!(reply.message().contains("oidc:sub"), "message should name the condition key: {}", reply.message());
    assert!(!reply.message().contains("workload-*"), "message must not reveal the expected value: {}", reply.message());
    server.stop().await;
}

#[tokio::test]
async fn wrong_fingerprint_is_https_url_invalid() {
    let server = TestServer::start().await;
    let response = server
        .root()
        .call_ok(
            "2019-08-15",
            "CreateOIDCProvider",
            &[
                ("OIDCProviderName", "pinned-wrong"),
                ("IssuerUrl", &server.issuer_url()),
                ("Fingerprints", "0000000000000000000000000000000000000000"),
                ("ClientIds", "client-1"),
            ],
        )
        .await;
    let provider = response["OIDCProvider"]["Arn"].as_str().unwrap().to_owned();
    let role = server.create_role("r1", &provider, Value::Null).await;
    let reply = assume(&server, &provider, &role, &server.token(json!({})), &[]).await;
    assert_rejected(&reply, 401, "AuthenticationFail.OIDCToken.HttpsUrlInvalid");
    server.stop().await;
}

#[tokio::test]
async fn explicit_deny_in_trust_policy_wins() {
    let server = TestServer::start().await;
    let provider = server.create_provider("idp").await;
    let document = json!({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Federated": [provider]}},
        {"Effect": "Deny", "Action": "sts:AssumeRole", "Principal": {"Federated": [provider]},
         "Condition": {"StringEquals": {"oidc:sub": "workload-a"}}}
    ]})
    .to_string();
    let created = server
        .root()
        .call_ok("2015-05-01", "CreateRole", &[("RoleName", "denied"), ("AssumeRolePolicyDocument", &document)])
        .await;
    let role = created["Role"]["Arn"].as_str().unwrap().to_owned();
    assert_rejected(&assume(&server, &provider, &role, &server.token(json!({})), &[]).await, 401, "AuthenticationFail.NoPermission");
    let other = server.token(json!({"sub": "workload-b"}));
    assert_eq!(assume(&server, &provider, &role, &other, &[]).await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn attempts_are_audited_without_tokens() {
    let (server, provider, role) = setup().await;
    let token = server.token(json!({}));
    assert_eq!(assume(&server, &provider, &role, &token, &[]).await.status, 200);
    let bad = server.token(json!({"aud": "nobody"}));
    assert_eq!(assume(&server, &provider, &role, &bad, &[]).await.status, 401);

    let store = server.server.state().unwrap().registry().store().clone();
    let mut records = Vec::new();
    for _ in 0..50 {
        records = store.list_audit(&akless_store::AuditFilter::default()).await.unwrap();
        if records.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(records.len(), 2, "{records:?}");
    let failure = records.iter().find(|r| r.outcome == "Failure").expect("failure record");
    assert_eq!(failure.error_code.as_deref(), Some("AuthenticationFail.OIDCToken.AudienceNotMatch"));
    assert_eq!(failure.failed_check.as_deref(), Some("audience"));
    assert_eq!(failure.role_arn.as_deref(), Some(role.as_str()));
    let success = records.iter().find(|r| r.outcome == "Success").expect("success record");
    assert_eq!(success.subject.as_deref(), Some("workload-a"));
    assert!(success.jti.is_some());
    let dump = format!("{records:?}");
    assert!(!dump.contains(&token[..40]), "audit records must not contain the token");
    server.stop().await;
}

#[tokio::test]
async fn provider_name_case_does_not_inherit_trust() {
    // A second trusted issuer backs a provider whose name differs only in case.
    let other = crate::testkit::issuer::TestIssuer::start().await;
    let other_root = other.pki().root_pem().to_owned();
    let server = TestServer::start_with(move |config| {
        let path = config.trust_ca_file.clone().expect("issuer root file");
        let mut bundle = std::fs::read_to_string(&path).expect("read issuer root");
        bundle.push_str(&other_root);
        std::fs::write(&path, bundle).expect("write root bundle");
    })
    .await;
    let trusted = server.create_provider("CorpIdP").await;
    let lookalike = server
        .root()
        .call_ok(
            "2019-08-15",
            "CreateOIDCProvider",
            &[
                ("OIDCProviderName", "corpidp"),
                ("IssuerUrl", &other.url()),
                ("Fingerprints", &other.fingerprint()),
                ("ClientIds", "client-1"),
            ],
        )
        .await["OIDCProvider"]["Arn"]
        .as_str()
        .unwrap()
        .to_owned();
    let role = server.create_role("victim", &trusted, Value::Null).await;

    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = json!({"iss": other.url(), "sub": "workload-a", "aud": "client-1", "iat": now, "exp": now + 600});
    let token = other.sign_token("RS256", "rsa-1", &claims);
    let reply = assume(&server, &lookalike, &role, &token, &[]).await;
    assert_rejected(&reply, 401, "AuthenticationFail.NoPermission");
    assert!(reply.message().contains("trust") || reply.message().contains("rincipal"), "{}", reply.message());

    let token = server.token(json!({}));
    assert_eq!(assume(&server, &trusted, &role, &token, &[]).await.status, 200);
    server.stop().await;
    other.stop().await;
}
