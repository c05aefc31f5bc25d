//! Anonymous STS AssumeRoleWithOIDC calls and the temporary credentials they return.
//!
//! The request has the shape of the official Go credential provider: `POST /` with `Action`, `Version`,
//! `Format` and `Timestamp` in the query and the API parameters in a form body. A token of up to 20,000
//! characters therefore never lands in a URL or in proxy logs.

use std::fmt;
use std::time::Duration;

use akless_core::timefmt::{iso8601, parse_iso8601};
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::client::{error_chain, interpret_response, ClientError, Endpoint, STS_VERSION};

/// Maximum size of an STS response body, in bytes.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Parameters of one AssumeRoleWithOIDC call besides the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleRequest {
    pub role_arn: String,
    pub oidc_provider_arn: String,
    pub role_session_name: String,
    /// Session lifetime in seconds; `None` lets the server use its default (3600).
    pub duration_seconds: Option<u32>,
    /// Session policy (JSON) that narrows the role's permissions.
    pub policy: Option<String>,
}

impl AssumeRoleRequest {
    /// Checks the parameters with the server's own rules, so a bad value fails before any request.
    pub fn validate(&self) -> anyhow::Result<()> {
        use akless_core::validate;
        validate::role_session_name(&self.role_session_name).map_err(api_rule)?;
        if let Some(seconds) = self.duration_seconds {
            // 43200 s is the largest MaxSessionDuration a role can have; the role's own limit is checked by STS.
            validate::duration_seconds(seconds, 43_200).map_err(api_rule)?;
        }
        if let Some(policy) = &self.policy {
            validate::session_policy(policy).map_err(api_rule)?;
        }
        for (name, value) in [
            ("--role-arn", &self.role_arn),
            ("--oidc-provider-arn", &self.oidc_provider_arn),
        ] {
            if value.parse::<akless_core::arn::Arn>().is_err() {
                anyhow::bail!("{name} {value:?} is not an ARN; use acs:ram::<account>:role/<name> or acs:ram::<account>:oidc-provider/<name>");
            }
        }
        Ok(())
    }
}

fn api_rule(error: akless_core::error::ApiError) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", error.code, error.message)
}

/// Temporary credentials from STS. `Debug` hides the secret and the security token.
#[derive(Clone, PartialEq, Eq)]
pub struct StsCredentials {
    pub access_key_id: String,
    pub access_key_secret: String,
    pub security_token: String,
    pub expiration: OffsetDateTime,
}

impl fmt::Debug for StsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field("security_token", &"<redacted>")
            .field("expiration", &iso8601(self.expiration))
            .finish()
    }
}

impl StsCredentials {
    /// Returns `Expiration` in the exact `YYYY-MM-DDTHH:MM:SSZ` form that the official SDKs parse.
    pub fn expiration_text(&self) -> String {
        iso8601(self.expiration)
    }

    /// Renders the credentials as the `Credentials` object of an STS response.
    pub fn to_json(&self) -> Value {
        json!({
            "AccessKeyId": self.access_key_id,
            "AccessKeySecret": self.access_key_secret,
            "SecurityToken": self.security_token,
            "Expiration": self.expiration_text(),
        })
    }

    /// Renders `export` lines for a POSIX shell, values single-quoted.
    pub fn to_shell_exports(&self) -> String {
        format!(
            "export ALIBABA_CLOUD_ACCESS_KEY_ID={}\n\
             export ALIBABA_CLOUD_ACCESS_KEY_SECRET={}\n\
             export ALIBABA_CLOUD_SECURITY_TOKEN={}\n\
             # Expiration: {}\n",
            shell_quote(&self.access_key_id),
            shell_quote(&self.access_key_secret),
            shell_quote(&self.security_token),
            self.expiration_text(),
        )
    }

    /// Renders a `[default]` profile of the credentials INI format with `type = sts`, which the
    /// official SDKs and `akless --credentials-file` read.
    pub fn to_ini(&self) -> String {
        format!(
            "# Temporary credentials; they expire at {}.\n\
             [default]\n\
             enable = true\n\
             type = sts\n\
             access_key_id = {}\n\
             access_key_secret = {}\n\
             security_token = {}\n",
            self.expiration_text(),
            self.access_key_id,
            self.access_key_secret,
            self.security_token,
        )
    }
}

/// Quotes `value` for a POSIX shell: wrapped in single quotes, with each `'` written as `'\''`.
pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// The useful parts of an AssumeRoleWithOIDC response.
#[derive(Debug, Clone)]
pub struct AssumeRoleResponse {
    pub credentials: StsCredentials,
    /// The whole response body, secrets included, for `--output json`.
    pub body: Value,
}

/// Calls AssumeRoleWithOIDC on `endpoint` with `token` and returns the credentials.
pub async fn assume_role_with_oidc(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    request: &AssumeRoleRequest,
    token: &str,
    timeout: Duration,
) -> Result<AssumeRoleResponse, ClientError> {
    let timestamp = iso8601(OffsetDateTime::now_utc());
    let nonce = uuid::Uuid::new_v4().to_string();
    let query = [
        ("Action", "AssumeRoleWithOIDC"),
        ("Format", "JSON"),
        ("Version", STS_VERSION),
        ("Timestamp", timestamp.as_str()),
        ("SignatureNonce", nonce.as_str()),
    ];
    let duration = request.duration_seconds.map(|d| d.to_string());
    let mut form: Vec<(&str, &str)> = vec![
        ("RoleArn", &request.role_arn),
        ("OIDCProviderArn", &request.oidc_provider_arn),
        ("OIDCToken", token),
        ("RoleSessionName", &request.role_session_name),
    ];
    if let Some(duration) = &duration {
        form.push(("DurationSeconds", duration));
    }
    if let Some(policy) = &request.policy {
        form.push(("Policy", policy));
    }

    let transport = |error: reqwest::Error| {
        if error.is_timeout() {
            ClientError::Timeout {
                endpoint: endpoint.to_string(),
                secs: timeout.as_secs(),
            }
        } else {
            ClientError::Connection {
                endpoint: endpoint.to_string(),
                detail: error_chain(&error),
            }
        }
    };
    let mut response = http
        .post(endpoint.as_str())
        .query(&query)
        .header("accept", "application/json")
        .form(&form)
        .send()
        .await
        .map_err(transport)?;
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(ClientError::InvalidResponse {
                endpoint: endpoint.to_string(),
                status,
                detail: format!("the body exceeds {MAX_RESPONSE_BYTES} bytes"),
            });
        }
        body.extend_from_slice(&chunk);
    }
    let body = interpret_response(endpoint.as_str(), status, &body)?;
    let credentials = parse_credentials(&body).map_err(|detail| ClientError::InvalidResponse {
        endpoint: endpoint.to_string(),
        status,
        detail,
    })?;
    Ok(AssumeRoleResponse { credentials, body })
}

/// Reads `Credentials` of an STS response; the error names the missing or malformed field.
pub fn parse_credentials(body: &Value) -> Result<StsCredentials, String> {
    let credentials = &body["Credentials"];
    let field = |name: &str| {
        credentials[name]
            .as_str()
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| format!("the response has no Credentials.{name}"))
    };
    let expiration_text = field("Expiration")?;
    let expiration = parse_iso8601(&expiration_text).ok_or_else(|| {
        format!("Credentials.Expiration {expiration_text:?} is not YYYY-MM-DDTHH:MM:SSZ")
    })?;
    Ok(StsCredentials {
        access_key_id: field("AccessKeyId")?,
        access_key_secret: field("AccessKeySecret")?,
        security_token: field("SecurityToken")?,
        expiration,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn sample() -> StsCredentials {
        StsCredentials {
            access_key_id: "STS.abc123".into(),
            access_key_secret: "secret-value".into(),
            security_token: "AKLS1.key.token".into(),
            expiration: datetime!(2030-01-02 03:04:05 UTC),
        }
    }

    #[test]
    fn shell_exports_quoted() {
        assert_eq!(
            sample().to_shell_exports(),
            "export ALIBABA_CLOUD_ACCESS_KEY_ID='STS.abc123'\n\
             export ALIBABA_CLOUD_ACCESS_KEY_SECRET='secret-value'\n\
             export ALIBABA_CLOUD_SECURITY_TOKEN='AKLS1.key.token'\n\
             # Expiration: 2030-01-02T03:04:05Z\n"
        );
    }

    #[test]
    fn shell_quote_escapes_single_quote() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
        assert_eq!(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
    }

    #[test]
    fn ini_reads_back_as_sts_credentials() {
        let text = sample().to_ini();
        assert!(text.contains("type = sts\n"), "{text}");
        let parsed = crate::credentials::parse_file(std::path::Path::new("x.ini"), &text)
            .expect("the CLI reads its own INI output");
        assert_eq!(parsed.access_key_id(), "STS.abc123");
        assert_eq!(parsed.access_key_secret(), "secret-value");
        assert_eq!(parsed.security_token(), Some("AKLS1.key.token"));
    }

    #[test]
    fn json_has_exact_expiration_format() {
        let value = sample().to_json();
        assert_eq!(value["Expiration"], "2030-01-02T03:04:05Z");
        assert_eq!(value["AccessKeyId"], "STS.abc123");
        assert_eq!(value["SecurityToken"], "AKLS1.key.token");
    }

    #[test]
    fn debug_hides_secrets() {
        let text = format!("{:?}", sample());
        assert!(text.contains("STS.abc123"), "{text}");
        assert!(!text.contains("secret-value"), "{text}");
        assert!(!text.contains("AKLS1.key.token"), "{text}");
    }

    #[test]
    fn parse_credentials_requires_every_field() {
        let body = json!({"Credentials": {"AccessKeyId": "STS.a", "AccessKeySecret": "s",
            "SecurityToken": "t", "Expiration": "2030-01-02T03:04:05Z"}});
        assert_eq!(
            parse_credentials(&body).expect("parses").access_key_id,
            "STS.a"
        );

        let mut missing = body.clone();
        missing["Credentials"]["SecurityToken"] = Value::Null;
        let error = parse_credentials(&missing).expect_err("no token");
        assert!(error.contains("Credentials.SecurityToken"), "{error}");

        let mut fractional = body;
        fractional["Credentials"]["Expiration"] = json!("2030-01-02T03:04:05.000Z");
        let error = parse_credentials(&fractional).expect_err("fractional seconds");
        assert!(error.contains("YYYY-MM-DDTHH:MM:SSZ"), "{error}");
    }

    #[test]
    fn validate_rejects_bad_session_name() {
        let mut request = AssumeRoleRequest {
            role_arn: "acs:ram::1:role/app".into(),
            oidc_provider_arn: "acs:ram::1:oidc-provider/idp".into(),
            role_session_name: "a b".into(),
            duration_seconds: None,
            policy: None,
        };
        let error = request.validate().expect_err("space not allowed");
        assert!(
            error
                .to_string()
                .contains("InvalidParameter.RoleSessionName"),
            "{error}"
        );

        request.role_session_name = "ok-session".into();
        request.duration_seconds = Some(300);
        let error = request.validate().expect_err("too short");
        assert!(
            error
                .to_string()
                .contains("InvalidParameter.DurationSeconds"),
            "{error}"
        );

        request.duration_seconds = Some(900);
        request.role_arn = "app".into();
        let error = request.validate().expect_err("not an ARN");
        assert!(error.to_string().contains("--role-arn"), "{error}");
    }
}
