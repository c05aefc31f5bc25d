//! Loading of the AccessKey that signs admin requests.
//!
//! Sources, in order: the environment variables of the official Alibaba Cloud SDKs
//! (`ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, `ALIBABA_CLOUD_SECURITY_TOKEN`),
//! then the `[default]` section of an INI credentials file in the format the SDKs read and
//! `akless serve` writes to `DATA_DIR/root-credentials`.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Environment variable with the AccessKey ID; set together with the secret, it wins over the file.
pub const ENV_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
/// Environment variable with the AccessKey secret.
pub const ENV_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
/// Environment variable with the STS security token of temporary credentials.
pub const ENV_SECURITY_TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";

/// Section of the credentials file that is read.
const PROFILE: &str = "default";

/// Maximum size of a credentials file, in bytes; a real one is a few hundred bytes.
const MAX_FILE_BYTES: u64 = 64 * 1024;

/// An AccessKey pair, with the security token when the pair is temporary (STS).
///
/// `Debug` prints the AccessKey ID only, so that logging the value never exposes the secret or token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    access_key_secret: String,
    security_token: Option<String>,
}

impl Credentials {
    /// Builds credentials from their parts; empty strings count as missing.
    pub fn new(
        access_key_id: String,
        access_key_secret: String,
        security_token: Option<String>,
    ) -> Result<Self, CredentialsError> {
        if access_key_id.is_empty() {
            return Err(CredentialsError::EmptyValue {
                field: "access_key_id",
            });
        }
        if access_key_secret.is_empty() {
            return Err(CredentialsError::EmptyValue {
                field: "access_key_secret",
            });
        }
        let security_token = security_token.filter(|t| !t.is_empty());
        Ok(Self {
            access_key_id,
            access_key_secret,
            security_token,
        })
    }

    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    pub fn access_key_secret(&self) -> &str {
        &self.access_key_secret
    }

    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Errors of loading credentials. Messages name files, sections and fields, never their values.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error(
        "{set} is set but {missing} is not; set both, or unset {set} to use the credentials file"
    )]
    IncompleteEnvironment {
        set: &'static str,
        missing: &'static str,
    },

    #[error("cannot read the credentials file {path}: {error}; pass --credentials-file or set {ENV_ACCESS_KEY_ID} and {ENV_ACCESS_KEY_SECRET}")]
    Unreadable {
        path: PathBuf,
        error: std::io::Error,
    },

    #[error("the credentials file {path} is larger than {MAX_FILE_BYTES} bytes")]
    TooLarge { path: PathBuf },

    #[error("the credentials file {path} is not UTF-8 text")]
    NotUtf8 { path: PathBuf },

    #[error("line {line} of the credentials file {path} is neither a [section], a key = value pair nor a comment")]
    Syntax { path: PathBuf, line: usize },

    #[error("the credentials file {path} has no [{PROFILE}] section")]
    MissingProfile { path: PathBuf },

    #[error("the [{PROFILE}] section of {path} has no {field}")]
    MissingField { path: PathBuf, field: &'static str },

    #[error("the [{PROFILE}] section of {path} has type = {kind}, which akless cannot use; use access_key or sts")]
    UnsupportedType { path: PathBuf, kind: String },

    #[error("the credential field {field} is empty")]
    EmptyValue { field: &'static str },
}

/// Loads credentials from the environment when `ALIBABA_CLOUD_ACCESS_KEY_ID` or the secret variable is set,
/// otherwise from `file`. `env` looks up one environment variable, so tests need not change the process environment.
pub fn load(
    file: &Path,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Credentials, CredentialsError> {
    let non_empty = |name: &str| env(name).filter(|v| !v.is_empty());
    let id = non_empty(ENV_ACCESS_KEY_ID);
    let secret = non_empty(ENV_ACCESS_KEY_SECRET);
    match (id, secret) {
        (Some(id), Some(secret)) => {
            return Credentials::new(id, secret, non_empty(ENV_SECURITY_TOKEN))
        }
        (Some(_), None) => {
            return Err(CredentialsError::IncompleteEnvironment {
                set: ENV_ACCESS_KEY_ID,
                missing: ENV_ACCESS_KEY_SECRET,
            })
        }
        (None, Some(_)) => {
            return Err(CredentialsError::IncompleteEnvironment {
                set: ENV_ACCESS_KEY_SECRET,
                missing: ENV_ACCESS_KEY_ID,
            })
        }
        (None, None) => {}
    }
    let text = read_file(file)?;
    parse_file(file, &text)
}

/// Reads the whole file, at most [`MAX_FILE_BYTES`].
fn read_file(path: &Path) -> Result<String, CredentialsError> {
    let unreadable = |error| CredentialsError::Unreadable {
        path: path.to_owned(),
        error,
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(CredentialsError::TooLarge {
            path: path.to_owned(),
        });
    }
    String::from_utf8(bytes).map_err(|_| CredentialsError::NotUtf8 {
        path: path.to_owned(),
    })
}

/// Parses the INI text and returns the credentials of the `[default]` section.
///
/// `type` may be `access_key` or `sts`; without `type`, a `security_token` key selects `sts`.
/// Lines starting with `#` or `;` are comments. Keys are case-sensitive, as in the official SDKs.
pub fn parse_file(path: &Path, text: &str) -> Result<Credentials, CredentialsError> {
    let mut section: Option<&str> = None;
    let mut found_profile = false;
    let mut values: Vec<(&str, &str)> = Vec::new();

    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            let name = name.trim();
            found_profile |= name == PROFILE;
            section = Some(name);
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(CredentialsError::Syntax {
                path: path.to_owned(),
                line: index + 1,
            });
        };
        if section == Some(PROFILE) {
            values.push((key.trim(), value.trim()));
        }
    }
    if !found_profile {
        return Err(CredentialsError::MissingProfile {
            path: path.to_owned(),
        });
    }

    // A later duplicate key overrides an earlier one, as in Python's configparser-based readers.
    let get = |key: &str| {
        values
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
    };
    let require = |field: &'static str| {
        get(field)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| CredentialsError::MissingField {
                path: path.to_owned(),
                field,
            })
    };

    let kind = get("type").unwrap_or_else(|| {
        if get("security_token").is_some() {
            "sts"
        } else {
            "access_key"
        }
        .to_owned()
    });
    match kind.as_str() {
        "access_key" => Credentials::new(
            require("access_key_id")?,
            require("access_key_secret")?,
            None,
        ),
        "sts" => Credentials::new(
            require("access_key_id")?,
            require("access_key_secret")?,
            Some(require("security_token")?),
        ),
        _ => Err(CredentialsError::UnsupportedType {
            path: path.to_owned(),
            kind,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const ROOT_FILE: &str =
        "[default]\ntype = access_key\naccess_key_id = LTAIfile\naccess_key_secret = file-secret\n";

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn write_temp(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        std::io::Write::write_all(&mut file, text.as_bytes()).expect("write");
        file
    }

    fn parse(text: &str) -> Result<Credentials, CredentialsError> {
        parse_file(Path::new("creds.ini"), text)
    }

    #[test]
    fn file_access_key() {
        let creds = parse(ROOT_FILE).expect("parses");
        assert_eq!(creds.access_key_id(), "LTAIfile");
        assert_eq!(creds.access_key_secret(), "file-secret");
        assert_eq!(creds.security_token(), None);
    }

    #[test]
    fn file_sts_type() {
        let text = "[default]\ntype = sts\naccess_key_id = STS.abc\naccess_key_secret = s\nsecurity_token = AKLS1.tok\n";
        let creds = parse(text).expect("parses");
        assert_eq!(creds.access_key_id(), "STS.abc");
        assert_eq!(creds.security_token(), Some("AKLS1.tok"));
    }

    #[test]
    fn file_token_without_type_means_sts() {
        let text =
            "[default]\naccess_key_id = STS.abc\naccess_key_secret = s\nsecurity_token = tok\n";
        assert_eq!(parse(text).expect("parses").security_token(), Some("tok"));
    }

    #[test]
    fn file_reads_only_default_section() {
        let text = "# comment\n[other]\naccess_key_id = wrong\naccess_key_secret = wrong\n\n; another\n[default]\naccess_key_id = right\naccess_key_secret = s\n[later]\naccess_key_id = wrong2\n";
        assert_eq!(parse(text).expect("parses").access_key_id(), "right");
    }

    #[test]
    fn file_missing_secret_names_field() {
        let error =
            parse("[default]\ntype = access_key\naccess_key_id = LTAI\n").expect_err("must fail");
        assert!(
            matches!(
                error,
                CredentialsError::MissingField {
                    field: "access_key_secret",
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(error.to_string().contains("access_key_secret"), "{error}");
    }

    #[test]
    fn file_empty_id_names_field() {
        let error =
            parse("[default]\naccess_key_id =\naccess_key_secret = s\n").expect_err("must fail");
        assert!(
            matches!(
                error,
                CredentialsError::MissingField {
                    field: "access_key_id",
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn file_sts_without_token_names_field() {
        let error = parse("[default]\ntype = sts\naccess_key_id = a\naccess_key_secret = s\n")
            .expect_err("must fail");
        assert!(
            matches!(
                error,
                CredentialsError::MissingField {
                    field: "security_token",
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn file_without_default_section() {
        let error =
            parse("[prod]\naccess_key_id = a\naccess_key_secret = s\n").expect_err("must fail");
        assert!(
            matches!(error, CredentialsError::MissingProfile { .. }),
            "{error:?}"
        );
    }

    #[test]
    fn file_unsupported_type_rejected() {
        let error =
            parse("[default]\ntype = oidc_role_arn\naccess_key_id = a\naccess_key_secret = s\n")
                .expect_err("must fail");
        assert!(
            matches!(&error, CredentialsError::UnsupportedType { kind, .. } if kind == "oidc_role_arn"),
            "{error:?}"
        );
    }

    #[test]
    fn file_syntax_error_names_line() {
        let error = parse("[default]\naccess_key_id = a\nnot a pair\n").expect_err("must fail");
        assert!(
            matches!(error, CredentialsError::Syntax { line: 3, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn errors_never_contain_secret() {
        let error = parse(
            "[default]\ntype = sts\naccess_key_id = a\naccess_key_secret = top-secret-value\n",
        )
        .expect_err("must fail");
        assert!(!error.to_string().contains("top-secret-value"), "{error}");
    }

    #[test]
    fn env_wins_over_file() {
        let file = write_temp(ROOT_FILE);
        let env = env_of(&[
            (ENV_ACCESS_KEY_ID, "LTAIenv"),
            (ENV_ACCESS_KEY_SECRET, "env-secret"),
        ]);
        let creds = load(file.path(), env).expect("loads");
        assert_eq!(creds.access_key_id(), "LTAIenv");
        assert_eq!(creds.access_key_secret(), "env-secret");
        assert_eq!(creds.security_token(), None);
    }

    #[test]
    fn env_with_token() {
        let env = env_of(&[
            (ENV_ACCESS_KEY_ID, "STS.env"),
            (ENV_ACCESS_KEY_SECRET, "s"),
            (ENV_SECURITY_TOKEN, "AKLS1.token"),
        ]);
        let creds =
            load(Path::new("/nonexistent/creds"), env).expect("loads without reading the file");
        assert_eq!(creds.security_token(), Some("AKLS1.token"));
    }

    #[test]
    fn env_without_secret_names_variable() {
        let file = write_temp(ROOT_FILE);
        let error =
            load(file.path(), env_of(&[(ENV_ACCESS_KEY_ID, "LTAIenv")])).expect_err("must fail");
        assert!(error.to_string().contains(ENV_ACCESS_KEY_SECRET), "{error}");
    }

    #[test]
    fn env_without_id_names_variable() {
        let file = write_temp(ROOT_FILE);
        let error =
            load(file.path(), env_of(&[(ENV_ACCESS_KEY_SECRET, "s")])).expect_err("must fail");
        assert!(error.to_string().contains(ENV_ACCESS_KEY_ID), "{error}");
    }

    #[test]
    fn empty_env_falls_back_to_file() {
        let file = write_temp(ROOT_FILE);
        let env = env_of(&[(ENV_ACCESS_KEY_ID, ""), (ENV_ACCESS_KEY_SECRET, "")]);
        assert_eq!(
            load(file.path(), env).expect("loads").access_key_id(),
            "LTAIfile"
        );
    }

    #[test]
    fn missing_file_names_path_and_flag() {
        let error =
            load(Path::new("/nonexistent/akless-creds"), env_of(&[])).expect_err("must fail");
        let text = error.to_string();
        assert!(text.contains("/nonexistent/akless-creds"), "{text}");
        assert!(text.contains("--credentials-file"), "{text}");
    }

    #[test]
    fn oversized_file_rejected() {
        let file = write_temp(&"#".repeat(MAX_FILE_BYTES as usize + 1));
        let error = load(file.path(), env_of(&[])).expect_err("must fail");
        assert!(
            matches!(error, CredentialsError::TooLarge { .. }),
            "{error:?}"
        );
    }

    #[test]
    fn debug_redacts_secret_and_token() {
        let creds = Credentials::new(
            "LTAIid".into(),
            "the-secret".into(),
            Some("the-token".into()),
        )
        .expect("valid");
        let text = format!("{creds:?}");
        assert!(text.contains("LTAIid"), "{text}");
        assert!(!text.contains("the-secret"), "{text}");
        assert!(!text.contains("the-token"), "{text}");
    }
}
