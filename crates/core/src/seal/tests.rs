use proptest::prelude::*;

use super::*;

fn key(byte: u8) -> MasterKey {
    MasterKey::from_bytes(&[byte; 32])
}

fn session() -> SessionClaims {
    SessionClaims {
        v: SESSION_CLAIMS_VERSION,
        account_id: String::from("1234567890123456"),
        role_id: String::from("3000000000000001"),
        role_name: String::from("Deploy"),
        role_arn: String::from("acs:ram::1234567890123456:role/deploy"),
        session_name: String::from("ci-run"),
        access_key_id: String::from("STS.abcdefghijklmnopqrstuvwx"),
        access_key_secret: String::from("SuperSecretValue0123456789abcdefghijklmnopqr"),
        issued_at: 1_714_564_800,
        expires_at: 1_714_568_400,
        session_policy: Some(String::from(r#"{"Version":"1","Statement":[]}"#)),
        provider_arn: String::from("acs:ram::1234567890123456:oidc-provider/GitHub"),
        subject: String::from("repo:acme/app:ref:refs/heads/main"),
    }
}

#[test]
fn key_id_is_sha256_prefix() {
    // SHA-256 of 32 zero bytes starts with 66687aad.
    assert_eq!(key(0).id(), "66687aad");
    assert_ne!(key(1).id(), key(0).id());
    assert_eq!(MasterKey::generate().id().len(), 8);
}

#[test]
fn generated_keys_differ() {
    assert_ne!(MasterKey::generate().id(), MasterKey::generate().id());
}

#[test]
fn key_file_round_trips() {
    let original = MasterKey::generate();
    let file = original.to_file_bytes();
    let text = String::from_utf8(file.clone()).unwrap();
    assert!(text.starts_with("akless-master-key-v1\n"));
    assert!(text.ends_with('\n'));
    assert_eq!(text.lines().count(), 2);
    let loaded = MasterKey::from_file_bytes(&file).unwrap();
    assert_eq!(loaded.id(), original.id());
    let sealed = seal_bytes(&original, "p", b"data");
    assert_eq!(open_bytes(&loaded, "p", &sealed).unwrap(), b"data");
}

#[test]
fn key_file_rejects_other_content() {
    let good = String::from_utf8(key(7).to_file_bytes()).unwrap();
    let encoded = good.lines().nth(1).unwrap().to_owned();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (Vec::new(), "first line"),
        (format!("akless-master-key-v2\n{encoded}\n").into_bytes(), "first line"),
        (format!("akless-master-key-v1 \n{encoded}\n").into_bytes(), "first line"),
        (format!("akless-master-key-v1\n{encoded}").into_bytes(), "end with a newline"),
        (format!("akless-master-key-v1\r\n{encoded}\r\n").into_bytes(), "first line"),
        (format!("akless-master-key-v1\n{encoded}\n\n").into_bytes(), "exactly two lines"),
        (format!("akless-master-key-v1\n{encoded}\nextra\n").into_bytes(), "exactly two lines"),
        (format!("akless-master-key-v1\n{}\n", encoded.trim_end_matches('=')).into_bytes(), "base64"),
        (format!("akless-master-key-v1\n{}\n", STANDARD.encode([1u8; 16])).into_bytes(), "32 bytes"),
        (format!("akless-master-key-v1\n{}\n", STANDARD.encode([1u8; 33])).into_bytes(), "32 bytes"),
        (vec![0xff, 0xfe], "UTF-8"),
        (vec![b'a'; 1000], "larger"),
    ];
    for (content, expected) in cases {
        match MasterKey::from_file_bytes(&content) {
            Err(SealError::KeyFile(reason)) => assert!(reason.contains(expected), "{reason:?} for {content:?}"),
            other => panic!("expected KeyFile error for {content:?}, got {other:?}"),
        }
    }
}

#[test]
fn debug_hides_key_and_secret() {
    let master = key(0x41);
    let shown = format!("{master:?}");
    assert!(shown.contains(master.id()));
    assert!(shown.contains("<redacted>"));
    assert!(!shown.contains("65, 65"));
    assert!(!shown.contains(&STANDARD.encode([0x41u8; 32])));

    let claims = format!("{:?}", session());
    assert!(claims.contains("<redacted>"));
    assert!(!claims.contains("SuperSecretValue"));
    assert!(claims.contains("STS.abcdefghijklmnopqrstuvwx"));
}

#[test]
fn seal_uses_fresh_nonces() {
    let master = key(1);
    let a = seal_bytes(&master, "p", b"same");
    let b = seal_bytes(&master, "p", b"same");
    assert_ne!(a, b);
    assert_eq!(open_bytes(&master, "p", &a).unwrap(), b"same");
    assert_eq!(open_bytes(&master, "p", &b).unwrap(), b"same");
}

#[test]
fn open_bytes_binds_purpose_and_key() {
    let sealed = seal_bytes(&key(1), "root-secret", b"secret");
    assert_eq!(open_bytes(&key(1), "session", &sealed), Err(SealError::Invalid));
    assert_eq!(open_bytes(&key(2), "root-secret", &sealed), Err(SealError::Invalid));
    assert_eq!(open_bytes(&key(1), "root-secret", &sealed).unwrap(), b"secret");
}

#[test]
fn open_bytes_rejects_malformed_text() {
    let master = key(1);
    assert!(matches!(open_bytes(&master, "p", "not base64!"), Err(SealError::Malformed(_))));
    assert!(matches!(open_bytes(&master, "p", &b64url_encode(&[0u8; 27])), Err(SealError::Malformed(_))));
    let long = "A".repeat(MAX_SEALED_LEN + 1);
    assert!(matches!(open_bytes(&master, "p", &long), Err(SealError::Malformed(_))));
    // Exactly nonce + tag: an empty plaintext with a forged tag fails authentication.
    assert_eq!(open_bytes(&master, "p", &b64url_encode(&[0u8; 28])), Err(SealError::Invalid));
    assert_eq!(open_bytes(&master, "p", &seal_bytes(&master, "p", b"")).unwrap(), b"");
}

#[test]
fn session_round_trips() {
    let master = key(3);
    let token = seal_session(&master, &session());
    assert!(token.starts_with(&format!("AKLS1.{}.", master.id())));
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)));
    assert_eq!(open_session(&master, &token).unwrap(), session());
}

#[test]
fn session_token_hides_secret() {
    let token = seal_session(&key(3), &session());
    assert!(!token.contains("SuperSecretValue"));
    let sealed = token.rsplit('.').next().unwrap();
    let raw = b64url_decode(sealed).unwrap();
    assert!(!raw.windows(16).any(|w| w == b"SuperSecretValue"));
}

#[test]
fn open_session_rejects_wrong_key_id() {
    let token = seal_session(&key(3), &session());
    assert_eq!(open_session(&key(4), &token), Err(SealError::UnknownKey));
}

#[test]
fn open_session_rejects_forged_key_id() {
    // Same key, but the token claims the other key's ID: authentication binds the ID.
    let (real, other) = (key(3), key(4));
    let token = seal_session(&real, &session());
    let forged = token.replacen(real.id(), other.id(), 1);
    assert_eq!(open_session(&other, &forged), Err(SealError::Invalid));
}

#[test]
fn open_session_rejects_bad_shapes() {
    let master = key(3);
    let token = seal_session(&master, &session());
    let cases = [
        String::from(""),
        token.replacen("AKLS1.", "AKLS2.", 1),
        format!("AKLS1.{}", master.id()),
        format!("AKLS1.{}.x", master.id().to_uppercase()),
        String::from("AKLS1.abc.def"),
        format!("{token}!"),
        format!("{token}="),
        "A".repeat(MAX_SESSION_TOKEN_LEN + 1),
    ];
    for case in cases {
        assert!(matches!(open_session(&master, &case), Err(SealError::Malformed(_))), "{case:.40}");
    }
}

#[test]
fn open_session_rejects_other_purpose_and_bad_content() {
    let master = key(3);
    let json = serde_json::to_vec(&session()).unwrap();
    let wrong_purpose = format!("AKLS1.{}.{}", master.id(), seal_bytes(&master, "root-secret", &json));
    assert_eq!(open_session(&master, &wrong_purpose), Err(SealError::Invalid));

    let not_claims = format!("AKLS1.{}.{}", master.id(), seal_bytes(&master, SESSION_PURPOSE, b"{}"));
    assert_eq!(open_session(&master, &not_claims), Err(SealError::Invalid));

    let future = SessionClaims { v: 2, ..session() };
    assert_eq!(open_session(&master, &seal_session(&master, &future)), Err(SealError::Invalid));
}

#[test]
fn session_with_max_policy_fits_token_limit() {
    let master = key(3);
    // A 2,048-character policy whose every character needs JSON escaping.
    let claims = SessionClaims { session_policy: Some("\"".repeat(2048)), ..session() };
    let token = seal_session(&master, &claims);
    assert!(token.len() <= MAX_SESSION_TOKEN_LEN, "{}", token.len());
    assert_eq!(open_session(&master, &token).unwrap(), claims);
}

#[test]
fn errors_map_to_security_token_malformed() {
    for error in [SealError::Malformed("x"), SealError::UnknownKey, SealError::Invalid] {
        assert_eq!(error.to_api_error().code, "InvalidSecurityToken.MalFormed");
    }
    assert_eq!(SealError::KeyFile("x").to_api_error().code, "InternalError");
}

proptest! {
    #[test]
    fn any_flipped_bit_fails(bit in 0usize..(8 * (12 + 5 + 16))) {
        let master = key(9);
        let sealed = seal_bytes(&master, "p", b"hello");
        let mut raw = b64url_decode(&sealed).unwrap();
        raw[bit / 8] ^= 1 << (bit % 8);
        prop_assert_eq!(open_bytes(&master, "p", &b64url_encode(&raw)), Err(SealError::Invalid));
    }

    #[test]
    fn any_changed_token_char_fails(index in any::<prop::sample::Index>(), replacement in "[A-Za-z0-9_.-]") {
        let master = key(9);
        let token = seal_session(&master, &session());
        let mut chars: Vec<char> = token.chars().collect();
        let i = index.index(chars.len());
        let new = replacement.chars().next().unwrap();
        prop_assume!(chars[i] != new);
        chars[i] = new;
        let changed: String = chars.into_iter().collect();
        prop_assert!(open_session(&master, &changed).is_err());
    }

    #[test]
    fn seal_round_trips(data in proptest::collection::vec(any::<u8>(), 0..512), purpose in "[a-z-]{1,20}") {
        let master = key(5);
        let sealed = seal_bytes(&master, &purpose, &data);
        prop_assert_eq!(open_bytes(&master, &purpose, &sealed).unwrap(), data);
    }
}

#[test]
fn derive_key_separates_purposes_and_keys() {
    let master = key(7);
    let a = master.derive_key("client-secret");
    assert_eq!(a, master.derive_key("client-secret"), "derivation is deterministic");
    assert_ne!(a, master.derive_key("client-secret-2"), "each purpose gets its own key");
    assert_ne!(a, key(8).derive_key("client-secret"), "each master key gets its own subkeys");
    assert_ne!(&a[..], &[7u8; 32][..], "the subkey is not the master key");
}
