use time::macros::datetime;

use super::*;
use crate::jose::parse_compact;
use crate::jose::test_support::{valid_claims, TestKey, CLIENT_ID, ISSUER};
use crate::seal::open_session;
use crate::timefmt::iso8601;
use crate::token::{verify, ProviderRules};

const ROLE_ARN: &str = "acs:ram::1234567890123456:role/deploy";
const PROVIDER_ARN: &str = "acs:ram::1234567890123456:oidc-provider/GitHub";

fn now() -> OffsetDateTime {
    datetime!(2024-05-01 12:00:00.750 UTC)
}

/// Verifies a freshly signed token through the real check chain.
fn verified_token() -> VerifiedOidcToken {
    let key = TestKey::ed25519();
    let jws = parse_compact(&key.token(None, &valid_claims(now().unix_timestamp()))).unwrap();
    let client_ids = vec![String::from(CLIENT_ID)];
    let rules = ProviderRules { issuer_url: ISSUER, client_ids: &client_ids, issuance_limit_hours: 12, leeway_secs: 0 };
    verify(&jws, &key.public_jwk(None), &rules, now()).unwrap()
}

fn request(duration_secs: u32, session_policy: Option<&str>) -> MintRequest<'_> {
    MintRequest {
        account_id: "1234567890123456",
        role_id: "3000000000000001",
        role_name: "Deploy",
        role_arn: ROLE_ARN,
        provider_arn: PROVIDER_ARN,
        session_name: "ci-run",
        duration_secs,
        session_policy,
        now: now(),
    }
}

#[test]
fn mints_credentials_with_sealed_session() {
    let master = MasterKey::generate();
    let decision = AllowDecision::new(ASSUME_ROLE_ACTION, ROLE_ARN);
    let policy = r#"{"Version":"1","Statement":[]}"#;
    let credentials = mint(&verified_token(), &decision, &request(3600, Some(policy)), &master).unwrap();

    let suffix = credentials.access_key_id.strip_prefix("STS.").unwrap();
    assert_eq!(suffix.len(), 24);
    assert!(suffix.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(credentials.access_key_secret.len(), 44);
    assert!(credentials.access_key_secret.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(iso8601(credentials.expiration), "2024-05-01T13:00:00Z");
    assert_eq!(credentials.expiration.nanosecond(), 0);

    let session = open_session(&master, &credentials.security_token).unwrap();
    assert_eq!(session.v, 1);
    assert_eq!(session.access_key_id, credentials.access_key_id);
    assert_eq!(session.access_key_secret, credentials.access_key_secret);
    assert_eq!(session.role_arn, ROLE_ARN);
    assert_eq!(session.role_id, "3000000000000001");
    assert_eq!(session.role_name, "Deploy");
    assert_eq!(session.account_id, "1234567890123456");
    assert_eq!(session.provider_arn, PROVIDER_ARN);
    assert_eq!(session.session_name, "ci-run");
    assert_eq!(session.subject, "system:serviceaccount:ns:sa");
    assert_eq!(session.session_policy.as_deref(), Some(policy));
    assert_eq!(session.issued_at, now().unix_timestamp());
    assert_eq!(session.expires_at, credentials.expiration.unix_timestamp());
}

#[test]
fn each_mint_gets_fresh_credentials() {
    let master = MasterKey::generate();
    let decision = AllowDecision::new(ASSUME_ROLE_ACTION, ROLE_ARN);
    let token = verified_token();
    let a = mint(&token, &decision, &request(900, None), &master).unwrap();
    let b = mint(&token, &decision, &request(900, None), &master).unwrap();
    assert_ne!(a.access_key_id, b.access_key_id);
    assert_ne!(a.access_key_secret, b.access_key_secret);
    assert_ne!(a.security_token, b.security_token);
}

#[test]
fn rejects_decision_for_other_action() {
    let decision = AllowDecision::new("ram:GetRole", ROLE_ARN);
    let result = mint(&verified_token(), &decision, &request(3600, None), &MasterKey::generate());
    assert_eq!(result, Err(MintError::WrongAction));
}

#[test]
fn rejects_decision_for_other_role() {
    let decision = AllowDecision::new(ASSUME_ROLE_ACTION, "acs:ram::1234567890123456:role/admin");
    let result = mint(&verified_token(), &decision, &request(3600, None), &MasterKey::generate());
    assert_eq!(result, Err(MintError::WrongResource));
    assert_eq!(MintError::WrongResource.to_api_error().code, "InternalError");
}

#[test]
fn rejects_durations_out_of_range() {
    let decision = AllowDecision::new(ASSUME_ROLE_ACTION, ROLE_ARN);
    let master = MasterKey::generate();
    let token = verified_token();
    for secs in [0, 899, 43_201] {
        assert_eq!(mint(&token, &decision, &request(secs, None), &master), Err(MintError::DurationOutOfRange(secs)));
    }
    assert!(mint(&token, &decision, &request(43_200, None), &master).is_ok());
    let api = MintError::DurationOutOfRange(10).to_api_error();
    assert_eq!(api.code, "InvalidParameter.DurationSeconds");
}

#[test]
fn rejects_session_too_large_for_token() {
    let decision = AllowDecision::new(ASSUME_ROLE_ACTION, ROLE_ARN);
    let huge = "x".repeat(7000);
    let result = mint(&verified_token(), &decision, &request(3600, Some(&huge)), &MasterKey::generate());
    assert!(matches!(result, Err(MintError::SecurityTokenTooLong(_))));
    assert_eq!(result.unwrap_err().to_api_error().code, "InvalidParameter.Policy");
}

#[test]
fn debug_hides_secret_and_token() {
    let decision = AllowDecision::new(ASSUME_ROLE_ACTION, ROLE_ARN);
    let credentials = mint(&verified_token(), &decision, &request(3600, None), &MasterKey::generate()).unwrap();
    let shown = format!("{credentials:?}");
    assert!(shown.contains(&credentials.access_key_id));
    assert!(!shown.contains(&credentials.access_key_secret));
    assert!(!shown.contains(&credentials.security_token));
}
