//! Name and limit rules of the issuer admin actions.
//!
//! Every function returns `InvalidParameter.<Field>` (HTTP 400) with a message that names the
//! rule and what was received. The character sets keep scope values unambiguous: no name may
//! contain `|` or whitespace, and permissions cannot start with `.`, so `.all` never clashes.

use super::auth_method::AuthMethod;
use super::signing_key::SigningAlgorithm;
use crate::error::ApiError;
use crate::validate::{prefix_entry, split_csv, NameRule};

/// Maximum resource servers per account.
pub const MAX_RESOURCE_SERVERS: u32 = 100;
/// Maximum permissions per resource server.
pub const MAX_PERMISSIONS: usize = 50;
/// Maximum clients per account.
pub const MAX_CLIENTS: u32 = 1000;
/// Maximum client secrets per client that are not revoked.
pub const MAX_ACTIVE_SECRETS: u32 = 5;
/// Maximum characters of a description.
pub const MAX_DESCRIPTION_CHARS: usize = 256;
/// Access-token lifetime of a client that sets none, in seconds.
pub const DEFAULT_ACCESS_TOKEN_LIFETIME_SECS: u32 = 3600;
/// Minimum access-token lifetime a client may set, in seconds.
pub const MIN_ACCESS_TOKEN_LIFETIME_SECS: u32 = 300;
/// Maximum access-token lifetime a client may set, in seconds. Retired signing keys stay
/// published this long, so no token outlives the key that verifies it.
pub const MAX_ACCESS_TOKEN_LIFETIME_SECS: u32 = 43_200;
/// Time from RotateSigningKey until the new key signs, when the caller sets none, in seconds.
pub const DEFAULT_ACTIVATION_DELAY_SECS: u32 = 60;
/// Maximum activation delay, in seconds.
pub const MAX_ACTIVATION_DELAY_SECS: u32 = 86_400;
/// Authentication methods of a client created without `AuthMethods`.
pub const DEFAULT_AUTH_METHODS: [AuthMethod; 2] = [AuthMethod::ClientSecretBasic, AuthMethod::ClientSecretPost];

const NAME_CHARSET: &str = "letters, digits, '.', '_' and '-'";
const IDENTIFIER_CHARSET: &str = "letters, digits, '.', '-', '_', ':' and '/'";

fn name_rule(field: &'static str) -> NameRule {
    NameRule {
        field,
        min: 1,
        max: 64,
        allowed: |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'),
        charset: NAME_CHARSET,
        alnum_first: true,
        alnum_last: true,
    }
}

/// Returns the identifier rule, whose charset is the ClientId charset of OIDC providers, so every
/// identifier can be registered as a client ID (the token's `aud`) of an OIDC provider.
fn identifier_rule(field: &'static str) -> NameRule {
    NameRule {
        field,
        min: 1,
        max: 128,
        allowed: |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '/'),
        charset: IDENTIFIER_CHARSET,
        alnum_first: true,
        alnum_last: false,
    }
}

fn permission_rule(field: &'static str) -> NameRule {
    NameRule {
        field,
        min: 1,
        max: 64,
        allowed: |c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '/'),
        charset: IDENTIFIER_CHARSET,
        alnum_first: true,
        alnum_last: false,
    }
}

/// Checks a ResourceServerName: 1 to 64 of letters, digits, `._-`, starting and ending with a letter or digit.
pub fn resource_server_name(value: &str) -> Result<(), ApiError> {
    name_rule("ResourceServerName").check(value)
}

/// Checks a resource server Identifier, the `aud` of its tokens: 1 to 128 of letters, digits and
/// `.-_:/`, starting with a letter or digit.
pub fn identifier(value: &str) -> Result<(), ApiError> {
    identifier_rule("Identifier").check(value)
}

/// Checks one permission name: 1 to 64 of letters, digits and `.-_:/`, starting with a letter or digit.
pub fn permission(field: &'static str, value: &str) -> Result<(), ApiError> {
    permission_rule(field).check(value)
}

/// Splits a comma-separated permission list: entries are trimmed, empty ones skipped and
/// duplicates removed (first kept). Each entry follows [`permission`]; 1 to 50 must remain.
pub fn permissions_csv(field: &'static str, value: &str) -> Result<Vec<String>, ApiError> {
    let rule = permission_rule(field);
    let entries = split_csv(value);
    for (index, entry) in entries.iter().enumerate() {
        rule.check(entry).map_err(|e| prefix_entry(e, index, entries.len()))?;
    }
    if entries.is_empty() || entries.len() > MAX_PERMISSIONS {
        return Err(ApiError::invalid_parameter(
            field,
            format!("list 1 to {MAX_PERMISSIONS} permissions, separated by commas; got {}", entries.len()),
        ));
    }
    Ok(entries)
}

/// Checks a ClientName, a label for people: 1 to 64 of letters, digits, `._-`, starting and ending
/// with a letter or digit. Names need not be unique; the generated ClientId identifies a client.
pub fn client_name(field: &'static str, value: &str) -> Result<(), ApiError> {
    name_rule(field).check(value)
}

/// Checks a ClientId parameter: 1 to 128 of letters, digits and `.-_:/`, starting with a letter or digit.
pub fn client_id(value: &str) -> Result<(), ApiError> {
    identifier_rule("ClientId").check(value)
}

/// Checks a SecretId parameter: 1 to 64 of letters, digits, `._-`.
pub fn secret_id(value: &str) -> Result<(), ApiError> {
    name_rule("SecretId").check(value)
}

/// Splits a comma-separated list of authentication method names, removing duplicates. At least one
/// of `client_secret_basic`, `client_secret_post`, `client_secret_jwt` and `private_key_jwt` is required.
pub fn auth_methods_csv(field: &'static str, value: &str) -> Result<Vec<AuthMethod>, ApiError> {
    let entries = split_csv(value);
    if entries.is_empty() {
        return Err(ApiError::invalid_parameter(field, "list at least one authentication method"));
    }
    let mut methods = Vec::with_capacity(entries.len());
    for entry in &entries {
        let method = entry.parse::<AuthMethod>().map_err(|()| {
            ApiError::invalid_parameter(
                field,
                format!(
                    "{} is not a method; use client_secret_basic, client_secret_post, client_secret_jwt or private_key_jwt",
                    crate::validate::shown(entry)
                ),
            )
        })?;
        if !methods.contains(&method) {
            methods.push(method);
        }
    }
    Ok(methods)
}

/// Checks an access-token lifetime: 300 to 43,200 seconds.
pub fn access_token_lifetime(field: &'static str, seconds: u32) -> Result<u32, ApiError> {
    bounded(field, seconds, MIN_ACCESS_TOKEN_LIFETIME_SECS, MAX_ACCESS_TOKEN_LIFETIME_SECS)
}

/// Checks a signing-key ActivationDelay: 0 to 86,400 seconds.
pub fn activation_delay(seconds: u32) -> Result<u32, ApiError> {
    bounded("ActivationDelay", seconds, 0, MAX_ACTIVATION_DELAY_SECS)
}

/// Parses a signing Algorithm: `ES256` or `RS256`, exactly.
pub fn signing_algorithm(value: &str) -> Result<SigningAlgorithm, ApiError> {
    value.parse::<SigningAlgorithm>().map_err(|()| ApiError::invalid_parameter("Algorithm", "use ES256 or RS256"))
}

fn bounded(field: &str, value: u32, min: u32, max: u32) -> Result<u32, ApiError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::invalid_parameter(field, format!("it must be {min} to {max} seconds; got {value}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_invalid<T: std::fmt::Debug>(result: Result<T, ApiError>, field: &str, fragment: &str) {
        let error = result.expect_err("expected an error");
        assert_eq!(error.code, format!("InvalidParameter.{field}"));
        assert!(error.message.contains(fragment), "{fragment:?} not in {:?}", error.message);
    }

    #[test]
    fn resource_server_name_rules() {
        assert!(resource_server_name("billing-api.v2").is_ok());
        assert_invalid(resource_server_name(""), "ResourceServerName", "got 0 characters");
        assert_invalid(resource_server_name(&"a".repeat(65)), "ResourceServerName", "1 to 64");
        assert_invalid(resource_server_name("a|b"), "ResourceServerName", "'|' at position 2");
        assert_invalid(resource_server_name("-a"), "ResourceServerName", "symbol at the start or end");
    }

    #[test]
    fn identifier_rules() {
        assert!(identifier("https://api.example.com/billing").is_ok());
        assert!(identifier("api:billing/v1").is_ok());
        assert!(identifier("sts.aliyuncs.com").is_ok());
        assert_invalid(identifier("a b"), "Identifier", "' ' at position 2");
        assert_invalid(identifier("a|b"), "Identifier", "'|' at position 2");
        assert_invalid(identifier(&"a".repeat(129)), "Identifier", "1 to 128");
    }

    #[test]
    fn permission_list_rules() {
        assert_eq!(
            permissions_csv("Permissions", " read, write ,read,,").unwrap(),
            vec!["read".to_owned(), "write".to_owned()]
        );
        assert_invalid(permissions_csv("Permissions", ".all"), "Permissions", "symbol at the start");
        assert_invalid(permissions_csv("Permissions", ""), "Permissions", "got 0");
        let many: Vec<String> = (0..51).map(|i| format!("p{i}")).collect();
        assert_invalid(permissions_csv("Permissions", &many.join(",")), "Permissions", "got 51");
        assert_invalid(permissions_csv("Permissions", "ok,a b"), "Permissions", "entry 2 of 2");
    }

    #[test]
    fn auth_method_list_rules() {
        assert_eq!(
            auth_methods_csv("AuthMethods", "private_key_jwt, client_secret_basic,private_key_jwt").unwrap(),
            vec![AuthMethod::PrivateKeyJwt, AuthMethod::ClientSecretBasic]
        );
        assert_invalid(auth_methods_csv("AuthMethods", "none"), "AuthMethods", "\"none\" is not a method");
        assert_invalid(auth_methods_csv("AuthMethods", " , "), "AuthMethods", "at least one");
    }

    #[test]
    fn lifetime_and_delay_bounds() {
        assert_eq!(access_token_lifetime("AccessTokenLifetime", 3600), Ok(3600));
        assert_invalid(access_token_lifetime("AccessTokenLifetime", 299), "AccessTokenLifetime", "300 to 43200");
        assert_invalid(access_token_lifetime("AccessTokenLifetime", 43_201), "AccessTokenLifetime", "got 43201");
        assert_eq!(activation_delay(0), Ok(0));
        assert_invalid(activation_delay(86_401), "ActivationDelay", "0 to 86400");
    }

    #[test]
    fn algorithm_names() {
        assert_eq!(signing_algorithm("ES256"), Ok(SigningAlgorithm::Es256));
        assert_eq!(signing_algorithm("RS256"), Ok(SigningAlgorithm::Rs256));
        assert_invalid(signing_algorithm("HS256"), "Algorithm", "ES256 or RS256");
        assert_invalid(signing_algorithm("es256"), "Algorithm", "ES256 or RS256");
    }
}
