//! The grammar check: turns a policy document into compiled statements or a
//! [`PolicyError`] naming the JSON path and the fix.

use super::condition::Condition;
use super::error::{PolicyError, PolicyErrorKind};
use super::json::{self, index_path, member_path, Json};
use super::operator::Operator;
use super::pattern::Pattern;
use super::statement::{Effect, PatternSet, Principals, Statement};
use super::PolicyKind;
use crate::arn::Arn;

/// Largest document the compiler reads, in bytes. Callers apply the smaller API
/// limits (6,144 characters for managed policies, 2,048 for session policies).
pub const MAX_DOCUMENT_BYTES: usize = 32 * 1024;

/// Most statements one document may hold.
pub const MAX_STATEMENTS: usize = 100;

// NOTE: Field names, operator names and Effect values must match the documented
// spelling exactly, and `Sid` is rejected. Whether Alibaba Cloud's own checker is as
// strict is not verified; errors suggest the documented spelling for case slips.
const TOP_FIELDS: &[&str] = &["Version", "Statement"];
const STATEMENT_FIELDS: &[&str] =
    &["Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "Condition"];
const PRINCIPAL_FIELDS: &[&str] = &["Federated", "RAM", "Service"];

/// Parses and validates `document` as a policy of `kind`.
pub(crate) fn parse_document(document: &str, kind: PolicyKind) -> Result<Vec<Statement>, PolicyError> {
    if document.len() > MAX_DOCUMENT_BYTES {
        return Err(PolicyError::new(
            "",
            PolicyErrorKind::DocumentTooLarge { limit: MAX_DOCUMENT_BYTES, actual: document.len() },
        ));
    }
    let root = json::parse(document)
        .map_err(|e| PolicyError::new("", PolicyErrorKind::InvalidJson { detail: e.to_string() }))?;
    let members = expect_object(&root, "", "an object with Version and Statement")?;
    check_fields(members, "", TOP_FIELDS, "Version and Statement")?;

    let version = field(members, "Version").ok_or_else(|| missing("", "Version", "add \"Version\": \"1\""))?;
    match version {
        Json::String(v) if v == "1" => {}
        Json::String(v) => {
            let found = format!("\"{}\"", v.chars().take(16).collect::<String>());
            return Err(PolicyError::new("Version", PolicyErrorKind::UnsupportedVersion { found }));
        }
        other => return Err(wrong_type("Version", "the string \"1\"", other)),
    }

    let statement = field(members, "Statement")
        .ok_or_else(|| missing("", "Statement", "add \"Statement\": [ ... ] with at least one statement"))?;
    let items: Vec<(String, &Json)> = match statement {
        Json::Array(list) if list.is_empty() => {
            return Err(PolicyError::new("Statement", PolicyErrorKind::EmptyArray));
        }
        Json::Array(list) => list.iter().enumerate().map(|(i, s)| (index_path("Statement", i), s)).collect(),
        Json::Object(_) => vec![("Statement".to_owned(), statement)],
        other => return Err(wrong_type("Statement", "an array of statement objects", other)),
    };
    if items.len() > MAX_STATEMENTS {
        return Err(PolicyError::new(
            "Statement",
            PolicyErrorKind::TooManyStatements { limit: MAX_STATEMENTS, actual: items.len() },
        ));
    }

    items.into_iter().map(|(path, item)| parse_statement(item, &path, kind)).collect()
}

fn parse_statement(value: &Json, path: &str, kind: PolicyKind) -> Result<Statement, PolicyError> {
    let members = expect_object(value, path, "a statement object")?;
    check_fields(
        members,
        path,
        STATEMENT_FIELDS,
        "Effect, Action, NotAction, Resource, NotResource, Principal and Condition",
    )?;

    let effect_path = member_path(path, "Effect");
    let effect = match field(members, "Effect") {
        None => return Err(missing(path, "Effect", "add \"Effect\": \"Allow\" or \"Effect\": \"Deny\"")),
        Some(Json::String(e)) if e == "Allow" => Effect::Allow,
        Some(Json::String(e)) if e == "Deny" => Effect::Deny,
        Some(Json::String(e)) => {
            return Err(PolicyError::new(effect_path, PolicyErrorKind::InvalidEffect { found: e.clone() }));
        }
        Some(other) => return Err(wrong_type(&effect_path, "the string \"Allow\" or \"Deny\"", other)),
    };

    let (action_field, action_value, action_negated) =
        one_of(members, path, "Action", "NotAction")?.ok_or_else(|| {
            PolicyError::new(path, PolicyErrorKind::MissingOneOf { first: "Action", second: "NotAction" })
        })?;
    let action_path = member_path(path, action_field);
    let mut action_patterns = Vec::new();
    for (item_path, text) in string_list(action_value, &action_path)? {
        if !is_valid_action(text) {
            return Err(PolicyError::new(item_path, PolicyErrorKind::InvalidAction { found: text.to_owned() }));
        }
        action_patterns.push(Pattern::new(text, true));
    }
    let actions = PatternSet::new(action_patterns, action_negated);

    let resources = match (kind, one_of(members, path, "Resource", "NotResource")?) {
        (PolicyKind::Trust, Some((name, _, _))) => {
            return Err(not_allowed(
                path,
                name,
                "trust",
                "a trust policy always applies to its own role, so remove it",
            ));
        }
        (PolicyKind::Trust, None) => None,
        (PolicyKind::Permission, None) => {
            return Err(PolicyError::new(
                path,
                PolicyErrorKind::MissingOneOf { first: "Resource", second: "NotResource" },
            ));
        }
        (PolicyKind::Permission, Some((name, value, negated))) => {
            let resource_path = member_path(path, name);
            let mut patterns = Vec::new();
            for (item_path, text) in string_list(value, &resource_path)? {
                if !is_valid_resource(text) {
                    return Err(PolicyError::new(
                        item_path,
                        PolicyErrorKind::InvalidResource { found: text.to_owned() },
                    ));
                }
                patterns.push(Pattern::new(text, false));
            }
            Some(PatternSet::new(patterns, negated))
        }
    };

    let principals = match (kind, field(members, "Principal")) {
        (PolicyKind::Permission, Some(_)) => {
            return Err(not_allowed(
                path,
                "Principal",
                "permission",
                "Principal belongs in a role's trust policy, so remove it here",
            ));
        }
        (PolicyKind::Permission, None) => None,
        (PolicyKind::Trust, None) => {
            return Err(missing(
                path,
                "Principal",
                "add for example \"Principal\": {\"Federated\": \"acs:ram::123456789012:oidc-provider/Name\"}",
            ));
        }
        (PolicyKind::Trust, Some(value)) => Some(parse_principal(value, &member_path(path, "Principal"))?),
    };

    let conditions = match field(members, "Condition") {
        None => Vec::new(),
        Some(value) => parse_conditions(value, &member_path(path, "Condition"))?,
    };

    Ok(Statement { effect, actions, resources, principals, conditions })
}

fn parse_principal(value: &Json, path: &str) -> Result<Principals, PolicyError> {
    let members = expect_object(value, path, "an object with Federated, RAM or Service")?;
    if members.is_empty() {
        return Err(PolicyError::new(
            path,
            PolicyErrorKind::EmptyObject { field: "Principal", hint: "add Federated, RAM or Service" },
        ));
    }
    check_duplicates(members, path)?;

    let mut principals = Principals::default();
    for (name, value) in members {
        let entry_path = member_path(path, name);
        let Some(&known) = PRINCIPAL_FIELDS.iter().find(|f| **f == name) else {
            return Err(PolicyError::new(entry_path, PolicyErrorKind::UnknownPrincipalType { found: name.clone() }));
        };
        for (item_path, text) in string_list(value, &entry_path)? {
            // Provider names are case-sensitive, so a Federated ARN is kept exactly as written:
            // a provider whose name differs only in case must not inherit another one's trust.
            let stored = if known == "Federated" { text.to_owned() } else { text.to_lowercase() };
            let target = match known {
                "Federated" => {
                    if !is_provider_arn(text) {
                        return Err(PolicyError::new(
                            item_path,
                            PolicyErrorKind::InvalidFederatedPrincipal { found: text.to_owned() },
                        ));
                    }
                    &mut principals.federated
                }
                _ => {
                    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
                        return Err(PolicyError::new(
                            item_path,
                            PolicyErrorKind::InvalidPrincipal { found: text.to_owned() },
                        ));
                    }
                    if known == "RAM" {
                        &mut principals.ram
                    } else {
                        &mut principals.service
                    }
                }
            };
            target.push(stored);
        }
    }
    Ok(principals)
}

fn parse_conditions(value: &Json, path: &str) -> Result<Vec<Condition>, PolicyError> {
    let operators = expect_object(value, path, "an object of condition operators")?;
    if operators.is_empty() {
        return Err(PolicyError::new(
            path,
            PolicyErrorKind::EmptyObject {
                field: "Condition",
                hint: "add an operator such as StringEquals or remove Condition",
            },
        ));
    }
    check_duplicates(operators, path)?;

    let mut conditions = Vec::new();
    for (name, block) in operators {
        let operator_path = member_path(path, name);
        let operator = Operator::from_name(name).ok_or_else(|| {
            PolicyError::new(
                operator_path.clone(),
                PolicyErrorKind::UnknownOperator { found: name.clone(), suggestion: Operator::suggest(name) },
            )
        })?;
        let keys = expect_object(block, &operator_path, "an object of condition keys to values")?;
        if keys.is_empty() {
            return Err(PolicyError::new(
                operator_path,
                PolicyErrorKind::EmptyObject { field: "operator", hint: "add a condition key such as \"oidc:sub\"" },
            ));
        }
        check_duplicates(keys, &operator_path)?;
        for (key, values) in keys {
            conditions.push(Condition::compile(operator, key, values, &member_path(&operator_path, key))?);
        }
    }
    Ok(conditions)
}

/// `"*"`, or `<service>:<api>` where both parts are non-empty, the service uses
/// letters, digits, `-` and `_`, the API also `.`, and both may use `*` and `?`.
fn is_valid_action(text: &str) -> bool {
    if text == "*" {
        return true;
    }
    let Some((service, api)) = text.split_once(':') else {
        return false;
    };
    let service_ok =
        !service.is_empty() && service.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*' | '?'));
    let api_ok =
        !api.is_empty() && api.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '*' | '?'));
    service_ok && api_ok
}

/// `"*"`, or an ARN pattern starting with `acs:` and free of whitespace and control characters.
fn is_valid_resource(text: &str) -> bool {
    text == "*" || (text.starts_with("acs:") && !text.chars().any(|c| c.is_whitespace() || c.is_control()))
}

/// Checks for a RAM identity provider ARN: `acs:ram::<account>:oidc-provider/<name>` or `.../saml-provider/<name>`.
fn is_provider_arn(text: &str) -> bool {
    let Ok(arn) = text.parse::<Arn>() else {
        return false;
    };
    let name = arn.resource.strip_prefix("oidc-provider/").or_else(|| arn.resource.strip_prefix("saml-provider/"));
    arn.service.eq_ignore_ascii_case("ram") && name.is_some_and(|n| !n.is_empty())
}

/// Returns the single present field of a pair such as `Action`/`NotAction`, with
/// whether it is the `Not` form; both present is an error.
fn one_of<'a>(
    members: &'a [(String, Json)],
    path: &str,
    first: &'static str,
    second: &'static str,
) -> Result<Option<(&'static str, &'a Json, bool)>, PolicyError> {
    match (field(members, first), field(members, second)) {
        (Some(_), Some(_)) => Err(PolicyError::new(path, PolicyErrorKind::ConflictingFields { first, second })),
        (Some(v), None) => Ok(Some((first, v, false))),
        (None, Some(v)) => Ok(Some((second, v, true))),
        (None, None) => Ok(None),
    }
}

/// Reads a string or a non-empty array of non-empty strings, with the path of each.
fn string_list<'a>(value: &'a Json, path: &str) -> Result<Vec<(String, &'a str)>, PolicyError> {
    const EXPECTED: &str = "a string or a non-empty array of strings";
    let items: Vec<(String, &Json)> = match value {
        Json::Array(list) if list.is_empty() => return Err(PolicyError::new(path, PolicyErrorKind::EmptyArray)),
        Json::Array(list) => list.iter().enumerate().map(|(i, v)| (index_path(path, i), v)).collect(),
        single => vec![(path.to_owned(), single)],
    };
    items
        .into_iter()
        .map(|(item_path, item)| match item {
            Json::String(s) if s.is_empty() => Err(PolicyError::new(item_path, PolicyErrorKind::EmptyString)),
            Json::String(s) => Ok((item_path, s.as_str())),
            other => Err(wrong_type(&item_path, EXPECTED, other)),
        })
        .collect()
}

fn expect_object<'a>(value: &'a Json, path: &str, expected: &'static str) -> Result<&'a [(String, Json)], PolicyError> {
    match value {
        Json::Object(members) => Ok(members),
        other => Err(wrong_type(path, expected, other)),
    }
}

/// Rejects member names outside `allowed` (suggesting a case fix) and repeated names.
fn check_fields(
    members: &[(String, Json)],
    path: &str,
    allowed: &[&'static str],
    allowed_text: &'static str,
) -> Result<(), PolicyError> {
    for (name, _) in members {
        if !allowed.contains(&name.as_str()) {
            let suggestion = allowed.iter().copied().find(|a| a.eq_ignore_ascii_case(name));
            return Err(PolicyError::new(
                member_path(path, name),
                PolicyErrorKind::UnknownField { found: name.clone(), allowed: allowed_text, suggestion },
            ));
        }
    }
    check_duplicates(members, path)
}

fn check_duplicates(members: &[(String, Json)], path: &str) -> Result<(), PolicyError> {
    let mut seen = std::collections::HashSet::new();
    for (name, _) in members {
        if !seen.insert(name.as_str()) {
            return Err(PolicyError::new(
                member_path(path, name),
                PolicyErrorKind::DuplicateField { field: name.clone() },
            ));
        }
    }
    Ok(())
}

fn field<'a>(members: &'a [(String, Json)], name: &str) -> Option<&'a Json> {
    members.iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn missing(path: &str, field: &'static str, hint: &'static str) -> PolicyError {
    PolicyError::new(path, PolicyErrorKind::MissingField { field, hint })
}

fn not_allowed(path: &str, field: &'static str, kind: &'static str, hint: &'static str) -> PolicyError {
    PolicyError::new(member_path(path, field), PolicyErrorKind::FieldNotAllowed { field, kind, hint })
}

fn wrong_type(path: &str, expected: &'static str, found: &Json) -> PolicyError {
    PolicyError::new(path, PolicyErrorKind::WrongType { expected, found: found.type_name() })
}
