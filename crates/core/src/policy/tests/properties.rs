//! Property tests: the compiler survives any input and Deny always wins.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::document;
use crate::policy::{authorize, compile, ConditionContext, Denial, PolicyKind, RequestContext};

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "1",
            "Allow",
            "Deny",
            "*",
            "sts:AssumeRole",
            "acs:ram::1:oidc-provider/x",
            "oidc:sub"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        let names = prop::sample::select(vec![
            "Version",
            "Statement",
            "Effect",
            "Action",
            "NotAction",
            "Resource",
            "NotResource",
            "Principal",
            "Federated",
            "Condition",
            "StringEquals",
            "StringLike",
            "NumericLessThan",
            "DateEquals",
            "Bool",
            "IpAddress",
            "oidc:sub",
            "x",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((names, inner), 0..5)
                .prop_map(|members| Value::Object(members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

/// Generates a valid statement with random effect, actions, resources and an optional condition.
fn statement() -> impl Strategy<Value = Value> {
    let action =
        prop::sample::select(vec!["*", "ram:*", "ram:Get*", "sts:AssumeRole", "ecs:Describe?nstances", "oss:*Object"]);
    let resource =
        prop::sample::select(vec!["*", "acs:ram::123:role/*", "acs:ram::123:role/app", "acs:oss:*:*:bucket/*"]);
    let condition = prop::option::of(prop::sample::select(vec![
        json!({"StringEquals": {"acs:env": ["prod", "dev"]}}),
        json!({"StringNotLike": {"acs:env": "te*"}}),
        json!({"NumericLessThan": {"acs:n": 5}}),
        json!({"IpAddress": {"acs:SourceIp": "10.0.0.0/8"}}),
        json!({"Bool": {"acs:SecureTransport": true}}),
    ]));
    (
        prop::bool::ANY,
        prop::bool::ANY,
        prop::collection::vec(action, 1..3),
        prop::bool::ANY,
        prop::collection::vec(resource, 1..3),
        condition,
    )
        .prop_map(|(allow, not_action, actions, not_resource, resources, condition)| {
            let mut s = serde_json::Map::new();
            s.insert("Effect".into(), json!(if allow { "Allow" } else { "Deny" }));
            s.insert((if not_action { "NotAction" } else { "Action" }).into(), json!(actions));
            s.insert((if not_resource { "NotResource" } else { "Resource" }).into(), json!(resources));
            if let Some(c) = condition {
                s.insert("Condition".into(), c);
            }
            Value::Object(s)
        })
}

fn policy_text(statements: &[Value]) -> String {
    json!({"Version": "1", "Statement": statements}).to_string()
}

fn context(env: &str, ip: &str) -> ConditionContext {
    let mut ctx = ConditionContext::new();
    ctx.insert("acs:env", env);
    ctx.insert("acs:n", "3");
    ctx.insert("acs:SourceIp", ip);
    ctx.insert("acs:SecureTransport", "true");
    ctx
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn compile_never_panics_on_json(value in arbitrary_json()) {
        let text = value.to_string();
        let _ = compile(&text, PolicyKind::Permission);
        let _ = compile(&text, PolicyKind::Trust);
    }

    #[test]
    fn compile_never_panics_on_statement_json(value in arbitrary_json()) {
        let text = document(&value.to_string());
        let _ = compile(&text, PolicyKind::Permission);
        let _ = compile(&text, PolicyKind::Trust);
    }

    #[test]
    fn compile_never_panics_on_text(text in "\\PC{0,200}") {
        let _ = compile(&text, PolicyKind::Permission);
        let _ = compile(&text, PolicyKind::Trust);
    }

    #[test]
    fn generated_policies_compile(statements in prop::collection::vec(statement(), 1..6)) {
        let policy = compile(&policy_text(&statements), PolicyKind::Permission);
        prop_assert!(policy.is_ok(), "{:?}", policy.err());
    }

    #[test]
    fn added_deny_always_denies(
        statements in prop::collection::vec(statement(), 0..6),
        action in "[a-z]{2,5}:[A-Za-z]{1,10}",
        resource in "acs:[a-z]{2,4}::[0-9]{1,4}:[a-z/]{1,10}",
        deny_all in prop::bool::ANY,
        in_session in prop::bool::ANY,
        env in prop::sample::select(vec!["prod", "test", "dev"]),
        ip in prop::sample::select(vec!["10.1.2.3", "192.0.2.1"]),
    ) {
        let deny_action = if deny_all { "*".to_owned() } else { action.to_uppercase() };
        let deny = json!({"Effect": "Deny", "Action": deny_action, "Resource": "*"});
        let mut with_deny = statements.clone();
        with_deny.push(deny);
        let denying = compile(&policy_text(&with_deny), PolicyKind::Permission).unwrap();
        let allow_all = compile(&document(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#), PolicyKind::Permission).unwrap();

        let ctx = context(env, ip);
        let req = RequestContext { action: &action, resource: &resource, conditions: &ctx };
        let result = if in_session {
            authorize(&[&allow_all], Some(&denying), &req)
        } else {
            authorize(&[&allow_all, &denying], None, &req)
        };
        let is_explicit_deny = matches!(result, Err(Denial::ExplicitDeny { .. }));
        prop_assert!(is_explicit_deny, "{:?}", result);
    }

    #[test]
    fn allow_all_session_changes_nothing(
        statements in prop::collection::vec(statement(), 1..6),
        action in prop::sample::select(vec!["ram:GetRole", "sts:AssumeRole", "ecs:DescribeInstances", "oss:PutObject"]),
        resource in prop::sample::select(vec!["acs:ram::123:role/app", "acs:oss:*:*:bucket/k", "acs:ecs::1:instance/i"]),
        env in prop::sample::select(vec!["prod", "test"]),
    ) {
        let policy = compile(&policy_text(&statements), PolicyKind::Permission).unwrap();
        let allow_all = compile(&document(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#), PolicyKind::Permission).unwrap();
        let ctx = context(env, "10.0.0.1");
        let req = RequestContext { action, resource, conditions: &ctx };
        prop_assert_eq!(authorize(&[&policy], None, &req), authorize(&[&policy], Some(&allow_all), &req));
    }
}
