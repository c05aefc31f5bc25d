//! The scope grammar of the token endpoint and its resolution against a client's grant.
//!
//! `scope` is a space-separated list of `<audience identifier>|<permission>` or
//! `<audience identifier>|.all` values, the form that IDaaS M2M clients send. Every value of one
//! request must name the same audience, because a token carries exactly one `aud`.

use super::oauth_error::OAuthError;

/// Maximum length of the `scope` parameter, in bytes.
pub const MAX_SCOPE_CHARS: usize = 4096;
/// Maximum number of values in one `scope` parameter.
pub const MAX_SCOPE_VALUES: usize = 50;
/// The permission part that selects every permission the client was granted on the audience.
const ALL_PERMISSIONS: &str = ".all";

/// The permissions one token request selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionSelection {
    /// `<audience>|.all`: every permission granted to the client on the audience.
    All,
    /// Named permissions, in request order without duplicates.
    Listed(Vec<String>),
}

/// A parsed `scope` parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeRequest {
    /// The audience identifier that all values name.
    pub audience: String,
    /// The requested permissions.
    pub selection: PermissionSelection,
}

/// Parses `scope`. Errors are `invalid_scope` with a description that names the `scope` field.
///
/// Values are separated by single or repeated spaces. Each must contain exactly one `|` with a
/// non-empty audience before it and a permission or `.all` after it. Values use only the scope-token
/// characters of RFC 6749 section 3.3 (printable ASCII except space, `"` and `\`).
/// `.all` next to named permissions of the same audience selects all of them.
pub fn parse_scope(scope: &str) -> Result<ScopeRequest, OAuthError> {
    if scope.len() > MAX_SCOPE_CHARS {
        return Err(OAuthError::invalid_scope(format!("the scope parameter is longer than {MAX_SCOPE_CHARS} bytes")));
    }
    let values: Vec<&str> = scope.split(' ').filter(|value| !value.is_empty()).collect();
    if values.is_empty() {
        return Err(OAuthError::invalid_scope(
            "the scope parameter is missing; request <audience identifier>|<permission> or <audience identifier>|.all",
        ));
    }
    if values.len() > MAX_SCOPE_VALUES {
        return Err(OAuthError::invalid_scope(format!(
            "the scope parameter has {} values; at most {MAX_SCOPE_VALUES} are allowed",
            values.len()
        )));
    }

    let mut audience: Option<&str> = None;
    let mut all = false;
    let mut listed: Vec<String> = Vec::new();
    for (index, value) in values.iter().enumerate() {
        let position = index + 1;
        if let Some(c) = value.chars().find(|c| !is_scope_char(*c)) {
            return Err(OAuthError::invalid_scope(format!(
                "scope value {position} contains the character {c:?}, which scope values may not contain"
            )));
        }
        let Some((value_audience, permission)) = value.split_once('|') else {
            return Err(OAuthError::invalid_scope(format!(
                "scope value {position} has no '|'; use <audience identifier>|<permission>"
            )));
        };
        if value_audience.is_empty() || permission.is_empty() || permission.contains('|') {
            return Err(OAuthError::invalid_scope(format!(
                "scope value {position} must be <audience identifier>|<permission> with exactly one '|' and both parts non-empty"
            )));
        }
        match audience {
            None => audience = Some(value_audience),
            Some(first) if first == value_audience => {}
            Some(_) => {
                return Err(OAuthError::invalid_scope(
                    "the scope parameter names more than one audience; a token has exactly one audience, so request one per token",
                ))
            }
        }
        if permission == ALL_PERMISSIONS {
            all = true;
        } else if !listed.iter().any(|seen| seen == permission) {
            listed.push(permission.to_owned());
        }
    }

    // `values` is non-empty, so the loop set the audience.
    let audience = audience.unwrap_or_default().to_owned();
    let selection = if all { PermissionSelection::All } else { PermissionSelection::Listed(listed) };
    Ok(ScopeRequest { audience, selection })
}

/// Tells whether `c` is a scope-token character (RFC 6749 section 3.3: %x21 / %x23-5B / %x5D-7E).
fn is_scope_char(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e')
}

impl ScopeRequest {
    /// Resolves the request against the permissions granted to the client on the audience and
    /// returns the permissions the token carries: all granted ones, in grant order, for `.all`,
    /// otherwise the listed ones in request order.
    ///
    /// A listed permission outside `granted` is `invalid_scope` naming it.
    pub fn resolve(&self, granted: &[String]) -> Result<Vec<String>, OAuthError> {
        match &self.selection {
            PermissionSelection::All => Ok(granted.to_vec()),
            PermissionSelection::Listed(listed) => {
                if let Some(missing) = listed.iter().find(|permission| !granted.contains(permission)) {
                    return Err(OAuthError::invalid_scope(format!(
                        "the scope value {}|{} is not granted to this client; request a granted permission or {}|.all",
                        self.audience,
                        short(missing),
                        self.audience
                    )));
                }
                Ok(listed.clone())
            }
        }
    }
}

/// Shortens a client-supplied value for an error description.
fn short(value: &str) -> String {
    if value.len() <= 64 {
        value.to_owned()
    } else {
        format!("{}...", value.chars().take(64).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issuer::OAuthErrorCode;

    fn granted() -> Vec<String> {
        vec!["read".to_owned(), "write".to_owned()]
    }

    #[test]
    fn parses_listed_permissions() {
        let request = parse_scope("api:billing|read  api:billing|write api:billing|read").unwrap();
        assert_eq!(request.audience, "api:billing");
        assert_eq!(request.selection, PermissionSelection::Listed(vec!["read".into(), "write".into()]));
        assert_eq!(request.resolve(&granted()).unwrap(), vec!["read".to_owned(), "write".to_owned()]);
    }

    #[test]
    fn all_selects_granted_permissions() {
        let request = parse_scope("urn:cloud:idaas:pam|.all").unwrap();
        assert_eq!(request.audience, "urn:cloud:idaas:pam");
        assert_eq!(request.selection, PermissionSelection::All);
        assert_eq!(request.resolve(&granted()).unwrap(), granted());
        let mixed = parse_scope("a|write a|.all").unwrap();
        assert_eq!(mixed.selection, PermissionSelection::All);
    }

    #[test]
    fn rejects_ungranted_permission() {
        let error = parse_scope("a|read a|delete").unwrap().resolve(&granted()).unwrap_err();
        assert_eq!(error.code, OAuthErrorCode::InvalidScope);
        assert!(error.description.contains("a|delete"), "{}", error.description);
    }

    #[test]
    fn rejects_malformed_values() {
        for (scope, fragment) in [
            ("", "missing"),
            ("   ", "missing"),
            ("read", "no '|'"),
            ("|read", "both parts non-empty"),
            ("a|", "both parts non-empty"),
            ("a|b|c", "exactly one '|'"),
            ("a|read b|read", "more than one audience"),
            ("a|re\"ad", "character '\"'"),
            ("a|read\tb", "character '\\t'"),
            ("a|rëad", "character 'ë'"),
        ] {
            let error = parse_scope(scope).unwrap_err();
            assert_eq!(error.code, OAuthErrorCode::InvalidScope, "{scope:?}");
            assert!(error.description.contains("scope"), "{scope:?}: {}", error.description);
            assert!(error.description.contains(fragment), "{scope:?}: {}", error.description);
        }
    }

    #[test]
    fn rejects_oversized_scope() {
        let long = format!("a|{}", "r".repeat(MAX_SCOPE_CHARS));
        assert!(parse_scope(&long).unwrap_err().description.contains("longer than"));
        let many: Vec<String> = (0..=MAX_SCOPE_VALUES).map(|i| format!("a|p{i}")).collect();
        assert!(parse_scope(&many.join(" ")).unwrap_err().description.contains("at most 50"));
    }
}
