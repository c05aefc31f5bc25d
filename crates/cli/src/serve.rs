//! `akless serve`: run the server until SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use akless_server::{DatabaseUrl, Server, ServerConfig, TlsMode};
use anyhow::Context;
use clap::Args;

/// Settings of `akless serve`; each flag can also be set by its environment variable.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Folder for the SQLite database, master.key, root-credentials and tls/. Created on first start.
    #[arg(long, env = "AKLESS_DATA_DIR", default_value = "./akless-data")]
    pub data_dir: PathBuf,

    /// Address and port to listen on; port 0 picks a free port.
    #[arg(long, env = "AKLESS_LISTEN", default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,

    /// PostgreSQL database shared by several akless nodes, as postgres://user:password@host:port/database.
    /// Prefer the environment variable, which keeps the password out of the process list. Default: the
    /// SQLite file DATA_DIR/akless.db, for a single node.
    #[arg(long, env = "AKLESS_DATABASE_URL", hide_env_values = true, value_name = "URL")]
    pub database_url: Option<DatabaseUrl>,

    /// File with the master key that seals session tokens and stored secrets. Every node of one database
    /// needs the same key. Default: DATA_DIR/master.key, which the node that sets up an empty database
    /// creates.
    #[arg(long, env = "AKLESS_MASTER_KEY_FILE", value_name = "PATH")]
    pub master_key_file: Option<PathBuf>,

    /// How long cached OIDC providers and roles stay valid, in seconds (1 to 3600). With PostgreSQL,
    /// notifications bring changes made through other nodes at once, and the TTL bounds how stale a
    /// cached entry can get when a notification is lost.
    #[arg(long, env = "AKLESS_CACHE_TTL_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub cache_ttl_secs: u64,

    /// Days to keep audit records; an hourly task deletes older ones. 0 keeps them forever.
    #[arg(long, env = "AKLESS_AUDIT_RETENTION_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u64).range(0..=36_500))]
    pub audit_retention_days: u64,

    /// Base URL clients use to reach this server, for example https://idp.example.com. The token issuer
    /// URL is this plus /api/v2/iauths_system/oauth2. Default: https:// (or http:// with --http) and the
    /// bound listen address, with 0.0.0.0 or :: replaced by loopback. At most 227 characters, no query.
    /// Behind a proxy that adds a path prefix, the proxy must strip it.
    #[arg(long, env = "AKLESS_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// PEM certificate chain for HTTPS (server certificate first). Needs --tls-key.
    /// Without both, akless makes a local CA in DATA_DIR/tls/ and uses a certificate it signs.
    #[arg(long, env = "AKLESS_TLS_CERT", requires = "tls_key", conflicts_with = "http")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for --tls-cert.
    #[arg(long, env = "AKLESS_TLS_KEY", requires = "tls_cert", conflicts_with = "http")]
    pub tls_key: Option<PathBuf>,

    /// Serve plain HTTP instead of HTTPS, for use behind a TLS proxy or in tests.
    /// The official credential providers always use HTTPS and cannot reach a plain listener directly.
    #[arg(long, env = "AKLESS_HTTP")]
    pub http: bool,

    /// PEM file of extra CA certificates trusted for outbound HTTPS to OIDC issuers; system roots stay trusted.
    #[arg(long, env = "AKLESS_TRUST_CA_FILE")]
    pub trust_ca_file: Option<PathBuf>,

    /// Permit OIDC issuers on loopback, private or link-local addresses (off by default, so that a provider
    /// registration cannot make the server fetch from internal services).
    #[arg(long, env = "AKLESS_ALLOW_PRIVATE_ISSUERS")]
    pub allow_private_issuers: bool,

    /// Clock leeway for the exp, nbf and iat checks of OIDC tokens, in seconds.
    #[arg(long, env = "AKLESS_TOKEN_LEEWAY_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=600))]
    pub token_leeway_secs: u64,

    /// How long fetched JWKS stay cached, in seconds.
    #[arg(long, env = "AKLESS_JWKS_CACHE_TTL_SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(10..=86_400))]
    pub jwks_cache_ttl_secs: u64,
}

impl ServeArgs {
    fn to_config(&self) -> ServerConfig {
        let mut config = ServerConfig::new(self.data_dir.clone());
        config.listen = self.listen;
        config.database_url = self.database_url.clone();
        config.master_key_file = self.master_key_file.clone();
        config.cache_ttl = Duration::from_secs(self.cache_ttl_secs);
        config.audit_retention =
            (self.audit_retention_days > 0).then(|| Duration::from_secs(self.audit_retention_days * 24 * 3600));
        config.public_url = self.public_url.clone();
        config.tls = match (&self.tls_cert, &self.tls_key, self.http) {
            (_, _, true) => TlsMode::PlainHttp,
            (Some(cert), Some(key), false) => TlsMode::Files { cert: cert.clone(), key: key.clone() },
            _ => TlsMode::LocalCa,
        };
        config.trust_ca_file = self.trust_ca_file.clone();
        config.allow_private_issuers = self.allow_private_issuers;
        config.token_leeway = Duration::from_secs(self.token_leeway_secs);
        config.jwks_cache_ttl = Duration::from_secs(self.jwks_cache_ttl_secs);
        config
    }
}

/// Runs the server until a shutdown signal arrives.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let server = Server::start(args.to_config()).await.context("failed to start the server")?;
    shutdown_signal().await;
    tracing::info!("shutdown requested");
    server.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Command {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn parse(args: &[&str]) -> Result<ServeArgs, clap::Error> {
        Command::try_parse_from(std::iter::once("serve").chain(args.iter().copied())).map(|c| c.serve)
    }

    #[test]
    fn database_flags_reach_config() {
        let args = parse(&[
            "--database-url",
            "postgres://akless:pw@db.internal:5432/akless",
            "--master-key-file",
            "/etc/akless/master.key",
            "--cache-ttl-secs",
            "30",
        ])
        .expect("valid flags");
        let config = args.to_config();
        assert_eq!(
            config.database_url.as_ref().map(DatabaseUrl::expose),
            Some("postgres://akless:pw@db.internal:5432/akless")
        );
        assert_eq!(config.master_key_file, Some(PathBuf::from("/etc/akless/master.key")));
        assert_eq!(config.cache_ttl, Duration::from_secs(30));
    }

    #[test]
    fn cache_ttl_defaults_to_five_seconds() {
        let args = parse(&[]).expect("no flags");
        if std::env::var_os("AKLESS_CACHE_TTL_SECS").is_none() {
            assert_eq!(args.to_config().cache_ttl, Duration::from_secs(5));
        }
    }

    #[test]
    fn invalid_database_flags_rejected() {
        let error = parse(&["--database-url", "mysql://db/akless"]).err().expect("mysql is not supported");
        assert!(error.to_string().contains("mysql"), "{error}");
        assert!(parse(&["--cache-ttl-secs", "0"]).is_err(), "a TTL of 0 would disable the cache");
        assert!(parse(&["--cache-ttl-secs", "3601"]).is_err());
    }
}
