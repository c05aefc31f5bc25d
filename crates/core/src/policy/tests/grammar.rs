//! Grammar check: one test per rule, each asserting the JSON path and the error kind.

use super::{document, permission, permission_error, trust_error};
use crate::policy::{compile, PolicyErrorKind as K, PolicyKind, MAX_DOCUMENT_BYTES, MAX_STATEMENTS};

const ALLOW_ALL: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#;
const FEDERATED: &str = r#""Principal":{"Federated":"acs:ram::123:oidc-provider/gh"}"#;

fn doc_error(doc: &str) -> crate::policy::PolicyError {
    match compile(doc, PolicyKind::Permission) {
        Ok(_) => panic!("compiled although invalid: {doc}"),
        Err(e) => e,
    }
}

#[test]
fn valid_permission_policy_compiles() {
    let doc = document(
        r#"{"Effect":"Allow","Action":["ram:Get*","ram:List*"],"Resource":"acs:ram:*:123:role/*"},
           {"Effect":"Deny","NotAction":"sts:*","NotResource":["acs:ram::123:role/admin"],
            "Condition":{"IpAddress":{"acs:SourceIp":["10.0.0.0/8"]},"Bool":{"acs:SecureTransport":true}}}"#,
    );
    let policy = compile(&doc, PolicyKind::Permission).unwrap();
    assert_eq!(policy.statements(), 2);
    assert_eq!(policy.source(), doc);
    assert_eq!(policy.kind(), PolicyKind::Permission);
}

#[test]
fn valid_trust_policy_compiles() {
    let doc = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
        "Principal":{"Federated":["acs:ram::123:oidc-provider/gh"]},
        "Condition":{"StringEquals":{"oidc:iss":["https://issuer"],"oidc:aud":["client"],
                                     "oidc:sub":["system:serviceaccount:ns:sa"]}}}]}"#;
    let policy = compile(doc, PolicyKind::Trust).unwrap();
    assert_eq!(policy.statements(), 1);
    assert_eq!(policy.kind(), PolicyKind::Trust);
}

#[test]
fn single_statement_object_is_accepted() {
    let doc = format!(r#"{{"Version":"1","Statement":{ALLOW_ALL}}}"#);
    assert_eq!(compile(&doc, PolicyKind::Permission).unwrap().statements(), 1);
    let bad = r#"{"Version":"1","Statement":{"Effect":"Allow","Action":"*"}}"#;
    assert_eq!(doc_error(bad).path, "Statement");
}

#[test]
fn document_size_is_bounded() {
    let padding = " ".repeat(MAX_DOCUMENT_BYTES);
    let doc = format!("{}{padding}", document(ALLOW_ALL));
    let e = doc_error(&doc);
    assert!(matches!(e.kind, K::DocumentTooLarge { limit: MAX_DOCUMENT_BYTES, .. }), "{e}");
    assert_eq!(e.path, "");
}

#[test]
fn statement_count_is_bounded() {
    let many = vec![ALLOW_ALL; MAX_STATEMENTS + 1].join(",");
    let e = permission_error(&many);
    assert_eq!(e.path, "Statement");
    assert!(matches!(e.kind, K::TooManyStatements { actual: 101, .. }), "{e}");
    let max = vec![ALLOW_ALL; MAX_STATEMENTS].join(",");
    assert_eq!(permission(&max).statements(), MAX_STATEMENTS);
}

#[test]
fn deep_nesting_is_rejected_without_panic() {
    let nested = format!("{}\"x\"{}", "[".repeat(5000), "]".repeat(5000));
    let doc = document(&format!(
        r#"{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{{"StringEquals":{{"a:b":{nested}}}}}}}"#
    ));
    assert!(matches!(doc_error(&doc).kind, K::InvalidJson { .. }));
    let shallow = format!("{}\"x\"{}", "[".repeat(3), "]".repeat(3));
    let doc = document(&format!(
        r#"{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{{"StringEquals":{{"a:b":{shallow}}}}}}}"#
    ));
    let e = doc_error(&doc);
    assert_eq!(e.path, "Statement[0].Condition.StringEquals.a:b[0]");
    assert!(matches!(e.kind, K::WrongType { .. }), "{e}");
}

#[test]
fn invalid_json_is_rejected() {
    for bad in ["", "{", r#"{"Version":"1",}"#, r#"{"Version":"1"} trailing"#, "\u{feff}{}"] {
        let e = doc_error(bad);
        assert!(matches!(e.kind, K::InvalidJson { .. }), "{bad:?}: {e}");
    }
}

#[test]
fn top_level_must_be_object() {
    let e = doc_error(r#"["Version"]"#);
    assert_eq!(e.path, "");
    assert!(matches!(e.kind, K::WrongType { found: "an array", .. }), "{e}");
}

#[test]
fn unknown_top_level_field() {
    let e = doc_error(&format!(r#"{{"Version":"1","Id":"x","Statement":[{ALLOW_ALL}]}}"#));
    assert_eq!(e.path, "Id");
    assert!(matches!(e.kind, K::UnknownField { suggestion: None, .. }), "{e}");
    let e = doc_error(&format!(r#"{{"version":"1","Statement":[{ALLOW_ALL}]}}"#));
    assert!(matches!(e.kind, K::UnknownField { suggestion: Some("Version"), .. }), "{e}");
}

#[test]
fn duplicate_fields_are_rejected() {
    let e = doc_error(&format!(r#"{{"Version":"1","Version":"1","Statement":[{ALLOW_ALL}]}}"#));
    assert_eq!(e.path, "Version");
    assert!(matches!(e.kind, K::DuplicateField { .. }), "{e}");

    let e = permission_error(r#"{"Effect":"Deny","Effect":"Allow","Action":"*","Resource":"*"}"#);
    assert_eq!(e.path, "Statement[0].Effect");
    assert!(matches!(e.kind, K::DuplicateField { .. }), "{e}");

    let e = permission_error(
        r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"a:b":true},"Bool":{"a:c":true}}}"#,
    );
    assert_eq!(e.path, "Statement[0].Condition.Bool");
    assert!(matches!(e.kind, K::DuplicateField { .. }), "{e}");

    let e = permission_error(
        r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a:b":"x","a:b":"y"}}}"#,
    );
    assert_eq!(e.path, "Statement[0].Condition.StringEquals.a:b");
    assert!(matches!(e.kind, K::DuplicateField { .. }), "{e}");

    let e = trust_error(
        r#"{"Effect":"Allow","Action":"*","Principal":{"Federated":"acs:ram::1:oidc-provider/a","Federated":"acs:ram::1:oidc-provider/b"}}"#,
    );
    assert_eq!(e.path, "Statement[0].Principal.Federated");
    assert!(matches!(e.kind, K::DuplicateField { .. }), "{e}");
}

#[test]
fn version_rules() {
    let e = doc_error(&format!(r#"{{"Statement":[{ALLOW_ALL}]}}"#));
    assert!(matches!(e.kind, K::MissingField { field: "Version", .. }), "{e}");
    let e = doc_error(&format!(r#"{{"Version":"2","Statement":[{ALLOW_ALL}]}}"#));
    assert_eq!(e.path, "Version");
    assert!(matches!(e.kind, K::UnsupportedVersion { .. }), "{e}");
    let e = doc_error(&format!(r#"{{"Version":1,"Statement":[{ALLOW_ALL}]}}"#));
    assert!(matches!(e.kind, K::WrongType { found: "a number", .. }), "{e}");
}

#[test]
fn statement_shape_rules() {
    let e = doc_error(r#"{"Version":"1"}"#);
    assert!(matches!(e.kind, K::MissingField { field: "Statement", .. }), "{e}");
    let e = doc_error(r#"{"Version":"1","Statement":[]}"#);
    assert_eq!(e.path, "Statement");
    assert!(matches!(e.kind, K::EmptyArray), "{e}");
    let e = doc_error(r#"{"Version":"1","Statement":"Allow"}"#);
    assert!(matches!(e.kind, K::WrongType { found: "a string", .. }), "{e}");
    let e = permission_error(&format!("{ALLOW_ALL}, 7"));
    assert_eq!(e.path, "Statement[1]");
    assert!(matches!(e.kind, K::WrongType { found: "a number", .. }), "{e}");
}

#[test]
fn unknown_statement_field() {
    let e = permission_error(r#"{"Sid":"x","Effect":"Allow","Action":"*","Resource":"*"}"#);
    assert_eq!(e.path, "Statement[0].Sid");
    assert!(matches!(e.kind, K::UnknownField { .. }), "{e}");
    let e = permission_error(r#"{"Effect":"Allow","action":"*","Resource":"*"}"#);
    assert!(matches!(e.kind, K::UnknownField { suggestion: Some("Action"), .. }), "{e}");
}

#[test]
fn effect_rules() {
    let e = permission_error(r#"{"Action":"*","Resource":"*"}"#);
    assert_eq!(e.path, "Statement[0]");
    assert!(matches!(e.kind, K::MissingField { field: "Effect", .. }), "{e}");
    let e = permission_error(r#"{"Effect":"allow","Action":"*","Resource":"*"}"#);
    assert_eq!(e.path, "Statement[0].Effect");
    assert!(matches!(e.kind, K::InvalidEffect { .. }), "{e}");
    let e = permission_error(r#"{"Effect":true,"Action":"*","Resource":"*"}"#);
    assert!(matches!(e.kind, K::WrongType { found: "a boolean", .. }), "{e}");
}

#[test]
fn action_presence_rules() {
    let e = permission_error(r#"{"Effect":"Allow","Action":"*","NotAction":"ram:*","Resource":"*"}"#);
    assert_eq!(e.path, "Statement[0]");
    assert!(matches!(e.kind, K::ConflictingFields { first: "Action", second: "NotAction" }), "{e}");
    let e = permission_error(r#"{"Effect":"Allow","Resource":"*"}"#);
    assert!(matches!(e.kind, K::MissingOneOf { first: "Action", .. }), "{e}");
}

#[test]
fn action_value_rules() {
    let e = permission_error(r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#);
    assert_eq!(e.path, "Statement[0].Action");
    assert!(matches!(e.kind, K::EmptyArray), "{e}");
    let e = permission_error(r#"{"Effect":"Allow","Action":"","Resource":"*"}"#);
    assert!(matches!(e.kind, K::EmptyString), "{e}");
    let e = permission_error(r#"{"Effect":"Allow","Action":["ram:*", 5],"Resource":"*"}"#);
    assert_eq!(e.path, "Statement[0].Action[1]");
    assert!(matches!(e.kind, K::WrongType { .. }), "{e}");
    let e = permission_error(r#"{"Effect":"Allow","NotAction":{"a":"b"},"Resource":"*"}"#);
    assert_eq!(e.path, "Statement[0].NotAction");
    assert!(matches!(e.kind, K::WrongType { found: "an object", .. }), "{e}");
}

#[test]
fn action_syntax_rules() {
    for bad in ["sts", "sts:", ":AssumeRole", "sts:Assume Role", "a:b:c", "sts:Assume/Role", "**", "sts:\u{0}"] {
        let e = permission_error(&format!(
            r#"{{"Effect":"Allow","Action":["*",{}],"Resource":"*"}}"#,
            serde_json::json!(bad)
        ));
        assert_eq!(e.path, "Statement[0].Action[1]", "{bad:?}");
        assert!(matches!(e.kind, K::InvalidAction { .. }), "{bad:?}: {e}");
    }
    for good in ["*", "sts:AssumeRole", "ram:Get*", "*:*", "oss:Get?bject", "ecs:Describe-Instances_v2.1"] {
        permission(&format!(r#"{{"Effect":"Allow","Action":"{good}","Resource":"*"}}"#));
    }
}

#[test]
fn resource_rules() {
    let e = permission_error(r#"{"Effect":"Allow","Action":"*"}"#);
    assert!(matches!(e.kind, K::MissingOneOf { first: "Resource", second: "NotResource" }), "{e}");
    let e = permission_error(r#"{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}"#);
    assert!(matches!(e.kind, K::ConflictingFields { first: "Resource", .. }), "{e}");
    for bad in ["role/x", "acs:ram::1:role/a b", "ACS:ram::1:role/x", "**"] {
        let e = permission_error(&format!(r#"{{"Effect":"Allow","Action":"*","Resource":"{bad}"}}"#));
        assert_eq!(e.path, "Statement[0].Resource");
        assert!(matches!(e.kind, K::InvalidResource { .. }), "{bad}: {e}");
    }
    let e = permission_error(r#"{"Effect":"Allow","Action":"*","NotResource":["*",""]}"#);
    assert_eq!(e.path, "Statement[0].NotResource[1]");
    assert!(matches!(e.kind, K::EmptyString), "{e}");
}

#[test]
fn principal_not_allowed_in_permission_policy() {
    let e = permission_error(&format!(r#"{{"Effect":"Allow","Action":"*","Resource":"*",{FEDERATED}}}"#));
    assert_eq!(e.path, "Statement[0].Principal");
    assert!(matches!(e.kind, K::FieldNotAllowed { field: "Principal", .. }), "{e}");
}

#[test]
fn resource_not_allowed_in_trust_policy() {
    for field in ["Resource", "NotResource"] {
        let e = trust_error(&format!(r#"{{"Effect":"Allow","Action":"sts:AssumeRole","{field}":"*",{FEDERATED}}}"#));
        assert_eq!(e.path, format!("Statement[0].{field}"));
        assert!(matches!(e.kind, K::FieldNotAllowed { .. }), "{e}");
    }
}

#[test]
fn principal_rules() {
    let e = trust_error(r#"{"Effect":"Allow","Action":"sts:AssumeRole"}"#);
    assert!(matches!(e.kind, K::MissingField { field: "Principal", .. }), "{e}");
    let cases = [
        (r#""acs:ram::1:root""#, "Statement[0].Principal", "WrongType"),
        ("{}", "Statement[0].Principal", "EmptyObject"),
        (r#"{"AWS":"x"}"#, "Statement[0].Principal.AWS", "UnknownPrincipalType"),
        (r#"{"Federated":""}"#, "Statement[0].Principal.Federated", "EmptyString"),
        (r#"{"Federated":[]}"#, "Statement[0].Principal.Federated", "EmptyArray"),
        (r#"{"Federated":["acs:ram::1:role/x"]}"#, "Statement[0].Principal.Federated[0]", "InvalidFederatedPrincipal"),
        (
            r#"{"Federated":"acs:ram::1:oidc-provider/"}"#,
            "Statement[0].Principal.Federated",
            "InvalidFederatedPrincipal",
        ),
        (
            r#"{"Federated":"acs:oss::1:oidc-provider/x"}"#,
            "Statement[0].Principal.Federated",
            "InvalidFederatedPrincipal",
        ),
        (r#"{"Federated":"*"}"#, "Statement[0].Principal.Federated", "InvalidFederatedPrincipal"),
        (r#"{"RAM":["acs:ram::1:root", "a b"]}"#, "Statement[0].Principal.RAM[1]", "InvalidPrincipal"),
        (r#"{"Service":7}"#, "Statement[0].Principal.Service", "WrongType"),
    ];
    for (principal, path, kind) in cases {
        let e = trust_error(&format!(r#"{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{principal}}}"#));
        assert_eq!(e.path, path, "{principal}");
        assert!(format!("{:?}", e.kind).starts_with(kind), "{principal}: {e:?}");
    }
}

#[test]
fn principal_types_compile() {
    let doc = document(
        r#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::1:root","Service":["ecs.aliyuncs.com"],
            "Federated":"acs:ram::1:saml-provider/idp"}}"#,
    );
    assert_eq!(compile(&doc, PolicyKind::Trust).unwrap().statements(), 1);
}

#[test]
fn condition_block_rules() {
    let with = |condition: &str| {
        permission_error(&format!(r#"{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{condition}}}"#))
    };
    let e = with(r#"["StringEquals"]"#);
    assert_eq!(e.path, "Statement[0].Condition");
    assert!(matches!(e.kind, K::WrongType { .. }), "{e}");
    let e = with("{}");
    assert!(matches!(e.kind, K::EmptyObject { field: "Condition", .. }), "{e}");
    let e = with(r#"{"StringMatches":{"a:b":"x"}}"#);
    assert_eq!(e.path, "Statement[0].Condition.StringMatches");
    assert!(matches!(e.kind, K::UnknownOperator { suggestion: None, .. }), "{e}");
    let e = with(r#"{"stringequals":{"a:b":"x"}}"#);
    assert!(matches!(e.kind, K::UnknownOperator { suggestion: Some("StringEquals"), .. }), "{e}");
    let e = with(r#"{"StringEquals":"a:b"}"#);
    assert_eq!(e.path, "Statement[0].Condition.StringEquals");
    assert!(matches!(e.kind, K::WrongType { .. }), "{e}");
    let e = with(r#"{"StringEquals":{}}"#);
    assert!(matches!(e.kind, K::EmptyObject { field: "operator", .. }), "{e}");
    let e = with(r#"{"StringEquals":{"sub":"x"}}"#);
    assert_eq!(e.path, "Statement[0].Condition.StringEquals.sub");
    assert!(matches!(e.kind, K::InvalidConditionKey { .. }), "{e}");
}

#[test]
fn condition_values_must_parse() {
    let cases = [
        ("NumericLessThan", r#"["1", "x"]"#, "[1]", "InvalidNumber"),
        ("DateGreaterThan", r#""2026-02-30T00:00:00Z""#, "", "InvalidDate"),
        ("Bool", r#""yes""#, "", "InvalidBool"),
        ("IpAddress", r#""10.0.0.0/40""#, "", "InvalidIpAddress"),
        ("NotIpAddress", r#""localhost""#, "", "InvalidIpAddress"),
        ("StringLike", r#""""#, "", "EmptyString"),
        ("StringEquals", "null", "", "WrongType"),
    ];
    for (operator, value, suffix, kind) in cases {
        let e = permission_error(&format!(
            r#"{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{{"{operator}":{{"acs:k":{value}}}}}}}"#
        ));
        assert_eq!(e.path, format!("Statement[0].Condition.{operator}.acs:k{suffix}"), "{operator}");
        assert!(format!("{:?}", e.kind).starts_with(kind), "{operator}: {e:?}");
    }
}

#[test]
fn all_operators_compile() {
    let operators = [
        ("StringEquals", r#""a""#),
        ("StringNotEquals", r#""a""#),
        ("StringEqualsIgnoreCase", r#""a""#),
        ("StringNotEqualsIgnoreCase", r#""a""#),
        ("StringLike", r#""a*""#),
        ("StringNotLike", r#""a?""#),
        ("NumericEquals", "1"),
        ("NumericNotEquals", r#""1.5""#),
        ("NumericLessThan", "-3"),
        ("NumericLessThanEquals", "1e3"),
        ("NumericGreaterThan", "0"),
        ("NumericGreaterThanEquals", "[1, 2]"),
        ("DateEquals", r#""2026-01-01T00:00:00Z""#),
        ("DateNotEquals", "1767225600"),
        ("DateLessThan", r#""2026-01-01T08:00:00+08:00""#),
        ("DateLessThanEquals", r#""2026-01-01T00:00:00.250Z""#),
        ("DateGreaterThan", r#"["2026-01-01T00:00:00Z"]"#),
        ("DateGreaterThanEquals", "1767225600.5"),
        ("Bool", "false"),
        ("IpAddress", r#""192.168.0.0/16""#),
        ("NotIpAddress", r#"["2001:db8::/32", "10.0.0.1"]"#),
    ];
    for (operator, value) in operators {
        permission(&format!(
            r#"{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{{"{operator}":{{"acs:k":{value}}}}}}}"#
        ));
    }
}

#[test]
fn api_error_carries_path() {
    let e = permission_error(r#"{"Effect":"Permit","Action":"*","Resource":"*"}"#);
    let api = e.to_api_error("PolicyDocument");
    assert_eq!(api.code, "InvalidParameter.PolicyGrammar");
    assert!(api.message.contains("Statement[0].Effect"), "{}", api.message);
    assert!(api.message.contains("\"Allow\" or \"Deny\""), "{}", api.message);
}
