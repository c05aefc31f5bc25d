//! Evaluation of single policies and the identity/session combination of `authorize`.

use super::{document, permission};
use crate::policy::{
    authorize, authorize_root, compile, ConditionContext, Denial, Evaluation, PolicyKind, RequestContext,
};

const ROLE: &str = "acs:ram::123:role/app";

fn evaluate(statements: &str, action: &str, resource: &str, conditions: &ConditionContext) -> Evaluation {
    permission(statements).evaluate(&RequestContext { action, resource, conditions })
}

fn plain(statements: &str, action: &str, resource: &str) -> Evaluation {
    evaluate(statements, action, resource, &ConditionContext::new())
}

#[test]
fn allow_matches_action_and_resource() {
    let s = r#"{"Effect":"Allow","Action":"ram:GetRole","Resource":"acs:ram::123:role/app"}"#;
    assert_eq!(plain(s, "ram:GetRole", ROLE), Evaluation::Allow);
    assert_eq!(plain(s, "ram:DeleteRole", ROLE), Evaluation::NotApplicable);
    assert_eq!(plain(s, "ram:GetRole", "acs:ram::123:role/other"), Evaluation::NotApplicable);
}

#[test]
fn action_is_case_insensitive() {
    let s = r#"{"Effect":"Allow","Action":"RAM:getrole","Resource":"*"}"#;
    assert_eq!(plain(s, "ram:GetRole", ROLE), Evaluation::Allow);
    assert_eq!(plain(s, "Ram:GETROLE", ROLE), Evaluation::Allow);
}

#[test]
fn resource_is_case_sensitive() {
    let s = r#"{"Effect":"Allow","Action":"*","Resource":"acs:ram::123:role/app"}"#;
    assert_eq!(plain(s, "ram:GetRole", "acs:ram::123:role/App"), Evaluation::NotApplicable);
}

#[test]
fn wildcards_in_action_and_resource() {
    let s = r#"{"Effect":"Allow","Action":["ram:Get*","ram:List?oles"],"Resource":"acs:ram:*:123:role/*"}"#;
    assert_eq!(plain(s, "ram:GetPolicy", ROLE), Evaluation::Allow);
    assert_eq!(plain(s, "ram:ListRoles", ROLE), Evaluation::Allow);
    assert_eq!(plain(s, "ram:ListPolicies", ROLE), Evaluation::NotApplicable);
    assert_eq!(plain(s, "ram:GetRole", "acs:ram::124:role/app"), Evaluation::NotApplicable);
    assert_eq!(plain(s, "ram:GetRole", "acs:ram:cn-hangzhou:123:role/x/y"), Evaluation::Allow);
}

#[test]
fn not_action_inverts() {
    let s = r#"{"Effect":"Allow","NotAction":["ram:Delete*","ram:Create*"],"Resource":"*"}"#;
    assert_eq!(plain(s, "ram:GetRole", ROLE), Evaluation::Allow);
    assert_eq!(plain(s, "ram:deleteRole", ROLE), Evaluation::NotApplicable);
    assert_eq!(plain(s, "ram:CreateRole", ROLE), Evaluation::NotApplicable);
}

#[test]
fn not_resource_inverts() {
    let s = r#"{"Effect":"Allow","Action":"*","NotResource":"acs:ram::123:role/admin*"}"#;
    assert_eq!(plain(s, "ram:GetRole", ROLE), Evaluation::Allow);
    assert_eq!(plain(s, "ram:GetRole", "acs:ram::123:role/administrator"), Evaluation::NotApplicable);
}

#[test]
fn deny_wins_within_a_policy() {
    let s = r#"{"Effect":"Allow","Action":"*","Resource":"*"},
               {"Effect":"Deny","Action":"ram:DeleteRole","Resource":"*"}"#;
    assert_eq!(plain(s, "ram:DeleteRole", ROLE), Evaluation::ExplicitDeny);
    assert_eq!(plain(s, "ram:GetRole", ROLE), Evaluation::Allow);
    let deny_first = r#"{"Effect":"Deny","Action":"ram:DeleteRole","Resource":"*"},
                        {"Effect":"Allow","Action":"*","Resource":"*"}"#;
    assert_eq!(plain(deny_first, "ram:DeleteRole", ROLE), Evaluation::ExplicitDeny);
}

#[test]
fn conditions_combine_with_and_across_operators_and_keys() {
    let s = r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
        "StringEquals":{"acs:env":["prod","staging"],"acs:team":"core"},
        "IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}"#;
    let mut ctx = ConditionContext::new();
    ctx.insert("acs:env", "staging");
    ctx.insert("acs:team", "core");
    ctx.insert("acs:SourceIp", "10.1.1.1");
    assert_eq!(evaluate(s, "ram:GetRole", ROLE, &ctx), Evaluation::Allow, "OR within a key's values");

    let mut wrong_team = ctx.clone();
    wrong_team.insert("acs:team", "web");
    assert_eq!(evaluate(s, "ram:GetRole", ROLE, &wrong_team), Evaluation::Allow, "any context value may match");

    let mut missing_ip = ConditionContext::new();
    missing_ip.insert("acs:env", "prod");
    missing_ip.insert("acs:team", "core");
    assert_eq!(evaluate(s, "ram:GetRole", ROLE, &missing_ip), Evaluation::NotApplicable, "AND across operators");

    let mut missing_team = ConditionContext::new();
    missing_team.insert("acs:env", "prod");
    missing_team.insert("acs:SourceIp", "10.1.1.1");
    assert_eq!(evaluate(s, "ram:GetRole", ROLE, &missing_team), Evaluation::NotApplicable, "AND across keys");
}

#[test]
fn conditional_deny_applies_only_when_conditions_hold() {
    let s = r#"{"Effect":"Allow","Action":"*","Resource":"*"},
               {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}"#;
    let mut inside = ConditionContext::new();
    inside.insert("acs:sourceip", "10.0.0.5");
    assert_eq!(evaluate(s, "ram:GetRole", ROLE, &inside), Evaluation::Allow);
    let mut outside = ConditionContext::new();
    outside.insert("acs:sourceip", "192.0.2.1");
    assert_eq!(evaluate(s, "ram:GetRole", ROLE, &outside), Evaluation::ExplicitDeny);
    assert_eq!(plain(s, "ram:GetRole", ROLE), Evaluation::ExplicitDeny, "missing key makes NotIpAddress true");
}

#[test]
fn trust_policy_never_applies_to_requests() {
    let doc = document(r#"{"Effect":"Allow","Action":"*","Principal":{"Federated":"acs:ram::1:oidc-provider/x"}}"#);
    let trust = compile(&doc, PolicyKind::Trust).unwrap();
    let ctx = ConditionContext::new();
    let req = RequestContext { action: "sts:AssumeRole", resource: ROLE, conditions: &ctx };
    assert_eq!(trust.evaluate(&req), Evaluation::NotApplicable);
    assert!(matches!(authorize(&[&trust], None, &req), Err(Denial::NoAllow { .. })));
}

fn request<'a>(action: &'a str, ctx: &'a ConditionContext) -> RequestContext<'a> {
    RequestContext { action, resource: ROLE, conditions: ctx }
}

#[test]
fn authorize_requires_an_identity_allow() {
    let ctx = ConditionContext::new();
    let read = permission(r#"{"Effect":"Allow","Action":"ram:Get*","Resource":"*"}"#);
    let decision = authorize(&[&read], None, &request("ram:GetRole", &ctx)).unwrap();
    assert_eq!(decision.action(), "ram:GetRole");
    assert_eq!(decision.resource(), ROLE);

    let denial = authorize(&[&read], None, &request("ram:DeleteRole", &ctx)).unwrap_err();
    assert_eq!(denial, Denial::NoAllow { action: "ram:DeleteRole".into(), resource: ROLE.into() });
    assert!(matches!(authorize(&[], None, &request("ram:GetRole", &ctx)), Err(Denial::NoAllow { .. })));
}

#[test]
fn authorize_deny_in_any_identity_policy_wins() {
    let ctx = ConditionContext::new();
    let all = permission(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#);
    let deny = permission(r#"{"Effect":"Deny","Action":"ram:Delete*","Resource":"*"}"#);
    for order in [[&all, &deny], [&deny, &all]] {
        let denial = authorize(&order, None, &request("ram:DeleteRole", &ctx)).unwrap_err();
        assert!(matches!(denial, Denial::ExplicitDeny { .. }), "{denial:?}");
        assert!(authorize(&order, None, &request("ram:GetRole", &ctx)).is_ok());
    }
}

#[test]
fn authorize_session_policy_intersects() {
    let ctx = ConditionContext::new();
    let all = permission(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#);
    let read = permission(r#"{"Effect":"Allow","Action":"ram:Get*","Resource":"*"}"#);
    let session = permission(r#"{"Effect":"Allow","Action":["ram:GetRole","ram:DeleteRole"],"Resource":"*"}"#);

    assert!(authorize(&[&all], Some(&session), &request("ram:GetRole", &ctx)).is_ok());
    let outside = authorize(&[&all], Some(&session), &request("ram:ListRoles", &ctx)).unwrap_err();
    assert!(matches!(outside, Denial::NoAllow { .. }), "session does not allow it");
    let beyond_role = authorize(&[&read], Some(&session), &request("ram:DeleteRole", &ctx)).unwrap_err();
    assert!(matches!(beyond_role, Denial::NoAllow { .. }), "session cannot widen the role");
    let only_session = authorize(&[], Some(&session), &request("ram:GetRole", &ctx)).unwrap_err();
    assert!(matches!(only_session, Denial::NoAllow { .. }));
}

#[test]
fn authorize_session_deny_wins() {
    let ctx = ConditionContext::new();
    let all = permission(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#);
    let session = permission(
        r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"ram:Delete*","Resource":"*"}"#,
    );
    let denial = authorize(&[&all], Some(&session), &request("ram:DeleteRole", &ctx)).unwrap_err();
    assert!(matches!(denial, Denial::ExplicitDeny { .. }));
    assert!(authorize(&[&all], Some(&session), &request("ram:GetRole", &ctx)).is_ok());
}

#[test]
fn authorize_root_allows_anything() {
    let decision = authorize_root("ram:DeleteRole", "*");
    assert_eq!(decision.action(), "ram:DeleteRole");
    assert_eq!(decision.resource(), "*");
}

#[test]
fn denial_api_errors() {
    let no_allow = Denial::NoAllow { action: "ram:GetRole".into(), resource: ROLE.into() }.to_api_error();
    assert_eq!(no_allow.code, "NoPermission");
    assert_eq!(no_allow.status, 403);
    assert!(no_allow.message.contains("ram:GetRole"), "{}", no_allow.message);
    assert!(no_allow.message.contains(ROLE), "{}", no_allow.message);
    let deny = Denial::ExplicitDeny { action: "ram:GetRole".into(), resource: ROLE.into() }.to_api_error();
    assert_eq!(deny.code, "NoPermission");
    assert_eq!(deny.status, 403);
    assert!(deny.message.contains("explicit Deny"), "{}", deny.message);
}
