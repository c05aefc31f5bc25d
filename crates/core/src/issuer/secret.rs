//! Client secrets: generation, derivation and constant-time checks.
//!
//! A client secret is `akcs_` + base64url(HMAC-SHA256(K, client ID, secret ID, seed)), where the
//! seed is 32 random bytes and K is derived from the master key. The store keeps only the seed.
//! Without the master key the seed reveals nothing about the secret, the same protection a keyed
//! hash of the secret gives. Unlike a hash, it lets the server recompute the secret, which
//! `client_secret_jwt` needs because the secret is the HS256 key of the client's assertion.
//! The secret carries 256 bits from the seed, so a fast HMAC is enough and no slow password
//! hash runs on the token path.

use std::fmt;

use aws_lc_rs::hmac;
use subtle::ConstantTimeEq;

use crate::jose::{b64url_decode, b64url_encode};
use crate::random::{random_alnum, random_bytes};
use crate::seal::MasterKey;

/// Prefix of every client secret, so leaked secrets are easy to recognize and scan for.
pub const CLIENT_SECRET_PREFIX: &str = "akcs_";
/// Maximum length of a presented client secret; longer input is rejected before any work.
pub const MAX_CLIENT_SECRET_CHARS: usize = 256;
/// Purpose label of the master-key subkey that derives client secrets.
const DERIVE_PURPOSE: &str = "issuer-client-secret";
/// Domain separation for the HMAC input.
const SECRET_LABEL: &[u8] = b"akless-client-secret-v1";

/// Generates a ClientId: `akc` followed by 21 random letters and digits (about 125 bits).
pub fn new_client_id() -> String {
    format!("akc{}", random_alnum(21))
}

/// Generates a SecretId: `cs-` followed by 16 random letters and digits.
pub fn new_secret_id() -> String {
    format!("cs-{}", random_alnum(16))
}

/// A new secret: the seed to store and the secret text to show once.
#[derive(Clone, PartialEq, Eq)]
pub struct GeneratedSecret {
    /// base64url of the 32-byte seed; the only value stored.
    pub seed: String,
    /// The secret text handed to the caller once and never stored.
    pub secret: String,
}

impl fmt::Debug for GeneratedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedSecret").field("seed", &self.seed).field("secret", &"<redacted>").finish()
    }
}

/// The HMAC key that derives client secrets from stored seeds.
pub struct ClientSecretKey {
    key: hmac::Key,
}

impl ClientSecretKey {
    /// Derives the key from the master key.
    pub fn new(master: &MasterKey) -> Self {
        Self { key: hmac::Key::new(hmac::HMAC_SHA256, &master.derive_key(DERIVE_PURPOSE)) }
    }

    /// Generates a seed and the secret it derives for this client and secret ID.
    pub fn generate(&self, client_id: &str, secret_id: &str) -> GeneratedSecret {
        let seed = random_bytes::<32>();
        let secret = self.derive_bytes(client_id, secret_id, &seed);
        GeneratedSecret { seed: b64url_encode(&seed), secret }
    }

    /// Recomputes the secret text of a stored seed; `None` when the seed is not 32 bytes of base64url.
    pub fn derive(&self, client_id: &str, secret_id: &str, seed: &str) -> Option<String> {
        let seed = b64url_decode(seed).filter(|bytes| bytes.len() == 32)?;
        Some(self.derive_bytes(client_id, secret_id, &seed))
    }

    /// Tells whether `presented` is the secret of this seed, comparing in constant time.
    pub fn matches(&self, client_id: &str, secret_id: &str, seed: &str, presented: &str) -> bool {
        if presented.len() > MAX_CLIENT_SECRET_CHARS {
            return false;
        }
        match self.derive(client_id, secret_id, seed) {
            Some(expected) => bool::from(expected.as_bytes().ct_eq(presented.as_bytes())),
            None => false,
        }
    }

    fn derive_bytes(&self, client_id: &str, secret_id: &str, seed: &[u8]) -> String {
        // NUL separators keep the input unambiguous, because IDs never contain NUL.
        let mut context = hmac::Context::with_key(&self.key);
        context.update(SECRET_LABEL);
        for part in [client_id.as_bytes(), secret_id.as_bytes(), seed] {
            context.update(b"\0");
            context.update(part);
        }
        format!("{CLIENT_SECRET_PREFIX}{}", b64url_encode(context.sign().as_ref()))
    }
}

impl fmt::Debug for ClientSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecretKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> ClientSecretKey {
        ClientSecretKey::new(&MasterKey::from_bytes(&[byte; 32]))
    }

    #[test]
    fn generated_secret_matches_its_seed() {
        let key = key(1);
        let generated = key.generate("akc1", "cs-1");
        assert!(generated.secret.starts_with(CLIENT_SECRET_PREFIX));
        assert_eq!(generated.secret.len(), CLIENT_SECRET_PREFIX.len() + 43, "256-bit HMAC in base64url");
        assert!(key.matches("akc1", "cs-1", &generated.seed, &generated.secret));
        assert_eq!(key.derive("akc1", "cs-1", &generated.seed).as_deref(), Some(generated.secret.as_str()));
    }

    #[test]
    fn secret_bound_to_ids_and_key() {
        let generated = key(1).generate("akc1", "cs-1");
        assert!(!key(1).matches("akc2", "cs-1", &generated.seed, &generated.secret));
        assert!(!key(1).matches("akc1", "cs-2", &generated.seed, &generated.secret));
        assert!(!key(2).matches("akc1", "cs-1", &generated.seed, &generated.secret));
    }

    #[test]
    fn rejects_wrong_and_oversized_secrets() {
        let key = key(1);
        let generated = key.generate("akc1", "cs-1");
        let mut wrong = generated.secret.clone();
        wrong.pop();
        assert!(!key.matches("akc1", "cs-1", &generated.seed, &wrong));
        assert!(!key.matches("akc1", "cs-1", &generated.seed, ""));
        assert!(!key.matches("akc1", "cs-1", &generated.seed, &"a".repeat(MAX_CLIENT_SECRET_CHARS + 1)));
        assert!(!key.matches("akc1", "cs-1", "not-a-seed", &generated.secret));
    }

    #[test]
    fn seeds_differ_and_debug_redacts() {
        let key = key(1);
        let a = key.generate("akc1", "cs-1");
        let b = key.generate("akc1", "cs-1");
        assert_ne!(a.seed, b.seed);
        assert_ne!(a.secret, b.secret);
        assert!(!format!("{a:?}").contains(&a.secret));
    }

    #[test]
    fn ids_have_documented_shape() {
        let client_id = new_client_id();
        assert!(client_id.starts_with("akc"), "{client_id}");
        assert_eq!(client_id.len(), 24, "{client_id}");
        assert!(crate::issuer::rules::client_id(&client_id).is_ok());
        let secret_id = new_secret_id();
        assert!(crate::issuer::rules::secret_id(&secret_id).is_ok(), "{secret_id}");
    }
}
