//! The `akless` command: runs the server and administers it over the OpenAPI.
#![forbid(unsafe_code)]

mod admin;
mod agent;
mod audit;
mod client;
mod credentials;
mod oauth;
mod output;
mod quickstart;
mod secret;
mod secure_file;
mod serve;
mod signal;
mod sts;
mod tools;

use clap::{Parser, Subcommand};

/// akless: a self-hostable RAM and STS that exchanges OIDC tokens for
/// short-lived, role-scoped credentials, speaking the Alibaba Cloud OpenAPI.
#[derive(Parser)]
#[command(name = "akless", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole AK-free chain once on an embedded server and print the values for the official SDKs.
    Quickstart(quickstart::QuickstartArgs),
    /// Run the server (HTTPS on 127.0.0.1:8443 by default).
    Serve(serve::ServeArgs),
    /// Manage OIDC identity providers (IMS 2019-08-15).
    OidcProvider(admin::oidc_provider::OidcProviderArgs),
    /// Manage RAM roles and their attached policies.
    Role(admin::role::RoleArgs),
    /// Manage custom permission policies.
    Policy(admin::policy::PolicyArgs),
    /// Show the identity behind the credentials (STS GetCallerIdentity).
    Whoami(admin::caller::WhoamiArgs),
    /// Print audit records from the server's data directory, newest first.
    Audit(audit::AuditArgs),
    /// Print the SHA-1 fingerprint to register for an OIDC issuer, with the certificate chain.
    Fingerprint(tools::fingerprint::FingerprintArgs),
    /// Get an M2M access token from an issuer (OAuth 2.0 client credentials).
    Token(tools::token::TokenArgs),
    /// Exchange an OIDC token for temporary credentials (STS AssumeRoleWithOIDC).
    AssumeRoleWithOidc(tools::exchange::ExchangeArgs),
    /// Keep an M2M token fresh in a file and serve temporary credentials on a loopback URL.
    Agent(agent::AgentArgs),
    /// Manage the token issuer's resource servers (APIs with an audience and permissions).
    ResourceServer(admin::issuer_resource_server::ResourceServerArgs),
    /// Manage the token issuer's clients and their secrets.
    Client(admin::issuer_client::ClientArgs),
    /// Manage which permissions of a resource server a client may receive.
    Grant(admin::issuer_grant::GrantArgs),
    /// Rotate and list the token issuer's signing keys.
    SigningKey(admin::issuer_signing_key::SigningKeyArgs),
    /// Show the token issuer's URLs (issuer, discovery, JWKS, token endpoint).
    Issuer(admin::issuer_signing_key::IssuerArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // The server and the agent log their lifecycle; client commands print only warnings so their
    // output stays clean.
    let long_running = matches!(cli.command, Command::Serve(_) | Command::Agent(_));
    let default_level = if long_running { "info" } else { "warn" };
    init_tracing(default_level);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Quickstart(args) => admin::finish(quickstart::run(args).await),
            Command::OidcProvider(args) => admin::finish(admin::oidc_provider::run(args).await),
            Command::Role(args) => admin::finish(admin::role::run(args).await),
            Command::Policy(args) => admin::finish(admin::policy::run(args).await),
            Command::Whoami(args) => admin::finish(admin::caller::run(args).await),
            Command::Audit(args) => admin::finish(audit::run(args).await),
            Command::Fingerprint(args) => admin::finish(tools::fingerprint::run(args).await),
            Command::Token(args) => admin::finish(tools::token::run(args).await),
            Command::AssumeRoleWithOidc(args) => {
                admin::finish(tools::exchange::run(args).await)
            }
            Command::Agent(args) => admin::finish(agent::run(args).await),
            Command::ResourceServer(args) => {
                admin::finish(admin::issuer_resource_server::run(args).await)
            }
            Command::Client(args) => admin::finish(admin::issuer_client::run(args).await),
            Command::Grant(args) => admin::finish(admin::issuer_grant::run(args).await),
            Command::SigningKey(args) => {
                admin::finish(admin::issuer_signing_key::run(args).await)
            }
            Command::Issuer(args) => {
                admin::finish(admin::issuer_signing_key::run_issuer(args).await)
            }
        }
    })
}

/// Logs to standard error; `RUST_LOG` overrides `default_level`, and `AKLESS_LOG_FORMAT=json` switches to JSON lines.
fn init_tracing(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    // Colour codes only on a terminal, so logs redirected to a file or a pipe stay plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    if std::env::var("AKLESS_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
