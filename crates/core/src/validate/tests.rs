use proptest::prelude::*;

use super::*;

/// Asserts an `InvalidParameter.<field>` error whose message contains every fragment.
fn assert_invalid<T: std::fmt::Debug>(result: Result<T, ApiError>, field: &str, fragments: &[&str]) {
    let error = result.expect_err("expected an error");
    assert_eq!(error.code, format!("InvalidParameter.{field}"));
    assert_eq!(error.status, 400);
    assert!(error.message.contains(field), "{}", error.message);
    for fragment in fragments {
        assert!(error.message.contains(fragment), "{:?} not in {:?}", fragment, error.message);
    }
}

#[test]
fn role_session_name_rules() {
    assert!(role_session_name("ci").is_ok());
    assert!(role_session_name("user@example.com_1-2").is_ok());
    assert!(role_session_name(&"a".repeat(64)).is_ok());
    assert_invalid(
        role_session_name("a"),
        "RoleSessionName",
        &["it must be 2 to 64 characters of letters, digits, '.', '@', '_' and '-'; got 1 character"],
    );
    assert_invalid(role_session_name(&"a".repeat(65)), "RoleSessionName", &["got 65 characters"]);
    assert_invalid(role_session_name("my session"), "RoleSessionName", &["' ' at position 3 is not allowed"]);
    assert_invalid(role_session_name("é1"), "RoleSessionName", &["'é' at position 1"]);
    assert_invalid(role_session_name(""), "RoleSessionName", &["got 0 characters"]);
}

#[test]
fn oidc_provider_name_rules() {
    assert!(oidc_provider_name("GitHub").is_ok());
    assert!(oidc_provider_name("a").is_ok());
    assert!(oidc_provider_name("my.provider_1-x").is_ok());
    assert!(oidc_provider_name(&"a".repeat(128)).is_ok());
    assert_invalid(oidc_provider_name(&"a".repeat(129)), "OIDCProviderName", &["1 to 128", "got 129 characters"]);
    assert_invalid(oidc_provider_name("-abc"), "OIDCProviderName", &["starting and ending with a letter or digit"]);
    assert_invalid(oidc_provider_name("abc_"), "OIDCProviderName", &["symbol at the start or end"]);
    assert_invalid(oidc_provider_name("a/b"), "OIDCProviderName", &["'/' at position 2"]);
}

#[test]
fn issuer_url_rules() {
    assert_eq!(issuer_url("https://issuer.example.com").unwrap(), "https://issuer.example.com");
    assert_eq!(issuer_url("https://example.com/realms/a/").unwrap(), "https://example.com/realms/a/");
    assert_eq!(issuer_url("https://127.0.0.1:8443/x").unwrap(), "https://127.0.0.1:8443/x");
    assert_invalid(issuer_url("http://issuer.example.com"), "IssuerUrl", &["https://"]);
    assert_invalid(issuer_url("HTTPS://issuer.example.com"), "IssuerUrl", &["https://"]);
    assert_invalid(issuer_url("https://issuer.example.com?a=1"), "IssuerUrl", &["query"]);
    assert_invalid(issuer_url("https://issuer.example.com/?"), "IssuerUrl", &["query"]);
    assert_invalid(issuer_url("https://issuer.example.com#x"), "IssuerUrl", &["fragment"]);
    assert_invalid(issuer_url("https://user@issuer.example.com"), "IssuerUrl", &["user information"]);
    assert_invalid(issuer_url("https://"), "IssuerUrl", &["with a host"]);
    assert_invalid(issuer_url("https:///path"), "IssuerUrl", &["with a host"]);
    assert_invalid(issuer_url("https://host\\x"), "IssuerUrl", &["with a host"]);
    assert_invalid(issuer_url("https://a b.com"), "IssuerUrl", &["spaces"]);
    assert_invalid(issuer_url(""), "IssuerUrl", &["1 to 255"]);
    let long = format!("https://example.com/{}", "a".repeat(240));
    assert_invalid(issuer_url(&long), "IssuerUrl", &["1 to 255", "got 260 characters"]);
}

#[test]
fn client_id_rules() {
    assert!(client_id("sts.aliyuncs.com").is_ok());
    assert!(client_id("api://my-app:v1/x_y").is_ok());
    assert!(client_id(&"a".repeat(128)).is_ok());
    assert_invalid(client_id(&"a".repeat(129)), "ClientId", &["got 129 characters"]);
    assert_invalid(client_id("/abc"), "ClientId", &["starting with a letter or digit"]);
    assert_invalid(client_id("a b"), "ClientId", &["' ' at position 2"]);
    assert_invalid(client_id(""), "ClientId", &["got 0 characters"]);
}

#[test]
fn client_ids_csv_splits_trims_and_dedupes() {
    assert_eq!(client_ids_csv(" a , b,a,,c ").unwrap(), ["a", "b", "c"]);
    assert!(client_ids_csv("").unwrap().is_empty());
    assert_invalid(client_ids_csv("good,ba d"), "ClientIds", &["' ' at position 3", "(entry 2 of 2)"]);
    let fifty: Vec<String> = (0..50).map(|i| format!("c{i}")).collect();
    assert_eq!(client_ids_csv(&fifty.join(",")).unwrap().len(), 50);
    let fifty_one: Vec<String> = (0..51).map(|i| format!("c{i}")).collect();
    assert_invalid(client_ids_csv(&fifty_one.join(",")), "ClientIds", &["at most 50", "got 51"]);
}

#[test]
fn fingerprint_rules() {
    let plain = "902EF2DEEB3C5B13EA4C3D5193629309E231AE55";
    assert_eq!(fingerprint(plain).unwrap(), plain.to_ascii_lowercase());
    let colons = "90:2E:F2:DE:EB:3C:5B:13:EA:4C:3D:51:93:62:93:09:E2:31:AE:55";
    assert_eq!(fingerprint(colons).unwrap(), plain.to_ascii_lowercase());
    assert_invalid(fingerprint(&plain[1..]), "Fingerprint", &["40 hex digits"]);
    assert_invalid(fingerprint(&format!("{}g", &plain[1..])), "Fingerprint", &["40 hex digits"]);
    assert_invalid(fingerprint(&format!("{plain}00")), "Fingerprint", &["40 hex digits"]);
    assert_invalid(fingerprint(&format!("{plain}{}", ":".repeat(100))), "Fingerprint", &["40 hex digits"]);
}

#[test]
fn fingerprints_csv_rules() {
    let a = "a".repeat(40);
    let b = "B".repeat(40);
    let list = fingerprints_csv(&format!("{a}, {b},{},", "b".repeat(40))).unwrap();
    assert_eq!(list, [a.clone(), "b".repeat(40)]);
    let six: Vec<String> = (0..6).map(|i| format!("{i}").repeat(40)).collect();
    assert_invalid(fingerprints_csv(&six.join(",")), "Fingerprints", &["at most 5", "got 6"]);
    assert_invalid(fingerprints_csv(&format!("{a},xyz")), "Fingerprints", &["(entry 2 of 2)", "\"xyz\""]);
}

#[test]
fn description_rules() {
    assert!(description("Description", "", 256).is_ok());
    assert!(description("Description", "line 1\nline 2\ttab", 256).is_ok());
    assert!(description("Description", &"é".repeat(256), 256).is_ok());
    assert_invalid(description("Description", &"é".repeat(257), 256), "Description", &["at most 256", "got 257"]);
    assert_invalid(description("NewDescription", "bell\u{7}", 1024), "NewDescription", &["control characters"]);
}

#[test]
fn numeric_parameters() {
    assert_eq!(issuance_limit_time(1).unwrap(), 1);
    assert_eq!(issuance_limit_time(168).unwrap(), 168);
    assert_invalid(issuance_limit_time(0), "IssuanceLimitTime", &["it must be 1 to 168 hours; got 0"]);
    assert_invalid(issuance_limit_time(169), "IssuanceLimitTime", &["got 169"]);
    assert_invalid(issuance_limit_time(u32::MAX), "IssuanceLimitTime", &["got 4294967295"]);

    assert_eq!(max_session_duration(3600).unwrap(), 3600);
    assert_eq!(max_session_duration(43_200).unwrap(), 43_200);
    assert_invalid(max_session_duration(3599), "MaxSessionDuration", &["3600 to 43200 seconds"]);
    assert_invalid(max_session_duration(43_201), "MaxSessionDuration", &["3600 to 43200 seconds"]);
}

#[test]
fn duration_seconds_respects_role_max() {
    assert_eq!(duration_seconds(900, 3600).unwrap(), 900);
    assert_eq!(duration_seconds(3600, 3600).unwrap(), 3600);
    assert_invalid(duration_seconds(3601, 3600), "DurationSeconds", &["900 to 3600", "MaxSessionDuration"]);
    assert_invalid(duration_seconds(899, 3600), "DurationSeconds", &["900 to 3600"]);
    assert_eq!(duration_seconds(43_200, 43_200).unwrap(), 43_200);
    assert_invalid(duration_seconds(901, 0), "DurationSeconds", &["900 to 900"]);
}

#[test]
fn name_rules_for_roles_and_policies() {
    assert!(role_name("Deploy.role-1").is_ok());
    assert_invalid(role_name("deploy_role"), "RoleName", &["'_' at position 7", "1 to 64"]);
    assert_invalid(role_name(&"r".repeat(65)), "RoleName", &["got 65 characters"]);
    assert!(policy_name("read-only-1").is_ok());
    assert_invalid(policy_name("read.only"), "PolicyName", &["'.' at position 5", "1 to 128"]);
    assert_invalid(policy_name(""), "PolicyName", &["got 0 characters"]);
}

#[test]
fn oidc_token_length_and_trim() {
    assert_eq!(oidc_token("a.b.c\n").unwrap(), "a.b.c");
    assert_eq!(oidc_token("  abcd\r\n").unwrap(), "abcd");
    assert!(oidc_token(&"x".repeat(20_000)).is_ok());
    assert_invalid(oidc_token("abc"), "OIDCToken", &["4 to 20000", "got 3 characters"]);
    assert_invalid(oidc_token("\n"), "OIDCToken", &["got 0 characters"]);
    assert_invalid(oidc_token(&"x".repeat(20_001)), "OIDCToken", &["got more"]);
}

#[test]
fn oidc_token_never_echoed() {
    let token = "eyJhbGciOiJFUzI1NiJ9";
    for candidate in [&token[..3], &format!("{token}{}", "Q".repeat(20_000))] {
        let error = oidc_token(candidate).unwrap_err();
        assert!(!error.message.contains(&token[..3]), "{}", error.message);
    }
}

#[test]
fn session_policy_length() {
    assert!(session_policy("{}").is_ok());
    assert!(session_policy(&"é".repeat(2048)).is_ok());
    assert_invalid(session_policy(""), "Policy", &["1 to 2048", "got 0"]);
    assert_invalid(session_policy(&"x".repeat(2049)), "Policy", &["got 2049"]);
}

proptest! {
    #[test]
    fn valid_session_names_pass(name in "[A-Za-z0-9.@_-]{2,64}") {
        prop_assert!(role_session_name(&name).is_ok());
    }

    #[test]
    fn fingerprint_normalizes_any_case_and_colons(bytes in proptest::array::uniform20(any::<u8>()), upper in any::<bool>()) {
        let hex: Vec<String> = bytes.iter().map(|b| if upper { format!("{b:02X}") } else { format!("{b:02x}") }).collect();
        let expected = hex.concat().to_ascii_lowercase();
        prop_assert_eq!(fingerprint(&hex.concat()).unwrap(), expected.clone());
        prop_assert_eq!(fingerprint(&hex.join(":")).unwrap(), expected);
    }

    #[test]
    fn numbers_in_range_pass(n in 1u32..=168) {
        prop_assert_eq!(issuance_limit_time(n).unwrap(), n);
    }
}
