//! The `akless` command: runs the server and administers it over the OpenAPI.
#![forbid(unsafe_code)]

mod admin;
mod audit;
mod client;
mod credentials;
mod output;
mod serve;

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
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // The server logs its lifecycle; client commands print only warnings so their output stays clean.
    let default_level = if matches!(cli.command, Command::Serve(_)) { "info" } else { "warn" };
    init_tracing(default_level);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::OidcProvider(args) => admin::finish(admin::oidc_provider::run(args).await),
            Command::Role(args) => admin::finish(admin::role::run(args).await),
            Command::Policy(args) => admin::finish(admin::policy::run(args).await),
            Command::Whoami(args) => admin::finish(admin::caller::run(args).await),
            Command::Audit(args) => admin::finish(audit::run(args).await),
        }
    })
}

/// Logs to standard error; `RUST_LOG` overrides `default_level`, and `AKLESS_LOG_FORMAT=json` switches to JSON lines.
fn init_tracing(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if std::env::var("AKLESS_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
