//! `akless quickstart`: runs the whole AK-free chain once and prints the values to use with an official SDK.
//!
//! Without `--endpoint` it starts an embedded server on a temporary data directory, so it works on a
//! fresh machine with nothing but the binary. Every object it creates gets a random suffix, so it can
//! run again against the same server.

mod report;
mod steps;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use akless_server::{Server, ServerConfig, TlsMode};
use anyhow::Context;
use clap::Args;

use crate::admin::ca_file_or_default;
use crate::client::{Client, ClientOptions, Endpoint};
use crate::credentials::{self, Credentials};
use crate::output::OutputFormat;

use report::Report;

/// Run the whole chain once: issuer client, OIDC provider, role, token, AssumeRoleWithOIDC, GetCallerIdentity.
#[derive(Args, Debug)]
#[command(after_help = "\
Without --endpoint, the command starts an embedded server on a temporary data directory and stops it at the
end (or keeps it running with --keep-running). With --endpoint, it uses a running akless server and its root
credentials; that server must run with --allow-private-issuers when its own URL is on a loopback or private
address, because the chain makes it fetch its own issuer's keys.")]
pub struct QuickstartArgs {
    /// Use a running akless server at this URL instead of an embedded one.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,

    /// Root credentials of the server given with --endpoint (INI file).
    #[arg(
        long,
        value_name = "PATH",
        default_value = "./akless-data/root-credentials",
        requires = "endpoint"
    )]
    pub credentials_file: PathBuf,

    /// PEM file of extra CA certificates trusted for --endpoint. Default: ./akless-data/tls/ca.pem when that file exists.
    #[arg(long, value_name = "PEM", requires = "endpoint")]
    pub ca_file: Option<PathBuf>,

    /// Data directory of the embedded server; kept after the run. Default: a temporary directory, removed at exit.
    #[arg(long, value_name = "DIR", conflicts_with = "endpoint")]
    pub data_dir: Option<PathBuf>,

    /// Listen address of the embedded server; port 0 picks a free port.
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:0",
        conflicts_with = "endpoint"
    )]
    pub listen: SocketAddr,

    /// Keep the embedded server running after the chain, until Ctrl-C or SIGTERM, so the printed values can be tried.
    #[arg(long, conflicts_with = "endpoint")]
    pub keep_running: bool,

    /// Folder for the client secret and the token files. Default: the data directory, or a new temporary
    /// folder (kept) with --endpoint.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,

    /// Output format: progress text, or one JSON object with every value at the end.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,

    /// Time limit for each request, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout: u64,
}

/// The server the chain runs against, and how to reach it.
pub struct Target {
    pub endpoint: Endpoint,
    pub ca_file: Option<PathBuf>,
    pub root: Credentials,
    pub timeout: Duration,
    /// Folder for the files the chain writes.
    pub out_dir: PathBuf,
}

impl Target {
    /// Builds a signed client with `credentials`.
    pub fn client(&self, credentials: Credentials) -> anyhow::Result<Client> {
        let options = ClientOptions {
            endpoint: self.endpoint.clone(),
            ca_file: self.ca_file.clone(),
            timeout: self.timeout,
        };
        Ok(Client::new(options, credentials)?)
    }
}

/// Runs `akless quickstart`.
pub async fn run(args: QuickstartArgs) -> anyhow::Result<()> {
    let timeout = Duration::from_secs(args.timeout);
    let mut report = Report::new(args.output);

    let Some(endpoint) = &args.endpoint else {
        return run_embedded(&args, timeout, report).await;
    };
    let root = credentials::load(&args.credentials_file, |name| std::env::var(name).ok())
        .context("cannot load the root credentials of --endpoint; pass --credentials-file")?;
    let out_dir = match &args.out_dir {
        Some(dir) => dir.clone(),
        None => private_temp_dir()?.keep(),
    };
    let target = Target {
        endpoint: Endpoint::parse(endpoint)?,
        ca_file: ca_file_or_default(args.ca_file.clone()),
        root,
        timeout,
        out_dir,
    };
    report.server(&target, None);
    let summary = steps::run_chain(&target, &mut report).await?;
    report.finish(&target, &summary);
    Ok(())
}

/// Starts the embedded server, runs the chain, and stops the server (after Ctrl-C with `--keep-running`).
async fn run_embedded(
    args: &QuickstartArgs,
    timeout: Duration,
    mut report: Report,
) -> anyhow::Result<()> {
    // The temporary directory is removed when `temporary` drops, at the end of this function.
    let temporary = match &args.data_dir {
        Some(_) => None,
        None => Some(private_temp_dir()?),
    };
    let data_dir = match (&args.data_dir, &temporary) {
        (Some(dir), _) => dir.clone(),
        (None, Some(temp)) => temp.path().to_owned(),
        (None, None) => anyhow::bail!("no data directory"),
    };
    let server = start_embedded(&data_dir, args.listen).await?;
    let result = run_with_server(
        args,
        &server,
        &data_dir,
        temporary.is_some(),
        timeout,
        &mut report,
    )
    .await;
    if result.is_ok() && args.keep_running {
        report.keep_running();
        crate::signal::shutdown_signal().await;
    }
    server.shutdown().await;
    result
}

async fn run_with_server(
    args: &QuickstartArgs,
    server: &Server,
    data_dir: &Path,
    temporary: bool,
    timeout: Duration,
    report: &mut Report,
) -> anyhow::Result<()> {
    let (id, secret) = server
        .root_credentials()
        .context("the embedded server has no root credentials")?;
    let target = Target {
        endpoint: Endpoint::parse(&server.url())?,
        ca_file: server.ca_file().cloned(),
        root: Credentials::new(id, secret, None)?,
        timeout,
        out_dir: args.out_dir.clone().unwrap_or_else(|| data_dir.to_owned()),
    };
    report.server(&target, Some((data_dir, temporary)));
    let summary = steps::run_chain(&target, report).await?;
    report.finish(&target, &summary);
    if !args.keep_running {
        report.stopping(temporary);
    }
    Ok(())
}

/// Creates a temporary folder that only the owner can enter, because it receives secrets and keys.
fn private_temp_dir() -> anyhow::Result<tempfile::TempDir> {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("akless-quickstart-")
        .tempdir()
        .context("cannot create a temporary folder")?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("cannot restrict {} to mode 0700", dir.path().display()))?;
    Ok(dir)
}

/// Starts a server with its own local CA that may fetch keys from loopback issuers, which its own issuer is.
async fn start_embedded(data_dir: &Path, listen: SocketAddr) -> anyhow::Result<Server> {
    let mut config = ServerConfig::new(data_dir.to_owned());
    config.listen = listen;
    config.tls = TlsMode::LocalCa;
    config.allow_private_issuers = true;
    Server::start(config).await.with_context(|| {
        format!(
            "cannot start the embedded server on {listen} with data directory {}",
            data_dir.display()
        )
    })
}
