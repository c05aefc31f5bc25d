//! IMS and RAM admin actions with the root AccessKey: round trips, limits and errors.

use serde_json::{json, Value};

use crate::testkit::server::TestServer;

const IMS: &str = "2019-08-15";
const RAM: &str = "2015-05-01";
const FP: &str = "0123456789abcdef0123456789abcdef01234567";

#[tokio::test]
async fn oidc_provider_round_trip() {
    let server = TestServer::start().await;
    let root = server.root();
    let created = root
        .call_ok(
            IMS,
            "CreateOIDCProvider",
            &[
                ("OIDCProviderName", "okta-prod"),
                ("IssuerUrl", "https://idp.example.com/oauth2"),
                ("Fingerprints", "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:45:67"),
                ("ClientIds", "a,b"),
                ("Description", "prod"),
            ],
        )
        .await;
    let p = &created["OIDCProvider"];
    assert_eq!(p["Arn"], format!("acs:ram::{}:oidc-provider/okta-prod", server.account()));
    assert_eq!(p["Fingerprints"], FP, "colons removed, lower case");
    assert_eq!(p["ClientIds"], "a,b");
    assert_eq!(p["IssuanceLimitTime"], 12, "default window");
    assert!(p["GmtCreate"].as_str().unwrap().parse::<i64>().is_ok());
    assert!(akless_core::timefmt::parse_iso8601(p["CreateDate"].as_str().unwrap()).is_some());

    let updated = root
        .call_ok(IMS, "UpdateOIDCProvider", &[("OIDCProviderName", "okta-prod"), ("NewDescription", "new"), ("ClientIds", "c"), ("IssuanceLimitTime", "24")])
        .await;
    assert_eq!(updated["OIDCProvider"]["Description"], "new");
    assert_eq!(updated["OIDCProvider"]["ClientIds"], "c");
    assert_eq!(updated["OIDCProvider"]["IssuanceLimitTime"], 24);

    let added = root.call_ok(IMS, "AddClientIdToOIDCProvider", &[("OIDCProviderName", "okta-prod"), ("ClientId", "d")]).await;
    assert_eq!(added["OIDCProvider"]["ClientIds"], "c,d");
    let dup = root.call(IMS, "AddClientIdToOIDCProvider", &[("OIDCProviderName", "okta-prod"), ("ClientId", "d")]).await;
    assert_eq!(dup.status, 409, "{}", dup.body);
    let removed = root.call_ok(IMS, "RemoveClientIdFromOIDCProvider", &[("OIDCProviderName", "okta-prod"), ("ClientId", "c")]).await;
    assert_eq!(removed["OIDCProvider"]["ClientIds"], "d");

    let second = "ffffffffffffffffffffffffffffffffffffffff";
    let added = root.call_ok(IMS, "AddFingerprintToOIDCProvider", &[("OIDCProviderName", "okta-prod"), ("Fingerprint", second)]).await;
    assert_eq!(added["OIDCProvider"]["Fingerprints"], format!("{FP},{second}"));
    let removed = root.call_ok(IMS, "RemoveFingerprintFromOIDCProvider", &[("OIDCProviderName", "okta-prod"), ("Fingerprint", FP)]).await;
    assert_eq!(removed["OIDCProvider"]["Fingerprints"], second);

    let got = root.call_ok(IMS, "GetOIDCProvider", &[("OIDCProviderName", "okta-prod")]).await;
    assert_eq!(got["OIDCProvider"]["IssuerUrl"], "https://idp.example.com/oauth2");
    root.call_ok(IMS, "DeleteOIDCProvider", &[("OIDCProviderName", "okta-prod")]).await;
    let gone = root.call(IMS, "GetOIDCProvider", &[("OIDCProviderName", "okta-prod")]).await;
    assert_eq!((gone.status, gone.code()), (404, "EntityNotExist.OIDCProvider"), "{}", gone.body);
    server.stop().await;
}

#[tokio::test]
async fn oidc_provider_validation_errors() {
    let server = TestServer::start().await;
    let root = server.root();
    let create = |name: &'static str, url: &'static str, fp: &'static str| {
        let root = root.clone();
        async move {
            root.call(IMS, "CreateOIDCProvider", &[("OIDCProviderName", name), ("IssuerUrl", url), ("Fingerprints", fp)]).await
        }
    };
    for (name, url, fp, field) in [
        ("-bad", "https://a.example", FP, "OIDCProviderName"),
        ("ok", "http://a.example", FP, "IssuerUrl"),
        ("ok", "https://a.example/?q=1", FP, "IssuerUrl"),
        ("ok", "https://a.example/#f", FP, "IssuerUrl"),
        ("ok", "https://user@a.example", FP, "IssuerUrl"),
        ("ok", "https://a.example", "xyz", "Fingerprint"),
    ] {
        let reply = create(name, url, fp).await;
        assert_eq!(reply.status, 400, "{name} {url} {fp}: {}", reply.body);
        assert!(reply.code().contains(field) || reply.message().contains(field), "{field}: {}", reply.body);
    }
    let reply = root.call(IMS, "CreateOIDCProvider", &[("OIDCProviderName", "x1"), ("IssuerUrl", "https://a.example"), ("Fingerprints", FP), ("IssuanceLimitTime", "169")]).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    let fps: Vec<String> = (0..6).map(|i| format!("{i}{}", &FP[1..])).collect();
    let fps = fps.join(",");
    let reply = root.call(IMS, "CreateOIDCProvider", &[("OIDCProviderName", "x2"), ("IssuerUrl", "https://a.example"), ("Fingerprints", &fps)]).await;
    assert_eq!(reply.status, 400, "six fingerprints: {}", reply.body);
    let ids: Vec<String> = (0..51).map(|i| format!("c{i}")).collect();
    let reply = root
        .call(IMS, "CreateOIDCProvider", &[("OIDCProviderName", "x3"), ("IssuerUrl", "https://a.example"), ("Fingerprints", FP), ("ClientIds", &ids.join(","))])
        .await;
    assert_eq!(reply.status, 400, "51 client IDs: {}", reply.body);

    assert_eq!(create("same", "https://one.example", FP).await.status, 200);
    let reply = create("same", "https://two.example", FP).await;
    assert_eq!((reply.status, reply.code()), (409, "EntityAlreadyExists.OIDCProvider"), "{}", reply.body);
    let reply = create("other", "https://one.example", FP).await;
    assert_eq!(reply.status, 409, "same issuer twice: {}", reply.body);
    server.stop().await;
}

#[tokio::test]
async fn oidc_provider_limit_and_paging() {
    let server = TestServer::start().await;
    let root = server.root();
    for i in 0..100 {
        let name = format!("p{i:03}");
        let url = format!("https://issuer{i}.example");
        root.call_ok(IMS, "CreateOIDCProvider", &[("OIDCProviderName", &name), ("IssuerUrl", &url), ("Fingerprints", FP)]).await;
    }
    let reply = root.call(IMS, "CreateOIDCProvider", &[("OIDCProviderName", "p100"), ("IssuerUrl", "https://x.example"), ("Fingerprints", FP)]).await;
    assert_eq!((reply.status, reply.code()), (409, "LimitExceeded.OIDCProvider"), "{}", reply.body);

    let mut names = Vec::new();
    let mut marker = String::new();
    loop {
        let mut params = vec![("MaxItems", "30")];
        if !marker.is_empty() {
            params.push(("Marker", &marker));
        }
        let page = root.call_ok(IMS, "ListOIDCProviders", &params).await;
        for p in page["OIDCProviders"]["OIDCProvider"].as_array().unwrap() {
            names.push(p["OIDCProviderName"].as_str().unwrap().to_owned());
        }
        if page["IsTruncated"] != json!(true) {
            break;
        }
        marker = page["Marker"].as_str().unwrap().to_owned();
    }
    assert_eq!(names.len(), 100);
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 100, "paging returned duplicates");
    let reply = root.call(IMS, "ListOIDCProviders", &[("MaxItems", "101")]).await;
    assert_eq!(reply.status, 400);
    let reply = root.call(IMS, "ListOIDCProviders", &[("Marker", "garbage")]).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    server.stop().await;
}

#[tokio::test]
async fn delete_provider_refused_while_trusted() {
    let server = TestServer::start().await;
    let provider = server.create_provider("idp").await;
    server.create_role("r1", &provider, Value::Null).await;
    let root = server.root();
    let reply = root.call(IMS, "DeleteOIDCProvider", &[("OIDCProviderName", "idp")]).await;
    assert_eq!(reply.status, 409, "{}", reply.body);
    assert!(reply.code().starts_with("DeleteConflict"), "{}", reply.body);
    assert!(reply.message().contains("r1"), "{}", reply.body);
    root.call_ok(RAM, "DeleteRole", &[("RoleName", "r1")]).await;
    root.call_ok(IMS, "DeleteOIDCProvider", &[("OIDCProviderName", "idp")]).await;
    server.stop().await;
}

#[tokio::test]
async fn roles_and_policies_round_trip() {
    let server = TestServer::start().await;
    let root = server.root();
    let provider = server.create_provider("idp").await;
    let trust = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Federated": [provider]}}]}).to_string();
    let created = root
        .call_ok(RAM, "CreateRole", &[("RoleName", "Deploy.Bot"), ("AssumeRolePolicyDocument", &trust), ("MaxSessionDuration", "7200"), ("Description", "d")])
        .await;
    let role = &created["Role"];
    assert_eq!(role["Arn"], format!("acs:ram::{}:role/deploy.bot", server.account()));
    assert_eq!(role["RoleName"], "Deploy.Bot");
    assert_eq!(role["MaxSessionDuration"], 7200);
    assert!(role["RoleId"].as_str().unwrap().len() >= 16);

    let dup = root.call(RAM, "CreateRole", &[("RoleName", "deploy.bot"), ("AssumeRolePolicyDocument", &trust)]).await;
    assert_eq!((dup.status, dup.code()), (409, "EntityAlreadyExists.Role"), "names are unique ignoring case: {}", dup.body);
    for bad in ["", "bad name", &"x".repeat(65)] {
        let reply = root.call(RAM, "CreateRole", &[("RoleName", bad), ("AssumeRolePolicyDocument", &trust)]).await;
        assert_eq!(reply.status, 400, "{bad:?}: {}", reply.body);
    }
    let reply = root.call(RAM, "CreateRole", &[("RoleName", "r2"), ("AssumeRolePolicyDocument", "{}")]).await;
    assert_eq!((reply.status, reply.code()), (400, "InvalidParameter.PolicyGrammar"), "{}", reply.body);
    let reply = root.call(RAM, "CreateRole", &[("RoleName", "r2"), ("AssumeRolePolicyDocument", &trust), ("MaxSessionDuration", "100")]).await;
    assert_eq!(reply.status, 400, "{}", reply.body);

    let updated = root.call_ok(RAM, "UpdateRole", &[("RoleName", "deploy.bot"), ("NewMaxSessionDuration", "43200")]).await;
    assert_eq!(updated["Role"]["MaxSessionDuration"], 43200);

    let doc = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["ims:Get*", "ims:List*"], "Resource": "*"}]}).to_string();
    let policy = root.call_ok(RAM, "CreatePolicy", &[("PolicyName", "ReadIdp"), ("PolicyDocument", &doc)]).await;
    assert_eq!(policy["Policy"]["PolicyType"], "Custom");
    assert_eq!(policy["Policy"]["DefaultVersion"], "v1");
    let bad = root.call(RAM, "CreatePolicy", &[("PolicyName", "Bad"), ("PolicyDocument", "{\"Version\":\"2\"}")]).await;
    assert_eq!((bad.status, bad.code()), (400, "InvalidParameter.PolicyGrammar"), "{}", bad.body);
    let big = format!("{{\"Version\":\"1\",\"Statement\":[{{\"Effect\":\"Allow\",\"Action\":\"{}\",\"Resource\":\"*\"}}]}}", "a".repeat(6200));
    let reply = root.call(RAM, "CreatePolicy", &[("PolicyName", "Big"), ("PolicyDocument", &big)]).await;
    assert_eq!(reply.status, 400, "6144-character limit: {}", reply.body);

    root.call_ok(RAM, "AttachPolicyToRole", &[("PolicyType", "Custom"), ("PolicyName", "ReadIdp"), ("RoleName", "deploy.bot")]).await;
    let again = root.call(RAM, "AttachPolicyToRole", &[("PolicyType", "Custom"), ("PolicyName", "ReadIdp"), ("RoleName", "deploy.bot")]).await;
    assert_eq!(again.status, 409, "{}", again.body);
    let listed = root.call_ok(RAM, "ListPoliciesForRole", &[("RoleName", "deploy.bot")]).await;
    assert_eq!(listed["Policies"]["Policy"][0]["PolicyName"], "ReadIdp");
    let got = root.call_ok(RAM, "GetPolicy", &[("PolicyType", "Custom"), ("PolicyName", "ReadIdp")]).await;
    assert_eq!(got["Policy"]["AttachmentCount"], 1);
    assert_eq!(got["DefaultPolicyVersion"]["PolicyDocument"], doc);

    let reply = root.call(RAM, "DeleteRole", &[("RoleName", "deploy.bot")]).await;
    assert_eq!(reply.status, 409, "role with attached policy: {}", reply.body);
    let reply = root.call(RAM, "DeletePolicy", &[("PolicyName", "ReadIdp")]).await;
    assert_eq!(reply.status, 409, "attached policy: {}", reply.body);
    root.call_ok(RAM, "DetachPolicyFromRole", &[("PolicyType", "Custom"), ("PolicyName", "ReadIdp"), ("RoleName", "deploy.bot")]).await;
    root.call_ok(RAM, "DeletePolicy", &[("PolicyName", "ReadIdp")]).await;
    root.call_ok(RAM, "DeleteRole", &[("RoleName", "deploy.bot")]).await;
    let gone = root.call(RAM, "GetRole", &[("RoleName", "deploy.bot")]).await;
    assert_eq!((gone.status, gone.code()), (404, "EntityNotExist.Role"), "{}", gone.body);
    let roles = root.call_ok(RAM, "ListRoles", &[]).await;
    assert_eq!(roles["Roles"]["Role"].as_array().unwrap().len(), 0);
    server.stop().await;
}

#[tokio::test]
async fn role_changes_apply_to_the_next_exchange() {
    let server = TestServer::start().await;
    let provider = server.create_provider("idp").await;
    let role = server.create_role("r", &provider, json!({"StringEquals": {"oidc:sub": "workload-a"}})).await;
    let assume = |token: String| {
        let client = server.anonymous();
        let (provider, role) = (provider.clone(), role.clone());
        async move {
            client
                .call("2015-04-01", "AssumeRoleWithOIDC", &[("OIDCProviderArn", &provider), ("RoleArn", &role), ("OIDCToken", &token), ("RoleSessionName", "s1")])
                .await
        }
    };
    assert_eq!(assume(server.token(json!({}))).await.status, 200);
    let trust = json!({"Version": "1", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Federated": [provider]},
        "Condition": {"StringEquals": {"oidc:sub": "workload-b"}}}]})
    .to_string();
    server.root().call_ok(RAM, "UpdateRole", &[("RoleName", "r"), ("NewAssumeRolePolicyDocument", &trust)]).await;
    assert_eq!(assume(server.token(json!({}))).await.status, 401, "cached trust policy must be dropped on update");
    assert_eq!(assume(server.token(json!({"sub": "workload-b"}))).await.status, 200);
    server.stop().await;
}
