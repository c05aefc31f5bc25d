//! Compiled `Condition` entries: one operator, one key and its policy values.
//!
//! A positive operator holds when any context value matches any policy value. A
//! negated operator (`StringNotEquals`, `NotIpAddress`, ...) holds when no context
//! value matches any policy value. A missing key makes positive operators false
//! and negated operators true.

use std::net::IpAddr;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::context::ConditionContext;
use super::error::{PolicyError, PolicyErrorKind};
use super::json::{index_path, Json};
use super::operator::{Family, Operator};
use super::pattern::Pattern;

/// Maximum length of a condition key, in characters.
const MAX_KEY_CHARS: usize = 256;

/// One `Operator: { key: values }` pair of a statement's `Condition` block.
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    operator: Operator,
    /// Unicode-lower-cased key, the form `ConditionContext` stores.
    key: String,
    values: Values,
}

/// Policy values, parsed once for the operator's family.
#[derive(Debug, Clone)]
enum Values {
    /// Exact strings; lower-cased for the IgnoreCase operators.
    Text(Vec<String>),
    Like(Vec<Pattern>),
    Number(Vec<f64>),
    /// Instants as Unix nanoseconds.
    Date(Vec<i128>),
    Bool(Vec<bool>),
    Ip(Vec<IpBlock>),
}

impl Condition {
    /// Compiles `key: value` under `operator`; `path` locates the key for errors.
    pub(crate) fn compile(operator: Operator, key: &str, value: &Json, path: &str) -> Result<Self, PolicyError> {
        validate_key(key).map_err(|kind| PolicyError::new(path, kind))?;

        let scalars: Vec<(String, &Json)> = match value {
            Json::Array(items) if items.is_empty() => {
                return Err(PolicyError::new(path, PolicyErrorKind::EmptyArray));
            }
            Json::Array(items) => items.iter().enumerate().map(|(i, item)| (index_path(path, i), item)).collect(),
            single => vec![(path.to_owned(), single)],
        };

        let family = operator.family();
        let mut values = Values::empty(family);
        for (item_path, item) in scalars {
            values.push(family, item).map_err(|kind| PolicyError::new(item_path, kind))?;
        }
        Ok(Self { operator, key: key.to_lowercase(), values })
    }

    /// Returns the lower-cased condition key, for example `oidc:sub`.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// Evaluates the condition against the request's context.
    pub(crate) fn holds(&self, context: &ConditionContext) -> bool {
        let any_match = match context.get(&self.key) {
            Some(found) => found.iter().any(|value| self.matches(value)),
            None => false,
        };
        any_match != self.operator.is_negated()
    }

    /// Returns whether one context value matches any policy value under the
    /// operator's positive form. Context values that do not parse for the family never match.
    fn matches(&self, value: &str) -> bool {
        let comparison = self.operator.comparison();
        match &self.values {
            Values::Text(expected) => {
                if self.operator.family() == Family::StringIgnoreCase {
                    let lowered = value.to_lowercase();
                    expected.contains(&lowered)
                } else {
                    expected.iter().any(|e| e == value)
                }
            }
            Values::Like(patterns) => patterns.iter().any(|p| p.matches(value)),
            Values::Number(expected) => match parse_context_number(value) {
                Some(n) => expected.iter().any(|e| comparison.holds(&n, e)),
                None => false,
            },
            Values::Date(expected) => match parse_context_date(value) {
                Some(t) => expected.iter().any(|e| comparison.holds(&t, e)),
                None => false,
            },
            Values::Bool(expected) => match parse_bool(value) {
                Some(b) => expected.contains(&b),
                None => false,
            },
            Values::Ip(blocks) => match value.parse::<IpAddr>() {
                Ok(ip) => blocks.iter().any(|b| b.contains(ip)),
                Err(_) => false,
            },
        }
    }
}

impl Values {
    fn empty(family: Family) -> Self {
        match family {
            Family::String | Family::StringIgnoreCase => Values::Text(Vec::new()),
            Family::StringLike => Values::Like(Vec::new()),
            Family::Numeric => Values::Number(Vec::new()),
            Family::Date => Values::Date(Vec::new()),
            Family::Bool => Values::Bool(Vec::new()),
            Family::Ip => Values::Ip(Vec::new()),
        }
    }

    /// Parses one policy value for `family` and appends it.
    fn push(&mut self, family: Family, value: &Json) -> Result<(), PolicyErrorKind> {
        let text = scalar_text(value)?;
        match self {
            Values::Text(list) if family == Family::StringIgnoreCase => list.push(text.to_lowercase()),
            Values::Text(list) => list.push(text),
            Values::Like(list) => list.push(Pattern::new(&text, false)),
            Values::Number(list) => {
                let n = text.parse::<f64>().ok().filter(|n| n.is_finite());
                list.push(n.ok_or(PolicyErrorKind::InvalidNumber { found: text })?);
            }
            Values::Date(list) => {
                let parsed = match value {
                    Json::Number(_) => parse_unix_seconds(&text),
                    _ => parse_rfc3339(&text),
                };
                list.push(parsed.ok_or(PolicyErrorKind::InvalidDate { found: text })?);
            }
            Values::Bool(list) => list.push(parse_bool(&text).ok_or(PolicyErrorKind::InvalidBool { found: text })?),
            Values::Ip(list) => {
                list.push(IpBlock::parse(&text).ok_or(PolicyErrorKind::InvalidIpAddress { found: text })?)
            }
        }
        Ok(())
    }
}

/// Returns the text of a string, number or boolean policy value.
fn scalar_text(value: &Json) -> Result<String, PolicyErrorKind> {
    match value {
        Json::String(s) if s.is_empty() => Err(PolicyErrorKind::EmptyString),
        Json::String(s) => Ok(s.clone()),
        Json::Number(n) => Ok(n.to_string()),
        Json::Bool(b) => Ok(b.to_string()),
        other => Err(PolicyErrorKind::WrongType {
            expected: "a string, a number, a boolean or a non-empty array of them",
            found: other.type_name(),
        }),
    }
}

/// Checks the `<prefix>:<name>` form: an ASCII prefix of letters, digits, `-` or `_`,
/// and a name without whitespace or control characters.
fn validate_key(key: &str) -> Result<(), PolicyErrorKind> {
    let invalid = || PolicyErrorKind::InvalidConditionKey { found: key.to_owned() };
    let (prefix, name) = key.split_once(':').ok_or_else(invalid)?;
    let prefix_ok = !prefix.is_empty() && prefix.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let name_ok = !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c.is_control());
    if prefix_ok && name_ok && key.chars().count() <= MAX_KEY_CHARS {
        Ok(())
    } else {
        Err(invalid())
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn parse_context_number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn parse_rfc3339(text: &str) -> Option<i128> {
    OffsetDateTime::parse(text, &Rfc3339).ok().map(OffsetDateTime::unix_timestamp_nanos)
}

/// Parses Unix seconds, integer or fractional, into nanoseconds.
fn parse_unix_seconds(text: &str) -> Option<i128> {
    if let Ok(secs) = text.parse::<i64>() {
        return Some(i128::from(secs) * 1_000_000_000);
    }
    let secs = text.parse::<f64>().ok().filter(|s| s.is_finite())?;
    // `as` saturates at the i128 bounds; such instants compare correctly against any real date.
    Some((secs * 1e9).round() as i128)
}

/// Parses a context date: RFC 3339 text or Unix seconds.
fn parse_context_date(text: &str) -> Option<i128> {
    parse_rfc3339(text).or_else(|| parse_unix_seconds(text))
}

/// An IP address block: an address and the number of leading bits that must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct IpBlock {
    network: IpAddr,
    prefix_len: u8,
}

impl IpBlock {
    /// Parses `addr` or `addr/prefix`. Host bits set below the prefix are ignored.
    fn parse(text: &str) -> Option<Self> {
        let (addr_text, prefix_text) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let address = addr_text.parse::<IpAddr>().ok()?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix_len: u8 = match prefix_text {
            None => max,
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
            Some(_) => return None,
        };
        if prefix_len > max {
            return None;
        }
        // An IPv4-mapped IPv6 block such as ::ffff:10.0.0.0/104 becomes 10.0.0.0/8,
        // because `contains` compares IPv4-mapped clients as IPv4.
        let block = match address {
            IpAddr::V6(v6) if prefix_len >= 96 => match v6.to_ipv4_mapped() {
                Some(v4) => Self { network: IpAddr::V4(v4), prefix_len: prefix_len - 96 },
                None => Self { network: address, prefix_len },
            },
            _ => Self { network: address, prefix_len },
        };
        Some(block)
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, normalize(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix_len)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix_len)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Maps IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) to IPv4, so both spellings of a client match.
fn normalize(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::json;

    fn condition(op: &str, key: &str, value: &str) -> Condition {
        let operator = Operator::from_name(op).unwrap();
        Condition::compile(operator, key, &json::parse(value).unwrap(), "C").unwrap()
    }

    fn compile_error(op: &str, key: &str, value: &str) -> PolicyError {
        let operator = Operator::from_name(op).unwrap();
        Condition::compile(operator, key, &json::parse(value).unwrap(), "C").unwrap_err()
    }

    fn ctx(pairs: &[(&str, &str)]) -> ConditionContext {
        let mut c = ConditionContext::new();
        for (k, v) in pairs {
            c.insert(k, *v);
        }
        c
    }

    #[test]
    fn key_must_have_prefix_and_name() {
        for bad in ["sub", ":sub", "oidc:", "oi dc:sub", "oidc:s ub", "oidc:\u{7}x", "ö:sub"] {
            let e = compile_error("StringEquals", bad, r#""x""#);
            assert!(matches!(e.kind, PolicyErrorKind::InvalidConditionKey { .. }), "{bad}: {e}");
        }
        let long = format!("acs:{}", "k".repeat(MAX_KEY_CHARS));
        assert!(matches!(
            compile_error("StringEquals", &long, r#""x""#).kind,
            PolicyErrorKind::InvalidConditionKey { .. }
        ));
        assert_eq!(condition("StringEquals", "acs:RequestTag/env", r#""x""#).key(), "acs:requesttag/env");
    }

    #[test]
    fn value_shapes() {
        assert!(matches!(compile_error("StringEquals", "a:b", "[]").kind, PolicyErrorKind::EmptyArray));
        assert!(matches!(compile_error("StringEquals", "a:b", r#""""#).kind, PolicyErrorKind::EmptyString));
        assert!(matches!(compile_error("StringEquals", "a:b", "null").kind, PolicyErrorKind::WrongType { .. }));
        assert!(matches!(compile_error("StringEquals", "a:b", "{}").kind, PolicyErrorKind::WrongType { .. }));
        let nested = compile_error("StringEquals", "a:b", r#"["x", ["y"]]"#);
        assert_eq!(nested.path, "C[1]");
        assert!(matches!(nested.kind, PolicyErrorKind::WrongType { .. }));
    }

    #[test]
    fn string_equals_is_case_sensitive_and_any_of() {
        let c = condition("StringEquals", "oidc:sub", r#"["a", "B"]"#);
        assert!(c.holds(&ctx(&[("oidc:sub", "a")])));
        assert!(c.holds(&ctx(&[("OIDC:SUB", "B")])));
        assert!(!c.holds(&ctx(&[("oidc:sub", "b")])));
        assert!(!c.holds(&ctx(&[])));
    }

    #[test]
    fn string_equals_accepts_number_and_bool_values() {
        assert!(condition("StringEquals", "a:n", "42").holds(&ctx(&[("a:n", "42")])));
        assert!(condition("StringEquals", "a:b", "true").holds(&ctx(&[("a:b", "true")])));
    }

    #[test]
    fn string_not_equals_semantics() {
        let c = condition("StringNotEquals", "oidc:aud", r#"["bad"]"#);
        assert!(c.holds(&ctx(&[("oidc:aud", "good")])));
        assert!(!c.holds(&ctx(&[("oidc:aud", "bad")])));
        // Multi-valued: one matching context value makes the negated operator false.
        assert!(!c.holds(&ctx(&[("oidc:aud", "good"), ("oidc:aud", "bad")])));
        assert!(c.holds(&ctx(&[])), "missing key makes a negated operator true");
    }

    #[test]
    fn ignore_case_operators() {
        let eq = condition("StringEqualsIgnoreCase", "a:k", r#""ÄBC""#);
        assert!(eq.holds(&ctx(&[("a:k", "äbc")])));
        assert!(!eq.holds(&ctx(&[("a:k", "abc")])));
        let ne = condition("StringNotEqualsIgnoreCase", "a:k", r#""Prod""#);
        assert!(!ne.holds(&ctx(&[("a:k", "PROD")])));
        assert!(ne.holds(&ctx(&[("a:k", "dev")])));
        assert!(ne.holds(&ctx(&[])));
    }

    #[test]
    fn string_like_operators() {
        let like = condition("StringLike", "oidc:sub", r#""system:serviceaccount:ns:*""#);
        assert!(like.holds(&ctx(&[("oidc:sub", "system:serviceaccount:ns:sa")])));
        assert!(!like.holds(&ctx(&[("oidc:sub", "system:serviceaccount:other:sa")])));
        assert!(!like.holds(&ctx(&[("oidc:sub", "SYSTEM:serviceaccount:ns:sa")])), "StringLike is case-sensitive");
        assert!(!like.holds(&ctx(&[])));
        let not_like = condition("StringNotLike", "oidc:sub", r#"["repo:x/*", "repo:y/?"]"#);
        assert!(!not_like.holds(&ctx(&[("oidc:sub", "repo:y/1")])));
        assert!(not_like.holds(&ctx(&[("oidc:sub", "repo:y/12")])));
        assert!(not_like.holds(&ctx(&[])));
    }

    #[test]
    fn numeric_operators() {
        let cases = [
            ("NumericEquals", "10", [false, true, false]),
            ("NumericNotEquals", "10", [true, false, true]),
            ("NumericLessThan", "10", [true, false, false]),
            ("NumericLessThanEquals", "10", [true, true, false]),
            ("NumericGreaterThan", "10", [false, false, true]),
            ("NumericGreaterThanEquals", "\"10.0\"", [false, true, true]),
        ];
        for (op, value, expected) in cases {
            let c = condition(op, "acs:n", value);
            for (context, want) in ["9.5", "10", "1e3"].iter().zip(expected) {
                assert_eq!(c.holds(&ctx(&[("acs:n", context)])), want, "{op} {value} vs {context}");
            }
        }
    }

    #[test]
    fn numeric_missing_and_unparsable() {
        assert!(!condition("NumericLessThan", "a:n", "5").holds(&ctx(&[])));
        assert!(condition("NumericNotEquals", "a:n", "5").holds(&ctx(&[])));
        assert!(!condition("NumericLessThan", "a:n", "5").holds(&ctx(&[("a:n", "four")])));
        assert!(!condition("NumericEquals", "a:n", "5").holds(&ctx(&[("a:n", "NaN")])));
        for bad in [r#""five""#, r#""NaN""#, r#""inf""#, "true"] {
            assert!(
                matches!(compile_error("NumericEquals", "a:n", bad).kind, PolicyErrorKind::InvalidNumber { .. }),
                "{bad}"
            );
        }
    }

    #[test]
    fn date_operators() {
        let lt = condition("DateLessThan", "acs:CurrentTime", r#""2026-01-01T00:00:00Z""#);
        assert!(lt.holds(&ctx(&[("acs:currenttime", "2025-12-31T23:59:59Z")])));
        assert!(!lt.holds(&ctx(&[("acs:currenttime", "2026-01-01T00:00:00Z")])));
        assert!(lt.holds(&ctx(&[("acs:currenttime", "2026-01-01T07:59:59+08:00")])), "offsets compare as instants");
        assert!(lt.holds(&ctx(&[("acs:currenttime", "1767225599")])), "Unix seconds");
        assert!(!lt.holds(&ctx(&[("acs:currenttime", "tomorrow")])));
        assert!(!lt.holds(&ctx(&[])));

        let eq = condition("DateEquals", "a:t", "1767225600");
        assert!(eq.holds(&ctx(&[("a:t", "2026-01-01T00:00:00Z")])));
        let ne = condition("DateNotEquals", "a:t", r#""2026-01-01T00:00:00Z""#);
        assert!(!ne.holds(&ctx(&[("a:t", "1767225600")])));
        assert!(ne.holds(&ctx(&[("a:t", "1767225601")])));
        assert!(ne.holds(&ctx(&[])));

        let ge = condition("DateGreaterThanEquals", "a:t", r#""2026-01-01T00:00:00.5Z""#);
        assert!(!ge.holds(&ctx(&[("a:t", "2026-01-01T00:00:00Z")])));
        assert!(ge.holds(&ctx(&[("a:t", "1767225600.5")])));
        assert!(condition("DateGreaterThan", "a:t", "0").holds(&ctx(&[("a:t", "1970-01-01T00:00:01Z")])));
        assert!(condition("DateLessThanEquals", "a:t", "0").holds(&ctx(&[("a:t", "0")])));
    }

    #[test]
    fn date_values_must_parse() {
        for bad in [r#""2026-01-01""#, r#""yesterday""#, r#""2026-13-01T00:00:00Z""#, "true"] {
            assert!(
                matches!(compile_error("DateEquals", "a:t", bad).kind, PolicyErrorKind::InvalidDate { .. }),
                "{bad}"
            );
        }
    }

    #[test]
    fn bool_operator() {
        let c = condition("Bool", "acs:SecureTransport", "true");
        assert!(c.holds(&ctx(&[("acs:securetransport", "TRUE")])));
        assert!(!c.holds(&ctx(&[("acs:securetransport", "false")])));
        assert!(!c.holds(&ctx(&[("acs:securetransport", "yes")])));
        assert!(!c.holds(&ctx(&[])));
        assert!(condition("Bool", "a:b", r#""False""#).holds(&ctx(&[("a:b", "false")])));
        assert!(matches!(compile_error("Bool", "a:b", r#""yes""#).kind, PolicyErrorKind::InvalidBool { .. }));
        assert!(matches!(compile_error("Bool", "a:b", "1").kind, PolicyErrorKind::InvalidBool { .. }));
    }

    #[test]
    fn ip_operators() {
        let c = condition("IpAddress", "acs:SourceIp", r#"["10.0.0.0/8", "2001:db8::/32", "192.168.1.7"]"#);
        for (ip, want) in [
            ("10.1.2.3", true),
            ("11.0.0.1", false),
            ("::ffff:10.9.9.9", true),
            ("2001:db8:1::1", true),
            ("2001:db9::1", false),
            ("192.168.1.7", true),
            ("192.168.1.8", false),
            ("not-an-ip", false),
        ] {
            assert_eq!(c.holds(&ctx(&[("acs:sourceip", ip)])), want, "{ip}");
        }
        assert!(!c.holds(&ctx(&[])));

        let not = condition("NotIpAddress", "acs:SourceIp", r#""10.0.0.0/8""#);
        assert!(!not.holds(&ctx(&[("acs:sourceip", "10.0.0.1")])));
        assert!(not.holds(&ctx(&[("acs:sourceip", "8.8.8.8")])));
        assert!(not.holds(&ctx(&[])));
    }

    #[test]
    fn ip_block_edges() {
        assert!(condition("IpAddress", "a:ip", r#""0.0.0.0/0""#).holds(&ctx(&[("a:ip", "203.0.113.9")])));
        assert!(condition("IpAddress", "a:ip", r#""10.1.2.3/8""#).holds(&ctx(&[("a:ip", "10.200.0.1")])));
        assert!(condition("IpAddress", "a:ip", r#""::ffff:10.0.0.0/104""#).holds(&ctx(&[("a:ip", "10.5.5.5")])));
        assert!(condition("IpAddress", "a:ip", r#""::ffff:10.5.5.5""#).holds(&ctx(&[("a:ip", "10.5.5.5")])));
        assert!(!condition("IpAddress", "a:ip", r#""::ffff:10.5.5.5""#).holds(&ctx(&[("a:ip", "10.5.5.6")])));
        assert!(!condition("IpAddress", "a:ip", r#""::/0""#).holds(&ctx(&[("a:ip", "10.5.5.5")])));
        for bad in
            [r#""10.0.0.0/33""#, r#""::/129""#, r#""10.0.0/8""#, r#""10.0.0.0/""#, r#""10.0.0.0/+8""#, r#""host""#, "5"]
        {
            assert!(
                matches!(compile_error("IpAddress", "a:ip", bad).kind, PolicyErrorKind::InvalidIpAddress { .. }),
                "{bad}"
            );
        }
    }
}
