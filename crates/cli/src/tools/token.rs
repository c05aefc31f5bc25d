//! `akless token`: gets an M2M access token with the OAuth 2.0 client credentials grant.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use url::Url;

use crate::admin::ca_file_or_default;
use crate::client::http_client;
use crate::oauth::{self, AccessToken, AuthMethod, ClientCredentials};
use crate::output::{emit, render_json};
use crate::secret::ClientSecretArgs;
use crate::secure_file;

/// Issuer and client settings of the token requests, shared by `akless token` and `akless agent`.
#[derive(Args, Debug, Clone)]
pub struct IssuerArgs {
    /// Issuer URL (the tokens' `iss`), e.g. https://127.0.0.1:8443/api/v2/iauths_system/oauth2.
    /// The token endpoint is read from URL/.well-known/openid-configuration.
    #[arg(long, env = "AKLESS_ISSUER", value_name = "URL")]
    pub issuer: Option<String>,

    /// Token endpoint URL; skips discovery. https, or http on a loopback address.
    #[arg(long, value_name = "URL")]
    pub token_endpoint: Option<String>,

    #[command(flatten)]
    pub client: ClientSecretArgs,

    /// Scope to request, `<resource server identifier>|<scope>`; repeat the flag or separate scopes
    /// with spaces. `<identifier>|.all` requests every scope granted to the client.
    #[arg(long, value_name = "SCOPE")]
    pub scope: Vec<String>,

    /// Client authentication method at the token endpoint.
    #[arg(long, value_enum, default_value_t = AuthMethod::ClientSecretBasic)]
    pub auth_method: AuthMethod,
}

impl IssuerArgs {
    /// Loads the client secret and returns the grant settings.
    pub fn credentials(&self) -> anyhow::Result<ClientCredentials> {
        let client_id = match &self.client.client_id {
            Some(id) if !id.trim().is_empty() => id.clone(),
            _ => anyhow::bail!("no client ID: pass --client-id or set AKLESS_CLIENT_ID"),
        };
        Ok(ClientCredentials {
            client_id,
            client_secret: self.client.secret()?,
            auth_method: self.auth_method,
            scopes: split_scopes(&self.scope),
        })
    }

    /// Returns the token endpoint: `--token-endpoint`, or the one the issuer's discovery document names.
    pub async fn token_endpoint(&self, http: &reqwest::Client) -> anyhow::Result<Url> {
        if let Some(endpoint) = &self.token_endpoint {
            return Ok(oauth::check_url("--token-endpoint", endpoint)?);
        }
        let Some(issuer) = &self.issuer else {
            anyhow::bail!("pass --issuer URL or --token-endpoint URL");
        };
        Ok(oauth::discover(http, issuer).await?.token_endpoint)
    }
}

/// Splits every `--scope` value at whitespace and drops duplicates, keeping the first order.
pub fn split_scopes(values: &[String]) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in values.iter().flat_map(|v| v.split_whitespace()) {
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    scopes
}

/// Output format of `akless token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TokenFormat {
    /// The access token alone, on one line.
    Token,
    /// The whole token response as JSON.
    Json,
}

/// Get an access token from an issuer with the client credentials grant.
#[derive(Args, Debug)]
pub struct TokenArgs {
    #[command(flatten)]
    pub issuer: IssuerArgs,

    /// PEM file of extra CA certificates trusted for the issuer; the system roots stay trusted.
    /// Default: ./akless-data/tls/ca.pem when that file exists.
    #[arg(long, env = "AKLESS_CA_FILE", value_name = "PEM")]
    pub ca_file: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = TokenFormat::Token)]
    pub output: TokenFormat,

    /// Write the token (without a trailing newline) to this file, replaced atomically with mode 0600,
    /// instead of printing it.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Time limit for connecting and for each request, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

/// Runs `akless token`.
pub async fn run(args: TokenArgs) -> anyhow::Result<()> {
    let credentials = args.issuer.credentials()?;
    let http = http_client(
        ca_file_or_default(args.ca_file.clone()).as_deref(),
        Duration::from_secs(args.timeout),
    )?;
    let endpoint = args.issuer.token_endpoint(&http).await?;
    let token = oauth::request_token(&http, &endpoint, &credentials).await?;
    match &args.out {
        Some(path) => {
            let content = match args.output {
                TokenFormat::Token => token.access_token.expose().to_owned(),
                TokenFormat::Json => render_json(&token.body),
            };
            secure_file::write_private_atomic(path, content.as_bytes())?;
            eprintln!(
                "Wrote the token to {}; it expires in {} s.",
                path.display(),
                token.expires_in
            );
        }
        None => emit(&render(&token, args.output)),
    }
    Ok(())
}

/// Renders a token in `format`, with a trailing newline.
pub fn render(token: &AccessToken, format: TokenFormat) -> String {
    match format {
        TokenFormat::Token => format!("{}\n", token.access_token.expose()),
        TokenFormat::Json => render_json(&token.body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: TokenArgs,
    }

    fn parse(argv: &[&str]) -> Result<TokenArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("akless").chain(argv.iter().copied())).map(|c| c.args)
    }

    #[test]
    fn scopes_split_and_deduplicated() {
        let values = vec![
            "api|read api|write".to_owned(),
            "api|read".to_owned(),
            "other|.all".to_owned(),
        ];
        assert_eq!(
            split_scopes(&values),
            vec!["api|read", "api|write", "other|.all"]
        );
    }

    #[test]
    fn secret_file_and_auth_method_parse() {
        let dir = tempfile::tempdir().expect("temp dir");
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "s3cr3t\n").expect("write");
        let args = parse(&[
            "--token-endpoint",
            "https://issuer.example/token",
            "--client-id",
            "app",
            "--client-secret-file",
            secret.to_str().expect("utf8 path"),
            "--auth-method",
            "client_secret_post",
            "--scope",
            "api|read",
            "--output",
            "json",
        ])
        .expect("parses");
        let credentials = args.issuer.credentials().expect("loads");
        assert_eq!(credentials.client_secret.expose(), "s3cr3t");
        assert_eq!(credentials.auth_method, AuthMethod::ClientSecretPost);
        assert_eq!(credentials.scopes, vec!["api|read"]);
        assert_eq!(args.output, TokenFormat::Json);
    }

    #[tokio::test]
    async fn issuer_or_endpoint_required() {
        let args = parse(&["--client-id", "app"]).expect("parses");
        let http = http_client(None, Duration::from_secs(1)).expect("client");
        let error = args
            .issuer
            .token_endpoint(&http)
            .await
            .expect_err("no issuer");
        assert!(error.to_string().contains("--issuer"), "{error}");
    }

    #[test]
    fn client_id_required() {
        let args = parse(&["--issuer", "https://issuer.example"]).expect("parses");
        let error = args.issuer.credentials().expect_err("no client ID");
        assert!(error.to_string().contains("AKLESS_CLIENT_ID"), "{error}");
    }

    #[test]
    fn token_format_prints_token_line() {
        let body = br#"{"access_token":"eyJ.x.y","expires_in":60}"#;
        let token =
            oauth::parse_token_response("https://i", 200, body, time::OffsetDateTime::now_utc())
                .expect("parses");
        assert_eq!(render(&token, TokenFormat::Token), "eyJ.x.y\n");
        assert!(render(&token, TokenFormat::Json).contains("\"expires_in\": 60"));
    }
}
