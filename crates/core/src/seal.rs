//! Sealing secrets and STS sessions with the master key (AES-256-GCM).
//!
//! A sealed value is `base64url(nonce || ciphertext || tag)` with a random 96-bit nonce.
//! The additional authenticated data is `akless-seal-v1|<key id>|<purpose>`, so a value
//! sealed for one purpose or under one key cannot be opened as another.
//!
//! A SecurityToken is `AKLS1.<key id>.<sealed SessionClaims JSON>`: the session travels
//! with the client, so the server keeps no session table.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::aead::{Aad, Nonce, RandomizedNonceKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::{digest, hmac};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::jose::{b64url_decode, b64url_encode};

/// First line of a master key file.
pub const KEY_FILE_HEADER: &str = "akless-master-key-v1";
/// Prefix of every SecurityToken akless issues.
pub const SESSION_TOKEN_PREFIX: &str = "AKLS1.";
/// Maximum SecurityToken length accepted by [`open_session`].
pub const MAX_SESSION_TOKEN_LEN: usize = 8 * 1024;
/// Maximum sealed text length accepted by [`open_bytes`].
pub const MAX_SEALED_LEN: usize = 1024 * 1024;
/// The seal purpose of SecurityTokens.
pub const SESSION_PURPOSE: &str = "session";
/// The `v` of the SessionClaims this version writes and reads.
pub const SESSION_CLAIMS_VERSION: u8 = 1;

const AAD_PREFIX: &str = "akless-seal-v1|";
const TAG_LEN: usize = 16;

/// An error from loading a master key file or opening a sealed value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The master key file does not have the expected format.
    #[error("the master key file is invalid: {0}")]
    KeyFile(&'static str),
    /// The sealed text or token does not have the expected shape.
    #[error("the sealed value is malformed: {0}")]
    Malformed(&'static str),
    /// The token names a master key ID other than this key's.
    #[error("the sealed value was made with another master key")]
    UnknownKey,
    /// Authentication failed (tampered, wrong purpose or wrong key) or the content is unreadable.
    #[error("the sealed value failed authentication")]
    Invalid,
}

impl SealError {
    /// Maps token errors to `InvalidSecurityToken.MalFormed`; a bad key file is an `InternalError`.
    pub fn to_api_error(&self) -> ApiError {
        match self {
            SealError::KeyFile(_) => ApiError::internal(),
            SealError::Malformed(_) | SealError::UnknownKey | SealError::Invalid => {
                ApiError::security_token_malformed()
            }
        }
    }
}

/// The 256-bit AES-GCM master key. Its `Debug` output shows only the key ID.
#[derive(Clone)]
pub struct MasterKey {
    bytes: [u8; 32],
    id: String,
    /// The AES-256-GCM key schedule, built once because every SecurityToken is sealed or opened with it.
    aead: Arc<RandomizedNonceKey>,
}

impl MasterKey {
    /// Wraps raw key bytes; the key ID is the hex of the first 4 bytes of their SHA-256.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        let hash = digest::digest(&digest::SHA256, bytes);
        let id = hex::encode(&hash.as_ref()[..4]);
        MasterKey { bytes: *bytes, id, aead: Arc::new(aead_key(bytes)) }
    }

    /// Generates a key from the operating system's CSPRNG.
    pub fn generate() -> Self {
        MasterKey::from_bytes(&crate::random::random_bytes::<32>())
    }

    /// Returns the 8 lower-case hex digit key ID, which is safe to log and store.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Returns the key file content: `akless-master-key-v1\n` + base64(key) + `\n`.
    pub fn to_file_bytes(&self) -> Vec<u8> {
        format!("{KEY_FILE_HEADER}\n{}\n", STANDARD.encode(self.bytes)).into_bytes()
    }

    /// Reads a key file written by [`MasterKey::to_file_bytes`]; any other content is rejected.
    pub fn from_file_bytes(content: &[u8]) -> Result<Self, SealError> {
        // A key file is 66 bytes; anything much larger is the wrong file.
        if content.len() > 256 {
            return Err(SealError::KeyFile("the file is larger than a master key file"));
        }
        let text = std::str::from_utf8(content).map_err(|_| SealError::KeyFile("the file is not UTF-8 text"))?;
        let rest = text
            .strip_prefix(KEY_FILE_HEADER)
            .and_then(|rest| rest.strip_prefix('\n'))
            .ok_or(SealError::KeyFile("the first line must be akless-master-key-v1"))?;
        let encoded = rest.strip_suffix('\n').ok_or(SealError::KeyFile("the base64 line must end with a newline"))?;
        if encoded.contains('\n') || encoded.contains('\r') {
            return Err(SealError::KeyFile("the file must have exactly two lines"));
        }
        let decoded = STANDARD
            .decode(encoded)
            .map_err(|_| SealError::KeyFile("the second line is not standard padded base64"))?;
        let bytes: [u8; 32] = decoded.try_into().map_err(|_| SealError::KeyFile("the key must be exactly 32 bytes"))?;
        Ok(MasterKey::from_bytes(&bytes))
    }

    /// Derives a 32-byte subkey for `purpose`: HMAC-SHA256(master key, `akless-derive-v1|<purpose>`).
    ///
    /// Each purpose gets an independent key, so a subkey used as an HMAC key elsewhere reveals
    /// nothing about the master key or about the subkeys of other purposes.
    pub fn derive_key(&self, purpose: &str) -> [u8; 32] {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.bytes);
        let tag = hmac::sign(&key, format!("akless-derive-v1|{purpose}").as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    fn aead_key(&self) -> &RandomizedNonceKey {
        &self.aead
    }

    fn aad(&self, purpose: &str) -> Vec<u8> {
        format!("{AAD_PREFIX}{}|{purpose}", self.id).into_bytes()
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey").field("id", &self.id).field("key", &"<redacted>").finish()
    }
}

// A 32-byte key is always a valid AES-256-GCM key, so the expect cannot fire.
#[allow(clippy::expect_used)]
fn aead_key(bytes: &[u8; 32]) -> RandomizedNonceKey {
    RandomizedNonceKey::new(&AES_256_GCM, bytes).expect("32-byte AES-256-GCM key")
}

/// Encrypts and authenticates `plaintext` for `purpose`; returns base64url text.
pub fn seal_bytes(key: &MasterKey, purpose: &str, plaintext: &[u8]) -> String {
    let mut in_out = plaintext.to_vec();
    // aws-lc-rs fails here only when its random source fails (or past 64 GiB of input), and then no secret may be issued.
    #[allow(clippy::expect_used)]
    let nonce = key
        .aead_key()
        .seal_in_place_append_tag(Aad::from(key.aad(purpose)), &mut in_out)
        .expect("AES-256-GCM sealing with a random nonce");
    let mut sealed = Vec::with_capacity(NONCE_LEN + in_out.len());
    sealed.extend_from_slice(nonce.as_ref());
    sealed.extend_from_slice(&in_out);
    b64url_encode(&sealed)
}

/// Opens a value from [`seal_bytes`] made with the same key and purpose.
pub fn open_bytes(key: &MasterKey, purpose: &str, sealed: &str) -> Result<Vec<u8>, SealError> {
    if sealed.len() > MAX_SEALED_LEN {
        return Err(SealError::Malformed("the sealed text is too long"));
    }
    let mut bytes = b64url_decode(sealed).ok_or(SealError::Malformed("the sealed text is not unpadded base64url"))?;
    if bytes.len() < NONCE_LEN + TAG_LEN {
        return Err(SealError::Malformed("the sealed text is too short"));
    }
    let (nonce, ciphertext) = bytes.split_at_mut(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Malformed("bad nonce"))?;
    let plaintext =
        key.aead_key().open_in_place(nonce, Aad::from(key.aad(purpose)), ciphertext).map_err(|_| SealError::Invalid)?;
    Ok(plaintext.to_vec())
}

/// Everything the server needs to serve an STS session, sealed inside the SecurityToken.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    /// Format version, [`SESSION_CLAIMS_VERSION`].
    pub v: u8,
    pub account_id: String,
    pub role_id: String,
    pub role_name: String,
    pub role_arn: String,
    pub session_name: String,
    pub access_key_id: String,
    pub access_key_secret: String,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    pub session_policy: Option<String>,
    pub provider_arn: String,
    pub subject: String,
}

impl fmt::Debug for SessionClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionClaims")
            .field("v", &self.v)
            .field("account_id", &self.account_id)
            .field("role_id", &self.role_id)
            .field("role_name", &self.role_name)
            .field("role_arn", &self.role_arn)
            .field("session_name", &self.session_name)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .field("session_policy", &self.session_policy)
            .field("provider_arn", &self.provider_arn)
            .field("subject", &self.subject)
            .finish()
    }
}

/// Seals a session into SecurityToken text: `AKLS1.<key id>.<sealed JSON>`.
pub fn seal_session(key: &MasterKey, session: &SessionClaims) -> String {
    // serde_json fails only on non-string map keys or failing Serialize impls, and this struct has neither.
    #[allow(clippy::expect_used)]
    let json = serde_json::to_vec(session).expect("SessionClaims serialize to JSON");
    format!("{SESSION_TOKEN_PREFIX}{}.{}", key.id(), seal_bytes(key, SESSION_PURPOSE, &json))
}

/// Opens a SecurityToken from [`seal_session`]. Does not check expiry.
///
/// Errors: [`SealError::Malformed`] for tokens over 8 KiB or of the wrong shape,
/// [`SealError::UnknownKey`] when the key ID is not this key's, [`SealError::Invalid`]
/// when authentication fails or the content is not version-1 SessionClaims.
pub fn open_session(key: &MasterKey, token: &str) -> Result<SessionClaims, SealError> {
    if token.len() > MAX_SESSION_TOKEN_LEN {
        return Err(SealError::Malformed("the SecurityToken is longer than 8192 characters"));
    }
    let rest = token
        .strip_prefix(SESSION_TOKEN_PREFIX)
        .ok_or(SealError::Malformed("the SecurityToken does not start with AKLS1."))?;
    let (key_id, sealed) =
        rest.split_once('.').ok_or(SealError::Malformed("the SecurityToken has no key ID segment"))?;
    let is_key_id = key_id.len() == 8 && key_id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !is_key_id {
        return Err(SealError::Malformed("the key ID is not 8 lower-case hex digits"));
    }
    if key_id != key.id() {
        return Err(SealError::UnknownKey);
    }
    let json = open_bytes(key, SESSION_PURPOSE, sealed)?;
    let session: SessionClaims = serde_json::from_slice(&json).map_err(|_| SealError::Invalid)?;
    if session.v != SESSION_CLAIMS_VERSION {
        return Err(SealError::Invalid);
    }
    Ok(session)
}

#[cfg(test)]
mod tests;
