//! `akless assume-role-with-oidc`: exchanges an OIDC token for temporary credentials.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::admin::{ca_file_or_default, read_document};
use crate::client::{http_client, Endpoint};
use crate::output::{emit, render_json};
use crate::secure_file;
use crate::sts::{assume_role_with_oidc, AssumeRoleRequest, AssumeRoleResponse};

/// Largest token file read, in bytes; STS accepts tokens of at most 20,000 characters.
pub const MAX_TOKEN_BYTES: u64 = 64 * 1024;

/// Output format of `assume-role-with-oidc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CredentialsFormat {
    /// The whole STS response as JSON.
    Json,
    /// `export ALIBABA_CLOUD_ACCESS_KEY_ID=…` lines (and the secret and security token) for `eval`.
    Env,
    /// A `[default]` profile with `type = sts`, the format of ALIBABA_CLOUD_CREDENTIALS_FILE.
    Ini,
}

/// Parameters of AssumeRoleWithOIDC; the environment variables are those of the official credential SDKs.
#[derive(Args, Debug, Clone)]
pub struct RoleArgs {
    /// ARN of the role to assume: acs:ram::<account>:role/<name>; required for the exchange.
    #[arg(long, env = "ALIBABA_CLOUD_ROLE_ARN", value_name = "ARN")]
    pub role_arn: Option<String>,

    /// ARN of the OIDC provider that issued the token: acs:ram::<account>:oidc-provider/<name>; required for the exchange.
    #[arg(long, env = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", value_name = "ARN")]
    pub oidc_provider_arn: Option<String>,

    /// Session name: 2 to 64 letters, digits, '.', '@', '_' and '-'. Default: akless-<unix time>.
    #[arg(long, env = "ALIBABA_CLOUD_ROLE_SESSION_NAME", value_name = "NAME")]
    pub role_session_name: Option<String>,

    /// Session lifetime in seconds, 900 up to the role's MaxSessionDuration. Default on the server: 3600.
    #[arg(long, value_name = "SECS")]
    pub duration_seconds: Option<u32>,

    /// File with a session policy (JSON, at most 2048 characters) that narrows the role's permissions.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

impl RoleArgs {
    /// Reads the policy file and checks every parameter with the server's rules.
    pub fn to_request(&self) -> anyhow::Result<AssumeRoleRequest> {
        let policy = match &self.policy {
            Some(path) => Some(read_document(path)?),
            None => None,
        };
        let Some(role_arn) = self.role_arn.clone() else {
            anyhow::bail!("pass --role-arn or set ALIBABA_CLOUD_ROLE_ARN");
        };
        let Some(oidc_provider_arn) = self.oidc_provider_arn.clone() else {
            anyhow::bail!("pass --oidc-provider-arn or set ALIBABA_CLOUD_OIDC_PROVIDER_ARN");
        };
        let request = AssumeRoleRequest {
            role_arn,
            oidc_provider_arn,
            role_session_name: self
                .role_session_name
                .clone()
                .unwrap_or_else(default_session_name),
            duration_seconds: self.duration_seconds,
            policy,
        };
        request.validate()?;
        Ok(request)
    }
}

/// Returns `akless-<unix seconds>`, like the `credentials-python-<unix>` default of the Python SDK.
pub fn default_session_name() -> String {
    format!(
        "akless-{}",
        time::OffsetDateTime::now_utc().unix_timestamp()
    )
}

/// Exchange an OIDC token for temporary credentials (STS AssumeRoleWithOIDC).
#[derive(Args, Debug)]
pub struct ExchangeArgs {
    #[command(flatten)]
    pub role: RoleArgs,

    /// File with the OIDC token (a JWT; surrounding whitespace is removed); '-' reads standard input.
    #[arg(
        long,
        env = "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
        value_name = "FILE",
        default_value = "-"
    )]
    pub token_file: PathBuf,

    /// Base URL of the STS endpoint: scheme, host and port, path /.
    #[arg(
        long,
        env = "AKLESS_ENDPOINT",
        value_name = "URL",
        default_value = "https://127.0.0.1:8443"
    )]
    pub endpoint: String,

    /// PEM file of extra CA certificates trusted for the endpoint; the system roots stay trusted.
    /// Default: ./akless-data/tls/ca.pem when that file exists.
    #[arg(long, env = "AKLESS_CA_FILE", value_name = "PEM")]
    pub ca_file: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = CredentialsFormat::Json)]
    pub output: CredentialsFormat,

    /// Write the output to this file (replaced atomically, mode 0600) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Time limit for connecting and for the whole request, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

/// Runs `akless assume-role-with-oidc`.
pub async fn run(args: ExchangeArgs) -> anyhow::Result<()> {
    if args.token_file == std::path::Path::new("-")
        && args.role.policy.as_deref() == Some(std::path::Path::new("-"))
    {
        anyhow::bail!("the token and the policy cannot both come from standard input; pass --token-file FILE or --policy FILE");
    }
    let request = args.role.to_request()?;
    let endpoint = Endpoint::parse(&args.endpoint)?;
    let token = secure_file::read_trimmed(&args.token_file, "the OIDC token", MAX_TOKEN_BYTES)?;
    akless_core::validate::oidc_token(&token).map_err(|e| {
        anyhow::anyhow!(
            "{}: {} (token file {})",
            e.code,
            e.message,
            args.token_file.display()
        )
    })?;

    let timeout = Duration::from_secs(args.timeout);
    let http = http_client(ca_file_or_default(args.ca_file.clone()).as_deref(), timeout)?;
    let response = assume_role_with_oidc(&http, &endpoint, &request, &token, timeout).await?;
    let text = render(&response, args.output);
    match &args.out {
        Some(path) => {
            secure_file::write_private_atomic(path, text.as_bytes())?;
            eprintln!(
                "Wrote credentials for {} to {}; they expire at {}.",
                response.credentials.access_key_id,
                path.display(),
                response.credentials.expiration_text()
            );
        }
        None => emit(&text),
    }
    Ok(())
}

/// Renders an AssumeRoleWithOIDC response in `format`.
pub fn render(response: &AssumeRoleResponse, format: CredentialsFormat) -> String {
    match format {
        CredentialsFormat::Json => render_json(&response.body),
        CredentialsFormat::Env => response.credentials.to_shell_exports(),
        CredentialsFormat::Ini => response.credentials.to_ini(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ExchangeArgs,
    }

    #[test]
    fn flags_parse_into_request() {
        let cli = Cli::try_parse_from([
            "akless",
            "--role-arn",
            "acs:ram::123:role/app",
            "--oidc-provider-arn",
            "acs:ram::123:oidc-provider/idp",
            "--role-session-name",
            "job-7",
            "--duration-seconds",
            "1800",
            "--output",
            "env",
        ])
        .expect("parses");
        assert_eq!(cli.args.output, CredentialsFormat::Env);
        let request = cli.args.role.to_request().expect("valid");
        assert_eq!(request.role_session_name, "job-7");
        assert_eq!(request.duration_seconds, Some(1800));
        assert_eq!(request.policy, None);
    }

    #[test]
    fn missing_role_arn_names_flag_and_variable() {
        let args = RoleArgs {
            role_arn: None,
            oidc_provider_arn: Some("acs:ram::1:oidc-provider/p".into()),
            role_session_name: None,
            duration_seconds: None,
            policy: None,
        };
        let error = args.to_request().expect_err("role ARN missing");
        assert!(error.to_string().contains("--role-arn"), "{error}");
        assert!(
            error.to_string().contains("ALIBABA_CLOUD_ROLE_ARN"),
            "{error}"
        );
    }

    #[test]
    fn default_session_name_is_valid() {
        let name = default_session_name();
        assert!(name.starts_with("akless-"), "{name}");
        akless_core::validate::role_session_name(&name).expect("valid session name");
    }
}
