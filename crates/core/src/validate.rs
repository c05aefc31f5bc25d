//! Parameter rules for the OpenAPI actions: names, URLs, lists and numeric limits.
//!
//! Every function returns `InvalidParameter.<Field>` (HTTP 400) with a message that names
//! the rule, the fix and what was received. Values are echoed only when they are short
//! plain text, and the OIDC token never is.

use crate::error::ApiError;

/// Maximum number of client IDs per OIDC provider.
pub const MAX_CLIENT_IDS: usize = 50;
/// Maximum number of fingerprints per OIDC provider.
pub const MAX_FINGERPRINTS: usize = 5;
/// Minimum OIDCToken length in characters.
pub const MIN_OIDC_TOKEN_CHARS: usize = 4;
/// Maximum OIDCToken length in characters.
pub const MAX_OIDC_TOKEN_CHARS: usize = 20_000;
/// Maximum session policy length in characters.
pub const MAX_SESSION_POLICY_CHARS: usize = 2048;

/// A name rule: length bounds, allowed characters and whether the ends must be alphanumeric.
pub(crate) struct NameRule {
    pub(crate) field: &'static str,
    pub(crate) min: usize,
    pub(crate) max: usize,
    pub(crate) allowed: fn(char) -> bool,
    /// The allowed characters in words, for the message.
    pub(crate) charset: &'static str,
    /// Whether the first character must be a letter or digit.
    pub(crate) alnum_first: bool,
    /// Whether the last character must be a letter or digit.
    pub(crate) alnum_last: bool,
}

impl NameRule {
    pub(crate) fn describe(&self) -> String {
        let ends = match (self.alnum_first, self.alnum_last) {
            (true, true) => ", starting and ending with a letter or digit",
            (true, false) => ", starting with a letter or digit",
            _ => "",
        };
        format!("it must be {} to {} characters of {}{ends}", self.min, self.max, self.charset)
    }

    pub(crate) fn check(&self, value: &str) -> Result<(), ApiError> {
        let count = value.chars().count();
        if count < self.min || count > self.max {
            return Err(self.error(format!("got {}", characters(count))));
        }
        if let Some((position, c)) = value.chars().enumerate().find(|(_, c)| !(self.allowed)(*c)) {
            return Err(self.error(format!("{c:?} at position {} is not allowed", position + 1)));
        }
        let starts_ok = value.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        let ends_ok = value.chars().last().is_some_and(|c| c.is_ascii_alphanumeric());
        if (self.alnum_first && !starts_ok) || (self.alnum_last && !ends_ok) {
            return Err(self.error(String::from("got a symbol at the start or end")));
        }
        Ok(())
    }

    fn error(&self, detail: String) -> ApiError {
        ApiError::invalid_parameter(self.field, format!("{}; {detail}", self.describe()))
    }
}

pub(crate) fn characters(count: usize) -> String {
    if count == 1 {
        String::from("1 character")
    } else {
        format!("{count} characters")
    }
}

/// Returns `value` quoted for a message when it is short, otherwise a note of its length.
pub(crate) fn shown(value: &str) -> String {
    if value.chars().count() <= 32 {
        format!("{value:?}")
    } else {
        format!("a value of {}", characters(value.chars().count()))
    }
}

const OIDC_PROVIDER_NAME: NameRule = NameRule {
    field: "OIDCProviderName",
    min: 1,
    max: 128,
    allowed: |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'),
    charset: "letters, digits, '.', '_' and '-'",
    alnum_first: true,
    alnum_last: true,
};

const CLIENT_ID_CHARSET: &str = "letters, digits, '.', '-', '_', ':' and '/'";

fn client_id_rule(field: &'static str) -> NameRule {
    NameRule {
        field,
        min: 1,
        max: 128,
        allowed: |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '/'),
        charset: CLIENT_ID_CHARSET,
        alnum_first: true,
        alnum_last: false,
    }
}

const ROLE_NAME: NameRule = NameRule {
    field: "RoleName",
    min: 1,
    max: 64,
    allowed: |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'),
    charset: "letters, digits, '.' and '-'",
    alnum_first: false,
    alnum_last: false,
};

const POLICY_NAME: NameRule = NameRule {
    field: "PolicyName",
    min: 1,
    max: 128,
    allowed: |c| c.is_ascii_alphanumeric() || c == '-',
    charset: "letters, digits and '-'",
    alnum_first: false,
    alnum_last: false,
};

const ROLE_SESSION_NAME: NameRule = NameRule {
    field: "RoleSessionName",
    min: 2,
    max: 64,
    allowed: |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '@' | '_' | '-'),
    charset: "letters, digits, '.', '@', '_' and '-'",
    alnum_first: false,
    alnum_last: false,
};

/// Checks an OIDCProviderName: 1 to 128 of `A-Za-z0-9._-`, starting and ending with a letter or digit.
// NOTE: the published ROS pattern requires at least 2 characters; whether RAM accepts a
// 1-character name is unverified, so akless accepts it.
pub fn oidc_provider_name(value: &str) -> Result<(), ApiError> {
    OIDC_PROVIDER_NAME.check(value)
}

/// Checks an IssuerUrl and returns it unchanged, because `iss` must equal it byte for byte.
///
/// Rules: at most 255 characters, `https://` scheme, a host, and no query, fragment,
/// user information, whitespace or control characters.
pub fn issuer_url(value: &str) -> Result<String, ApiError> {
    let fail = |rule: &str| Err(ApiError::invalid_parameter("IssuerUrl", rule));
    let count = value.chars().count();
    if count == 0 || count > 255 {
        return fail(&format!("it must be 1 to 255 characters; got {}", characters(count)));
    }
    if !value.starts_with("https://") {
        return fail("it must start with https://");
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return fail("it must not contain spaces or control characters");
    }
    if value.contains('?') {
        return fail("it must not contain a query ('?'); remove everything from '?' on");
    }
    if value.contains('#') {
        return fail("it must not contain a fragment ('#'); remove everything from '#' on");
    }
    if value.contains('@') {
        return fail("it must not contain user information ('@')");
    }
    // The URL parser normalizes `https:///x` and `\` into other URLs, so the raw authority is checked too.
    let authority = value["https://".len()..].split('/').next().unwrap_or_default();
    if authority.is_empty() || value.contains('\\') {
        return fail("it must be an absolute https URL with a host, such as https://issuer.example.com");
    }
    match url::Url::parse(value) {
        Ok(url) if url.host_str().is_some_and(|host| !host.is_empty()) => Ok(value.to_owned()),
        _ => fail("it must be an absolute https URL with a host, such as https://issuer.example.com"),
    }
}

/// Checks one ClientId: 1 to 128 of letters, digits, `.-_:/`, starting with a letter or digit.
pub fn client_id(value: &str) -> Result<(), ApiError> {
    client_id_rule("ClientId").check(value)
}

/// Splits a comma-separated ClientIds value: entries are trimmed, empty entries skipped,
/// duplicates removed (first kept), each checked like [`client_id`]; at most 50 remain.
pub fn client_ids_csv(value: &str) -> Result<Vec<String>, ApiError> {
    let rule = client_id_rule("ClientIds");
    let ids = split_csv(value);
    for (index, id) in ids.iter().enumerate() {
        rule.check(id).map_err(|e| prefix_entry(e, index, ids.len()))?;
    }
    if ids.len() > MAX_CLIENT_IDS {
        return Err(ApiError::invalid_parameter(
            "ClientIds",
            format!("at most {MAX_CLIENT_IDS} client IDs are allowed per OIDC provider; got {}", ids.len()),
        ));
    }
    Ok(ids)
}

/// Checks a certificate fingerprint: 40 hex digits (SHA-1), colons allowed between them.
/// Returns it lower-case without colons, the stored form.
pub fn fingerprint(value: &str) -> Result<String, ApiError> {
    fingerprint_for("Fingerprint", value)
}

fn fingerprint_for(field: &str, value: &str) -> Result<String, ApiError> {
    let digits: String = value.chars().filter(|c| *c != ':').collect();
    if value.len() > 128 || digits.len() != 40 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ApiError::invalid_parameter(
            field,
            format!(
                "it must be the SHA-1 fingerprint of the last certificate the issuer's HTTPS server presents, 40 hex digits with optional colons; got {}",
                shown(value)
            ),
        ));
    }
    Ok(digits.to_ascii_lowercase())
}

/// Splits a comma-separated Fingerprints value like [`client_ids_csv`]; at most 5 remain.
pub fn fingerprints_csv(value: &str) -> Result<Vec<String>, ApiError> {
    let entries = split_csv(value);
    let mut fingerprints: Vec<String> = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let normalized = fingerprint_for("Fingerprints", entry).map_err(|e| prefix_entry(e, index, entries.len()))?;
        if !fingerprints.contains(&normalized) {
            fingerprints.push(normalized);
        }
    }
    if fingerprints.len() > MAX_FINGERPRINTS {
        return Err(ApiError::invalid_parameter(
            "Fingerprints",
            format!(
                "at most {MAX_FINGERPRINTS} fingerprints are allowed per OIDC provider; got {}",
                fingerprints.len()
            ),
        ));
    }
    Ok(fingerprints)
}

/// Trims entries, skips empty ones and removes duplicates, keeping the first.
pub(crate) fn split_csv(value: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for entry in value.split(',').map(str::trim).filter(|entry| !entry.is_empty()) {
        if !out.iter().any(|seen| seen == entry) {
            out.push(entry.to_owned());
        }
    }
    out
}

/// Adds "entry N of M" to a list element's error message.
pub(crate) fn prefix_entry(mut error: ApiError, index: usize, total: usize) -> ApiError {
    error.message = format!("{} (entry {} of {total})", error.message, index + 1);
    error
}

/// Checks a free-text description: at most `max` characters and no control characters
/// other than tab and line breaks. `field` is the parameter name, such as `Description` or `NewDescription`.
pub fn description(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    let count = value.chars().count();
    if count > max {
        return Err(ApiError::invalid_parameter(
            field,
            format!("it must be at most {max} characters; got {count}; shorten it"),
        ));
    }
    if let Some(c) = value.chars().find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(ApiError::invalid_parameter(
            field,
            format!("it must not contain control characters; remove {c:?}"),
        ));
    }
    Ok(())
}

/// Checks that `value` is in `min..=max`.
fn bounded_number(field: &str, value: u32, min: u32, max: u32, unit: &str) -> Result<u32, ApiError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::invalid_parameter(field, format!("it must be {min} to {max} {unit}; got {value}")))
    }
}

/// Checks IssuanceLimitTime: hours from 1 to 168 that an ID token stays acceptable after `iat`.
pub fn issuance_limit_time(hours: u32) -> Result<u32, ApiError> {
    bounded_number("IssuanceLimitTime", hours, 1, 168, "hours")
}

/// Checks a RoleName: 1 to 64 of letters, digits, `.` and `-`.
pub fn role_name(value: &str) -> Result<(), ApiError> {
    ROLE_NAME.check(value)
}

/// Checks a PolicyName: 1 to 128 of letters, digits and `-`.
pub fn policy_name(value: &str) -> Result<(), ApiError> {
    POLICY_NAME.check(value)
}

/// Checks MaxSessionDuration: seconds from 3600 to 43200.
pub fn max_session_duration(seconds: u32) -> Result<u32, ApiError> {
    bounded_number("MaxSessionDuration", seconds, 3600, 43_200, "seconds")
}

/// Checks a RoleSessionName: 2 to 64 of letters, digits, `.`, `@`, `_` and `-`.
pub fn role_session_name(value: &str) -> Result<(), ApiError> {
    ROLE_SESSION_NAME.check(value)
}

/// Checks DurationSeconds: seconds from 900 to the role's MaxSessionDuration.
pub fn duration_seconds(seconds: u32, role_max: u32) -> Result<u32, ApiError> {
    let max = role_max.max(900);
    bounded_number("DurationSeconds", seconds, 900, max, "seconds").map_err(|mut error| {
        error.message.push_str(" (the upper bound is the role's MaxSessionDuration)");
        error
    })
}

/// Checks an OIDCToken's length (4 to 20,000 characters) after trimming surrounding ASCII
/// whitespace, and returns the trimmed token.
///
/// The official credential SDKs send the token file unchanged, so a trailing newline is common.
/// The message gives only the length, never the token.
pub fn oidc_token(value: &str) -> Result<&str, ApiError> {
    let token = value.trim_matches(|c: char| c.is_ascii_whitespace());
    // Counting stops early so an oversized value costs no more than the limit.
    let count = token.chars().take(MAX_OIDC_TOKEN_CHARS + 1).count();
    if !(MIN_OIDC_TOKEN_CHARS..=MAX_OIDC_TOKEN_CHARS).contains(&count) {
        let got = if count > MAX_OIDC_TOKEN_CHARS { String::from("more") } else { characters(count) };
        return Err(ApiError::invalid_parameter(
            "OIDCToken",
            format!(
                "it must be a JWT of {MIN_OIDC_TOKEN_CHARS} to {MAX_OIDC_TOKEN_CHARS} characters; got {got}; pass the ID token itself"
            ),
        ));
    }
    Ok(token)
}

/// Checks a session Policy's length: 1 to 2,048 characters. The grammar is checked by the policy compiler.
pub fn session_policy(value: &str) -> Result<(), ApiError> {
    let count = value.chars().count();
    if count == 0 || count > MAX_SESSION_POLICY_CHARS {
        return Err(ApiError::invalid_parameter(
            "Policy",
            format!("it must be 1 to {MAX_SESSION_POLICY_CHARS} characters; got {count}; shorten the session policy"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
