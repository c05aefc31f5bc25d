//! `akless agent`: a sidecar that keeps a workload supplied without any long-lived secret in the
//! workload itself.
//!
//! - With `--issuer` and `--token-file`, it keeps an M2M access token fresh in a file, for the official
//!   SDKs' OIDC provider (`ALIBABA_CLOUD_OIDC_TOKEN_FILE`).
//! - With `--credentials-listen`, it exchanges a token (its own, or the one in `--token-file`) for
//!   temporary credentials and serves them on a loopback URL for `ALIBABA_CLOUD_CREDENTIALS_URI`.
//!
//! It logs `token file: PATH` and `credentials URI: URL` once each part is ready, and stops cleanly on
//! SIGTERM or Ctrl-C.

mod backoff;
mod credentials;
mod credentials_server;
mod token_file;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use tokio::sync::watch;

use crate::admin::ca_file_or_default;
use crate::client::{http_client, Endpoint};
use crate::oauth;
use crate::tools::exchange::RoleArgs;
use crate::tools::token::IssuerArgs;

use backoff::Backoff;
use credentials_server::{CredentialsCache, DEFAULT_PATH};

use credentials::{CredentialsKeeper, TokenSource};
use token_file::{TokenEndpoint, TokenKeeper};

/// Heading of the options that configure the credentials endpoint.
const CREDENTIALS_HEADING: &str = "Credentials endpoint (ALIBABA_CLOUD_CREDENTIALS_URI)";
/// Heading of the options that configure the token issuer.
const ISSUER_HEADING: &str = "Token issuer";
/// Heading of the token file option.
const TOKEN_FILE_HEADING: &str = "Token file (ALIBABA_CLOUD_OIDC_TOKEN_FILE)";
/// Heading of the options that apply to every request.
const CONNECTION_HEADING: &str = "Connection and retries";

/// Keep an M2M token fresh in a file and/or serve temporary credentials on a loopback URL.
#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  # Token file for ALIBABA_CLOUD_OIDC_TOKEN_FILE:
  akless agent --issuer https://127.0.0.1:8443/api/v2/iauths_system/oauth2 --client-id akc... \\
      --client-secret-file secret.txt --scope 'sts.aliyuncs.com|.all' --token-file /run/akless/token

  # Credentials for ALIBABA_CLOUD_CREDENTIALS_URI, from the agent's own token:
  akless agent --issuer ... --client-id ... --client-secret-file ... --scope ... \\
      --credentials-listen 127.0.0.1:8900 --role-arn acs:ram::<account>:role/app \\
      --oidc-provider-arn acs:ram::<account>:oidc-provider/akless --sts-endpoint https://127.0.0.1:8443")]
pub struct AgentArgs {
    #[command(flatten, next_help_heading = ISSUER_HEADING)]
    pub issuer: IssuerArgs,

    /// File to keep the access token in (replaced atomically, mode 0600, no trailing newline). Without
    /// --issuer, the agent reads the token to exchange from this file instead, as the SDKs do.
    #[arg(long, value_name = "PATH", help_heading = TOKEN_FILE_HEADING)]
    pub token_file: Option<PathBuf>,

    /// Loopback address and port for the credentials endpoint, e.g. 127.0.0.1:0 for a free port.
    #[arg(long, value_name = "ADDR", help_heading = CREDENTIALS_HEADING)]
    pub credentials_listen: Option<SocketAddr>,

    /// URL path of the credentials endpoint.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_PATH, help_heading = CREDENTIALS_HEADING)]
    pub credentials_path: String,

    #[command(flatten, next_help_heading = CREDENTIALS_HEADING)]
    pub role: RoleArgs,

    /// Base URL of the STS endpoint that exchanges the token: scheme, host and port, path /.
    #[arg(long, env = "AKLESS_ENDPOINT", value_name = "URL", default_value = "https://127.0.0.1:8443", help_heading = CREDENTIALS_HEADING)]
    pub sts_endpoint: String,

    /// PEM file of extra CA certificates trusted for the issuer and the STS endpoint; the system roots
    /// stay trusted. Default: ./akless-data/tls/ca.pem when that file exists.
    #[arg(long, env = "AKLESS_CA_FILE", value_name = "PEM", help_heading = CONNECTION_HEADING)]
    pub ca_file: Option<PathBuf>,

    /// Time limit for connecting and for each request, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300), help_heading = CONNECTION_HEADING)]
    pub timeout: u64,

    /// Maximum wait between two retries after failures, in seconds; the first retry comes after about 1 s.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600), help_heading = CONNECTION_HEADING)]
    pub max_retry_delay: u64,
}

/// Work plan of one agent process, checked and resolved from its flags.
struct Plan {
    http: reqwest::Client,
    backoff: Backoff,
    token: Option<TokenKeeperPlan>,
    credentials: Option<CredentialsPlan>,
}

struct TokenKeeperPlan {
    endpoint: TokenEndpoint,
    credentials: oauth::ClientCredentials,
    file: Option<PathBuf>,
}

struct CredentialsPlan {
    listen: SocketAddr,
    path: String,
    endpoint: Endpoint,
    request: crate::sts::AssumeRoleRequest,
    token_file: Option<PathBuf>,
}

impl AgentArgs {
    fn plan(&self) -> anyhow::Result<Plan> {
        let uses_issuer = self.issuer.issuer.is_some() || self.issuer.token_endpoint.is_some();
        if self.token_file.is_none() && self.credentials_listen.is_none() {
            anyhow::bail!("nothing to do: pass --token-file PATH, --credentials-listen 127.0.0.1:PORT, or both");
        }
        if !uses_issuer && self.credentials_listen.is_none() {
            anyhow::bail!("--token-file without --issuer only feeds --credentials-listen; pass --issuer URL to keep a token in the file");
        }

        let timeout = Duration::from_secs(self.timeout);
        let http = http_client(ca_file_or_default(self.ca_file.clone()).as_deref(), timeout)?;
        let endpoint = match (&self.issuer.token_endpoint, &self.issuer.issuer) {
            (Some(url), _) => Some(TokenEndpoint::Fixed(oauth::check_url(
                "--token-endpoint",
                url,
            )?)),
            (None, Some(issuer)) => {
                oauth::discovery_url(issuer)?;
                Some(TokenEndpoint::Discover {
                    issuer: issuer.clone(),
                })
            }
            (None, None) => None,
        };
        let token = match endpoint {
            Some(endpoint) => Some(TokenKeeperPlan {
                endpoint,
                credentials: self.issuer.credentials()?,
                file: self.token_file.clone(),
            }),
            None => None,
        };

        let credentials = match self.credentials_listen {
            Some(listen) => {
                credentials_server::check_path(&self.credentials_path)?;
                if !listen.ip().is_loopback() {
                    return Err(credentials_server::ServerError::NotLoopback(listen).into());
                }
                let request = self.role.to_request()?;
                if let Some(seconds) = request.duration_seconds {
                    if u64::from(seconds) < 1800 {
                        tracing::warn!(
                            duration_seconds = seconds,
                            "sessions shorter than 1800 s leave less than 15 minutes after each renewal, so SDK clients will ask the agent on every use"
                        );
                    }
                }
                Some(CredentialsPlan {
                    listen,
                    path: self.credentials_path.clone(),
                    endpoint: Endpoint::parse(&self.sts_endpoint)?,
                    request,
                    token_file: if uses_issuer {
                        None
                    } else {
                        self.token_file.clone()
                    },
                })
            }
            None => None,
        };
        Ok(Plan {
            http,
            backoff: Backoff {
                initial: Duration::from_secs(1),
                max: Duration::from_secs(self.max_retry_delay),
            },
            token,
            credentials,
        })
    }
}

/// Runs `akless agent` until SIGTERM or Ctrl-C.
pub async fn run(args: AgentArgs) -> anyhow::Result<()> {
    run_until(args, crate::signal::shutdown_signal()).await
}

/// Runs the agent until `stop` completes, then shuts every part down and waits for it.
pub async fn run_until(
    args: AgentArgs,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let plan = args.plan()?;
    let (shutdown_tx, shutdown) = watch::channel(false);
    let (token_tx, token_rx) = watch::channel(None);
    let mut tasks = tokio::task::JoinSet::new();

    // The endpoint binds first, so a taken port fails the start instead of a later step.
    let mut server = None;
    if let Some(credentials) = &plan.credentials {
        let cache = CredentialsCache::default();
        let endpoint = credentials_server::start(
            credentials.listen,
            &credentials.path,
            cache.clone(),
            shutdown.clone(),
        )
        .await?;
        tracing::info!(address = %endpoint.local_addr, "credentials endpoint listening");
        let uri = endpoint.uri();
        let source = match &credentials.token_file {
            Some(path) => TokenSource::File(path.clone()),
            None => TokenSource::Issuer(token_rx.clone()),
        };
        let keeper = CredentialsKeeper {
            http: plan.http.clone(),
            endpoint: credentials.endpoint.clone(),
            request: credentials.request.clone(),
            source,
            cache,
            backoff: plan.backoff,
            timeout: Duration::from_secs(args.timeout),
        };
        let announce = move || tracing::info!("credentials URI: {uri}");
        tasks.spawn(keeper.run(shutdown.clone(), announce));
        server = Some(endpoint);
    }
    if let Some(token) = plan.token {
        let keeper = TokenKeeper {
            http: plan.http.clone(),
            endpoint: token.endpoint,
            credentials: token.credentials,
            file: token.file,
            backoff: plan.backoff,
            publish: token_tx,
        };
        tasks.spawn(keeper.run(shutdown.clone()));
    } else {
        drop(token_tx);
    }
    drop(token_rx);
    tracing::info!("agent started");

    stop.await;
    tracing::info!("shutdown requested");
    shutdown_tx.send_replace(true);
    while let Some(result) = tasks.join_next().await {
        if let Err(error) = result {
            tracing::error!(%error, "an agent task failed");
        }
    }
    if let Some(endpoint) = server {
        if let Err(error) = endpoint.task.await {
            tracing::error!(%error, "the credentials endpoint task failed");
        }
    }
    tracing::info!("agent stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: AgentArgs,
    }

    fn parse(argv: &[&str]) -> AgentArgs {
        Cli::try_parse_from(std::iter::once("akless").chain(argv.iter().copied()))
            .expect("parses")
            .args
    }

    fn plan_error(argv: &[&str]) -> String {
        match parse(argv).plan() {
            Ok(_) => panic!("{argv:?} must be rejected"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn nothing_to_do_rejected() {
        let text = plan_error(&["--issuer", "https://issuer.example"]);
        assert!(text.contains("--token-file"), "{text}");
        assert!(text.contains("--credentials-listen"), "{text}");
    }

    #[test]
    fn token_file_alone_needs_issuer() {
        let text = plan_error(&["--token-file", "/tmp/token"]);
        assert!(text.contains("--issuer"), "{text}");
    }

    #[test]
    fn credentials_need_role() {
        let text = plan_error(&[
            "--token-file",
            "/tmp/token",
            "--credentials-listen",
            "127.0.0.1:0",
        ]);
        assert!(text.contains("--role-arn"), "{text}");
    }

    #[test]
    fn non_loopback_listen_rejected() {
        let text = plan_error(&[
            "--token-file",
            "/tmp/token",
            "--credentials-listen",
            "0.0.0.0:8900",
            "--role-arn",
            "acs:ram::1:role/app",
            "--oidc-provider-arn",
            "acs:ram::1:oidc-provider/idp",
        ]);
        assert!(text.contains("not a loopback address"), "{text}");
    }

    #[test]
    fn issuer_needs_client_id() {
        let text = plan_error(&[
            "--issuer",
            "https://issuer.example",
            "--token-file",
            "/tmp/t",
        ]);
        assert!(text.contains("--client-id"), "{text}");
    }

    #[test]
    fn full_plan_reads_file_token_source() {
        let plan = parse(&[
            "--token-file",
            "/var/run/token",
            "--credentials-listen",
            "127.0.0.1:0",
            "--role-arn",
            "acs:ram::1:role/app",
            "--oidc-provider-arn",
            "acs:ram::1:oidc-provider/idp",
            "--sts-endpoint",
            "https://127.0.0.1:9443",
            "--max-retry-delay",
            "5",
        ])
        .plan()
        .expect("valid plan");
        assert!(plan.token.is_none());
        let credentials = plan.credentials.expect("credentials part");
        assert_eq!(
            credentials.token_file,
            Some(PathBuf::from("/var/run/token"))
        );
        assert_eq!(credentials.path, DEFAULT_PATH);
        assert_eq!(plan.backoff.max, Duration::from_secs(5));
    }
}
