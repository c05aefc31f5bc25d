//! `akless-bench`: the helper that `bench/run` drives. It measures the bare-crypto bounds, serves
//! a hello endpoint on the server's own listener, plays the OIDC issuer, mints tokens, seeds a
//! large store and runs the cold-issuer scenario. Everything listens on loopback only.
#![forbid(unsafe_code)]

mod bounds;
mod cold;
mod hello;
mod issuer;
mod keys;
mod mint;
mod seed;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "akless-bench", about = "Benchmark helper of akless; bench/run drives it.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Bare RS256/ES256/EdDSA verifications and ES256/RS256 signatures per second, per core and on all cores.
    Bounds(bounds::BoundsArgs),
    /// Serve `hello` on the akless listener (same TLS, same serve loop) until SIGTERM.
    Hello(hello::HelloArgs),
    /// Serve a test OIDC issuer over HTTPS on loopback until SIGTERM.
    Issuer(issuer::IssuerArgs),
    /// Print a signed OIDC token made with the test issuer's keys.
    Mint(mint::MintArgs),
    /// Fill a data directory's store with providers, roles and policies through the Store trait.
    Seed(seed::SeedArgs),
    /// Fire many concurrent exchanges for an issuer whose keys are not cached yet.
    Cold(cold::ColdArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Bounds(args) => bounds::run(args),
        Command::Mint(args) => mint::run(args),
        command => {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(async move {
                match command {
                    Command::Hello(args) => hello::run(args).await,
                    Command::Issuer(args) => issuer::run(args).await,
                    Command::Seed(args) => seed::run(args).await,
                    Command::Cold(args) => cold::run(args).await,
                    Command::Bounds(_) | Command::Mint(_) => Ok(()),
                }
            })
        }
    }
}

/// Waits for SIGTERM or Ctrl-C, the way `akless serve` stops.
pub async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = terminate => {},
    }
}
