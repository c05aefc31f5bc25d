//! Alibaba Cloud Resource Names: `acs:<service>:<region>:<account>:<resource>`.
//!
//! RAM ARNs leave the region empty (`acs:ram::<account>:role/<name>`). The resource
//! part may itself contain `:`.

use std::fmt;
use std::str::FromStr;

/// Longest ARN accepted by [`Arn::from_str`], in bytes.
pub const MAX_ARN_BYTES: usize = 2048;

/// A parsed ARN.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Arn {
    /// Service code such as `ram` or `oss`; never empty.
    pub service: String,
    /// Region such as `cn-hangzhou`; empty for global services such as RAM.
    pub region: String,
    /// Account ID; may be empty or `*` in some services' ARNs.
    pub account: String,
    /// Resource path such as `role/admin`; never empty, may contain `:`.
    pub resource: String,
}

/// The reason a string is not an ARN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    #[error("the ARN is longer than {MAX_ARN_BYTES} bytes")]
    TooLong,
    #[error("the ARN does not start with \"acs:\"; use acs:<service>:<region>:<account>:<resource>")]
    MissingPrefix,
    #[error("the ARN has fewer than five colon-separated parts; use acs:<service>:<region>:<account>:<resource>")]
    MissingParts,
    #[error("the ARN service is empty or not made of letters, digits and '-'")]
    InvalidService,
    #[error("the ARN region or account contains characters other than letters, digits, '-', '_' and '*'")]
    InvalidRegionOrAccount,
    #[error("the ARN resource is empty")]
    EmptyResource,
    #[error("the ARN contains whitespace or control characters")]
    InvalidCharacter,
}

impl FromStr for Arn {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, ArnError> {
        if s.len() > MAX_ARN_BYTES {
            return Err(ArnError::TooLong);
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ArnError::InvalidCharacter);
        }
        let rest = s.strip_prefix("acs:").ok_or(ArnError::MissingPrefix)?;
        let mut parts = rest.splitn(4, ':');
        let (Some(service), Some(region), Some(account), Some(resource)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ArnError::MissingParts);
        };

        if service.is_empty() || !service.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(ArnError::InvalidService);
        }
        let plain = |part: &str| part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*'));
        if !plain(region) || !plain(account) {
            return Err(ArnError::InvalidRegionOrAccount);
        }
        if resource.is_empty() {
            return Err(ArnError::EmptyResource);
        }

        Ok(Arn {
            service: service.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            resource: resource.to_owned(),
        })
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "acs:{}:{}:{}:{}", self.service, self.region, self.account, self.resource)
    }
}

/// Builds `acs:ram::<account>:oidc-provider/<name>`; the provider name keeps its case.
pub fn oidc_provider_arn(account: &str, name: &str) -> String {
    format!("acs:ram::{account}:oidc-provider/{name}")
}

/// Builds `acs:ram::<account>:role/<role name lower-cased>`, the form Alibaba Cloud returns.
pub fn role_arn(account: &str, role_name: &str) -> String {
    format!("acs:ram::{account}:role/{}", role_name.to_lowercase())
}

/// Builds `acs:ram::<account>:assumed-role/<role lower-cased>/<session>`, the caller ARN
/// that GetCallerIdentity reports for a role session.
pub fn assumed_role_arn(account: &str, role_name: &str, session: &str) -> String {
    format!("acs:ram::{account}:assumed-role/{}/{session}", role_name.to_lowercase())
}

/// Builds `acs:ram::<account>:role/<role lower-cased>/<session>`, the
/// `AssumedRoleUser.Arn` form of the AssumeRoleWithOIDC response.
pub fn assumed_role_user_arn(account: &str, role_name: &str, session: &str) -> String {
    format!("acs:ram::{account}:role/{}/{session}", role_name.to_lowercase())
}

/// Builds `acs:ram::<account>:root`, the account's root identity.
pub fn root_arn(account: &str) -> String {
    format!("acs:ram::{account}:root")
}

/// Builds `acs:ram::<account>:policy/<name>`; the policy name keeps its case.
pub fn policy_arn(account: &str, policy_name: &str) -> String {
    format!("acs:ram::{account}:policy/{policy_name}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_ram_role_arn() {
        let arn: Arn = "acs:ram::123456789012:role/admin".parse().unwrap();
        assert_eq!(arn.service, "ram");
        assert_eq!(arn.region, "");
        assert_eq!(arn.account, "123456789012");
        assert_eq!(arn.resource, "role/admin");
    }

    #[test]
    fn resource_may_contain_colons() {
        let arn: Arn = "acs:oss:cn-hangzhou:*:bucket/a:b:c".parse().unwrap();
        assert_eq!(arn.region, "cn-hangzhou");
        assert_eq!(arn.account, "*");
        assert_eq!(arn.resource, "bucket/a:b:c");
    }

    #[test]
    fn display_round_trips() {
        for text in ["acs:ram::1:role/x", "acs:oss:cn-beijing:*:b/k:v", "acs:ram::123:oidc-provider/GitHub"] {
            let arn: Arn = text.parse().unwrap();
            assert_eq!(arn.to_string(), text);
        }
    }

    #[test]
    fn parse_errors_name_the_problem() {
        let cases = [
            ("arn:ram::1:role/x", ArnError::MissingPrefix),
            ("ACS:ram::1:role/x", ArnError::MissingPrefix),
            ("acs:ram::1", ArnError::MissingParts),
            ("acs:ram:", ArnError::MissingParts),
            ("acs::region:1:role/x", ArnError::InvalidService),
            ("acs:r/m::1:role/x", ArnError::InvalidService),
            ("acs:ram:cn/x:1:role/x", ArnError::InvalidRegionOrAccount),
            ("acs:ram::1.2:role/x", ArnError::InvalidRegionOrAccount),
            ("acs:ram::1:", ArnError::EmptyResource),
            ("acs:ram::1:role/a b", ArnError::InvalidCharacter),
            ("acs:ram::1:role/\n", ArnError::InvalidCharacter),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<Arn>(), Err(expected), "{text}");
        }
        let long = format!("acs:ram::1:role/{}", "a".repeat(MAX_ARN_BYTES));
        assert_eq!(long.parse::<Arn>(), Err(ArnError::TooLong));
    }

    #[test]
    fn builders_use_documented_forms() {
        assert_eq!(oidc_provider_arn("123", "GitHub"), "acs:ram::123:oidc-provider/GitHub");
        assert_eq!(role_arn("123", "TestOIDC"), "acs:ram::123:role/testoidc");
        assert_eq!(assumed_role_arn("123", "TestOIDC", "Sess"), "acs:ram::123:assumed-role/testoidc/Sess");
        assert_eq!(assumed_role_user_arn("123", "TestOIDC", "Sess"), "acs:ram::123:role/testoidc/Sess");
        assert_eq!(root_arn("123"), "acs:ram::123:root");
        assert_eq!(policy_arn("123", "ReadOnly"), "acs:ram::123:policy/ReadOnly");
    }

    #[test]
    fn built_arns_parse() {
        let arn: Arn = assumed_role_user_arn("123", "r", "s").parse().unwrap();
        assert_eq!(arn.resource, "role/r/s");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,80}") {
            let _ = s.parse::<Arn>();
        }

        #[test]
        fn parts_round_trip(
            service in "[a-z][a-z0-9-]{0,10}",
            region in "[a-z0-9-]{0,12}",
            account in "[0-9*]{0,16}",
            resource in "[a-zA-Z0-9/:._*-]{1,40}",
        ) {
            let text = format!("acs:{service}:{region}:{account}:{resource}");
            let arn: Arn = text.parse().unwrap();
            prop_assert_eq!(&arn.service, &service);
            prop_assert_eq!(&arn.region, &region);
            prop_assert_eq!(&arn.account, &account);
            prop_assert_eq!(&arn.resource, &resource);
            prop_assert_eq!(arn.to_string(), text);
        }
    }
}
