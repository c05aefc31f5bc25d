//! Tests of trust policy evaluation for AssumeRoleWithOIDC.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::policy::{compile, PolicyKind};

const PROVIDER: &str = "acs:ram::123:oidc-provider/GitHub";
const OTHER_PROVIDER: &str = "acs:ram::123:oidc-provider/GitLab";
const ROLE: &str = "acs:ram::123:role/deploy";
const ISSUER: &str = "https://token.actions.githubusercontent.com";
const SUBJECT: &str = "repo:acme/app:ref:refs/heads/main";

fn trust(statements: Value) -> CompiledPolicy {
    let doc = json!({"Version": "1", "Statement": statements}).to_string();
    compile(&doc, PolicyKind::Trust).unwrap_or_else(|e| panic!("compile failed: {e}"))
}

fn allow(action: Value, condition: Value) -> Value {
    json!({"Effect": "Allow", "Action": action, "Principal": {"Federated": [PROVIDER]}, "Condition": condition})
}

fn standard_conditions() -> Value {
    json!({"StringEquals": {"oidc:iss": ISSUER, "oidc:aud": "sts.aliyuncs.com", "oidc:sub": SUBJECT}})
}

fn evaluate(
    policy: &CompiledPolicy,
    provider: &str,
    audiences: &[&str],
    subject: &str,
) -> Result<AllowDecision, TrustDenial> {
    let audiences: Vec<String> = audiences.iter().map(|a| a.to_string()).collect();
    let claims = OidcTrustClaims { issuer: ISSUER, audiences: &audiences, subject };
    evaluate_oidc_trust_claims(policy, provider, ROLE, &claims)
}

fn standard(policy: &CompiledPolicy) -> Result<AllowDecision, TrustDenial> {
    evaluate(policy, PROVIDER, &["sts.aliyuncs.com"], SUBJECT)
}

#[test]
fn matching_token_is_allowed() {
    let policy = trust(json!([allow(json!("sts:AssumeRole"), standard_conditions())]));
    let decision = standard(&policy).unwrap();
    assert_eq!(decision.action(), "sts:AssumeRole");
    assert_eq!(decision.resource(), ROLE);
}

#[test]
fn action_spellings_are_accepted() {
    for action in [
        json!("sts:AssumeRole"),
        json!("sts:AssumeRoleWithOIDC"),
        json!("sts:*"),
        json!("*"),
        json!("STS:assumerole"),
        json!(["ram:*", "sts:AssumeRoleWithOIDC"]),
    ] {
        let policy = trust(json!([allow(action.clone(), standard_conditions())]));
        let decision = standard(&policy).unwrap_or_else(|e| panic!("{action}: {e:?}"));
        assert_eq!(decision.action(), "sts:AssumeRole", "{action}");
    }
}

#[test]
fn unrelated_action_is_not_trusted() {
    for action in [json!("sts:AssumeRoleWithSAML"), json!("ram:*"), json!("sts:GetCallerIdentity")] {
        let policy = trust(json!([allow(action.clone(), standard_conditions())]));
        assert_eq!(standard(&policy).unwrap_err(), TrustDenial::PrincipalNotTrusted, "{action}");
    }
    let not_action = trust(json!([{"Effect": "Allow", "NotAction": "sts:*", "Principal": {"Federated": PROVIDER}}]));
    assert_eq!(standard(&not_action).unwrap_err(), TrustDenial::PrincipalNotTrusted);
}

#[test]
fn wrong_provider_is_not_trusted() {
    let policy = trust(json!([allow(json!("sts:AssumeRole"), standard_conditions())]));
    let denial = evaluate(&policy, OTHER_PROVIDER, &["sts.aliyuncs.com"], SUBJECT).unwrap_err();
    assert_eq!(denial, TrustDenial::PrincipalNotTrusted);
    let other_account = evaluate(&policy, "acs:ram::999:oidc-provider/GitHub", &["sts.aliyuncs.com"], SUBJECT);
    assert_eq!(other_account.unwrap_err(), TrustDenial::PrincipalNotTrusted);
}

#[test]
fn provider_arn_compares_case_sensitively() {
    let policy = trust(json!([allow(json!("sts:AssumeRole"), standard_conditions())]));
    assert!(evaluate(&policy, PROVIDER, &["sts.aliyuncs.com"], SUBJECT).is_ok());
    let other_case = PROVIDER.to_uppercase().replace("ACS:RAM", "acs:ram").replace("OIDC-PROVIDER", "oidc-provider");
    assert_ne!(other_case, PROVIDER);
    let denial = evaluate(&policy, &other_case, &["sts.aliyuncs.com"], SUBJECT).unwrap_err();
    assert_eq!(denial, TrustDenial::PrincipalNotTrusted);
}

#[test]
fn ram_or_service_principal_does_not_trust_oidc() {
    let policy = trust(json!([
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"RAM": ["acs:ram::123:root"], "Service": "ecs.aliyuncs.com"}}
    ]));
    assert_eq!(standard(&policy).unwrap_err(), TrustDenial::PrincipalNotTrusted);
}

#[test]
fn permission_policy_trusts_nobody() {
    let doc = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let policy = compile(doc, PolicyKind::Permission).unwrap();
    assert_eq!(standard(&policy).unwrap_err(), TrustDenial::PrincipalNotTrusted);
}

#[test]
fn no_conditions_trusts_every_token_of_the_provider() {
    let policy = trust(json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Federated": PROVIDER}}]));
    assert!(evaluate(&policy, PROVIDER, &[], "anyone").is_ok());
}

#[test]
fn failed_condition_names_its_key() {
    let policy = trust(json!([allow(json!("sts:AssumeRole"), standard_conditions())]));
    let denial = evaluate(&policy, PROVIDER, &["sts.aliyuncs.com"], "repo:acme/app:ref:refs/heads/dev").unwrap_err();
    assert_eq!(denial, TrustDenial::ConditionFailed { key: "oidc:sub".into() });
    let denial = evaluate(&policy, PROVIDER, &["other-client"], SUBJECT).unwrap_err();
    assert_eq!(denial, TrustDenial::ConditionFailed { key: "oidc:aud".into() });
}

#[test]
fn string_like_on_subject() {
    let policy = trust(json!([allow(
        json!("sts:AssumeRoleWithOIDC"),
        json!({"StringLike": {"oidc:sub": ["repo:acme/*:ref:refs/heads/main", "repo:acme/tools:*"]}})
    )]));
    assert!(evaluate(&policy, PROVIDER, &[], "repo:acme/app:ref:refs/heads/main").is_ok());
    assert!(evaluate(&policy, PROVIDER, &[], "repo:acme/tools:pull_request").is_ok());
    let denial = evaluate(&policy, PROVIDER, &[], "repo:evil/app:ref:refs/heads/main").unwrap_err();
    assert_eq!(denial, TrustDenial::ConditionFailed { key: "oidc:sub".into() });
}

#[test]
fn audience_array_matches_any_value() {
    let policy = trust(json!([allow(json!("sts:AssumeRole"), json!({"StringEquals": {"oidc:aud": ["a", "b"]}}))]));
    assert!(evaluate(&policy, PROVIDER, &["x", "b"], SUBJECT).is_ok());
    assert!(evaluate(&policy, PROVIDER, &["a"], SUBJECT).is_ok());
    assert_eq!(
        evaluate(&policy, PROVIDER, &["x", "y"], SUBJECT).unwrap_err(),
        TrustDenial::ConditionFailed { key: "oidc:aud".into() }
    );
    assert_eq!(
        evaluate(&policy, PROVIDER, &[], SUBJECT).unwrap_err(),
        TrustDenial::ConditionFailed { key: "oidc:aud".into() },
        "a token without aud fails a positive condition"
    );
}

#[test]
fn negated_audience_condition_rejects_any_listed_value() {
    let policy = trust(json!([allow(json!("sts:AssumeRole"), json!({"StringNotEquals": {"oidc:aud": "untrusted"}}))]));
    assert!(evaluate(&policy, PROVIDER, &["good"], SUBJECT).is_ok());
    assert!(evaluate(&policy, PROVIDER, &["good", "untrusted"], SUBJECT).is_err());
}

#[test]
fn explicit_deny_wins() {
    let deny = json!({"Effect": "Deny", "Action": "sts:AssumeRoleWithOIDC", "Principal": {"Federated": PROVIDER},
                      "Condition": {"StringLike": {"oidc:sub": "*:ref:refs/heads/dev"}}});
    let policy = trust(json!([allow(json!("sts:*"), json!({"StringLike": {"oidc:sub": "repo:acme/*"}})), deny]));
    assert!(evaluate(&policy, PROVIDER, &[], SUBJECT).is_ok());
    assert_eq!(
        evaluate(&policy, PROVIDER, &[], "repo:acme/app:ref:refs/heads/dev").unwrap_err(),
        TrustDenial::ExplicitDeny
    );
}

#[test]
fn deny_for_other_provider_does_not_apply() {
    let deny = json!({"Effect": "Deny", "Action": "*", "Principal": {"Federated": OTHER_PROVIDER}});
    let policy = trust(json!([deny, allow(json!("sts:AssumeRole"), standard_conditions())]));
    assert!(standard(&policy).is_ok());
}

#[test]
fn best_matching_statement_is_reported() {
    let loose =
        allow(json!("sts:AssumeRole"), json!({"StringEquals": {"oidc:iss": "https://elsewhere", "oidc:sub": "x"}}));
    let close = allow(
        json!("sts:AssumeRole"),
        json!({"StringEquals": {"oidc:iss": ISSUER, "oidc:aud": "sts.aliyuncs.com"}, "StringLike": {"oidc:sub": "repo:acme/other:*"}}),
    );
    let policy = trust(json!([loose, close]));
    let denial = standard(&policy).unwrap_err();
    assert_eq!(denial, TrustDenial::ConditionFailed { key: "oidc:sub".into() });
}

#[test]
fn first_failed_condition_in_document_order() {
    let policy = trust(json!([allow(
        json!("sts:AssumeRole"),
        json!({"StringEquals": {"oidc:iss": "https://elsewhere"}, "StringLike": {"OIDC:Sub": "nobody"}})
    )]));
    assert_eq!(standard(&policy).unwrap_err(), TrustDenial::ConditionFailed { key: "oidc:iss".into() });
}

#[test]
fn api_errors_name_check_not_value() {
    let condition = TrustDenial::ConditionFailed { key: "oidc:sub".into() }.to_api_error();
    assert_eq!(condition.code, "AuthenticationFail.NoPermission");
    assert_eq!(condition.status, 401);
    assert!(condition.message.contains("oidc:sub"), "{}", condition.message);

    let policy = trust(json!([allow(json!("sts:AssumeRole"), standard_conditions())]));
    let denial = evaluate(&policy, PROVIDER, &["sts.aliyuncs.com"], "repo:acme/app:ref:refs/heads/dev").unwrap_err();
    let message = denial.to_api_error().message;
    assert!(!message.contains(SUBJECT), "{message}");
    assert!(!message.contains("refs/heads/dev"), "{message}");

    for denial in [TrustDenial::ExplicitDeny, TrustDenial::PrincipalNotTrusted] {
        let api = denial.to_api_error();
        assert_eq!(api.code, "AuthenticationFail.NoPermission");
        assert_eq!(api.status, 401);
    }
    assert!(TrustDenial::PrincipalNotTrusted.to_api_error().message.contains("Principal.Federated"));
}

#[test]
fn verified_token_wrapper_uses_its_claims() {
    use crate::jose::{parse_compact, test_support};
    use crate::token::{verify, ProviderRules};

    let now = time::OffsetDateTime::now_utc();
    let key = test_support::TestKey::ed25519();
    let compact = key.token(Some("k1"), &test_support::valid_claims(now.unix_timestamp()));
    let jws = parse_compact(&compact).unwrap();
    let client_ids = vec![test_support::CLIENT_ID.to_owned()];
    let rules = ProviderRules {
        issuer_url: test_support::ISSUER,
        client_ids: &client_ids,
        issuance_limit_hours: 12,
        leeway_secs: 0,
    };
    let token = verify(&jws, &key.public_jwk(Some("k1")), &rules, now).unwrap();

    let conditions = json!({"StringEquals": {"oidc:iss": test_support::ISSUER, "oidc:aud": test_support::CLIENT_ID},
                            "StringLike": {"oidc:sub": "system:serviceaccount:ns:*"}});
    let policy = trust(json!([allow(json!("sts:AssumeRole"), conditions)]));
    let decision = evaluate_oidc_trust(&policy, PROVIDER, ROLE, &token).unwrap();
    assert_eq!(decision.resource(), ROLE);

    let strict = trust(json!([allow(json!("sts:AssumeRole"), json!({"StringEquals": {"oidc:sub": "someone-else"}}))]));
    assert_eq!(
        evaluate_oidc_trust(&strict, PROVIDER, ROLE, &token).unwrap_err(),
        TrustDenial::ConditionFailed { key: "oidc:sub".into() }
    );
}

proptest! {
    #[test]
    fn deny_all_for_provider_always_wins(
        subject in "[a-z:/]{1,30}",
        audiences in prop::collection::vec("[a-z]{1,8}", 0..4),
        deny_action in prop::sample::select(vec!["*", "sts:*", "sts:AssumeRole", "sts:AssumeRoleWithOIDC"]),
    ) {
        let deny = json!({"Effect": "Deny", "Action": deny_action, "Principal": {"Federated": PROVIDER}});
        let policy = trust(json!([{"Effect": "Allow", "Action": "*", "Principal": {"Federated": PROVIDER}}, deny]));
        let claims = OidcTrustClaims { issuer: ISSUER, audiences: &audiences, subject: &subject };
        prop_assert_eq!(evaluate_oidc_trust_claims(&policy, PROVIDER, ROLE, &claims), Err(TrustDenial::ExplicitDeny));
    }

    #[test]
    fn subject_pattern_agrees_with_prefix(subject in "[a-c:]{0,12}") {
        let policy = trust(json!([allow(json!("sts:AssumeRole"), json!({"StringLike": {"oidc:sub": "ab:*"}}))]));
        let claims = OidcTrustClaims { issuer: ISSUER, audiences: &[], subject: &subject };
        let allowed = evaluate_oidc_trust_claims(&policy, PROVIDER, ROLE, &claims).is_ok();
        prop_assert_eq!(allowed, subject.starts_with("ab:"));
    }
}
