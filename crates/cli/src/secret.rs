//! Client secrets of the M2M issuer: where they come from, and a type that never prints them.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::secure_file::{self, FileError};

/// Environment variable with the client ID of `akless token` and `akless agent`.
pub const ENV_CLIENT_ID: &str = "AKLESS_CLIENT_ID";
/// Environment variable with the client secret of `akless token` and `akless agent`.
pub const ENV_CLIENT_SECRET: &str = "AKLESS_CLIENT_SECRET";

/// Largest client secret file read, in bytes.
const MAX_SECRET_BYTES: u64 = 4096;

/// A secret string. `Debug` prints `<redacted>` and there is no `Display`, so a secret cannot reach a
/// log line or an error message by formatting.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// Returns the secret text, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// Failure to load a client secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("no client secret: pass --client-secret-file FILE or set {ENV_CLIENT_SECRET}")]
    Missing,

    #[error(transparent)]
    File(#[from] FileError),
}

/// Loads the client secret: from `file` when given (`-` reads standard input), otherwise from `value`,
/// which clap fills from `--client-secret` or the `AKLESS_CLIENT_SECRET` variable.
pub fn load_client_secret(
    file: Option<&Path>,
    value: Option<&Secret>,
) -> Result<Secret, SecretError> {
    if let Some(path) = file {
        let text = secure_file::read_trimmed(path, "the client secret", MAX_SECRET_BYTES)?;
        return Ok(Secret(text));
    }
    match value {
        Some(secret) if !secret.0.is_empty() => Ok(secret.clone()),
        _ => Err(SecretError::Missing),
    }
}

/// Options that name an issuer client and its secret; shared by `akless token` and `akless agent`.
#[derive(clap::Args, Debug, Clone)]
pub struct ClientSecretArgs {
    /// Client ID registered with the issuer; required for token requests.
    #[arg(long, env = ENV_CLIENT_ID, value_name = "ID")]
    pub client_id: Option<String>,

    /// File whose content (surrounding whitespace removed) is the client secret; '-' reads standard input.
    #[arg(long, value_name = "FILE", conflicts_with = "client_secret")]
    pub client_secret_file: Option<PathBuf>,

    /// Client secret. Prefer the AKLESS_CLIENT_SECRET variable or --client-secret-file, because a value on
    /// the command line is visible to other users in the process list.
    #[arg(long, env = ENV_CLIENT_SECRET, hide_env_values = true, value_name = "SECRET")]
    pub client_secret: Option<Secret>,
}

impl ClientSecretArgs {
    pub fn secret(&self) -> Result<Secret, SecretError> {
        load_client_secret(
            self.client_secret_file.as_deref(),
            self.client_secret.as_ref(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts() {
        let secret = Secret::new("hunter2".into());
        assert_eq!(format!("{secret:?}"), "<redacted>");
        let args = ClientSecretArgs {
            client_id: Some("c1".into()),
            client_secret_file: None,
            client_secret: Some(secret),
        };
        let text = format!("{args:?}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn file_wins_over_value() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("secret");
        std::fs::write(&path, "from-file\n").expect("write");
        let value = Secret::new("from-env".into());
        let secret = load_client_secret(Some(&path), Some(&value)).expect("loads");
        assert_eq!(secret.expose(), "from-file");
    }

    #[test]
    fn missing_names_flag_and_variable() {
        let error = load_client_secret(None, None).expect_err("missing");
        let text = error.to_string();
        assert!(text.contains("--client-secret-file"), "{text}");
        assert!(text.contains(ENV_CLIENT_SECRET), "{text}");
        let empty = Secret::new(String::new());
        assert!(matches!(
            load_client_secret(None, Some(&empty)),
            Err(SecretError::Missing)
        ));
    }
}
