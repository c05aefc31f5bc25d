//! `akless fingerprint`: shows the SHA-1 fingerprint to register for an OIDC issuer.
//!
//! It does what the Alibaba Cloud guide does with `openssl s_client -showcerts`: read the issuer's
//! discovery document, connect to the host of its `jwks_uri`, and take the last certificate that host
//! presents. The server's own fetcher makes the connections, so the result is the certificate that
//! AssumeRoleWithOIDC later checks.

use std::path::{Path, PathBuf};
use std::time::Duration;

use akless_core::timefmt::iso8601;
use akless_server::jwks::{
    parse_pem_certificates, ChainInfo, FetchConfig, FetchError, IssuerChains, JwksCache,
};
use anyhow::Context;
use clap::Args;
use serde_json::{json, Value};

use crate::output::{column, emit, render_json, render_object, render_table, Column, OutputFormat};
use crate::secure_file;

/// Largest CA file read, in bytes.
const MAX_CA_FILE_BYTES: u64 = 1024 * 1024;

const CHAIN_COLUMNS: &[Column] = &[
    column("#", "Index"),
    column("SUBJECT", "Subject"),
    column("EXPIRES", "NotAfter"),
    column("SHA-1", "Fingerprint"),
];

/// Print the SHA-1 fingerprint of the certificate that an OIDC issuer's JWKS host presents last.
#[derive(Args, Debug)]
pub struct FingerprintArgs {
    /// Issuer URL: the `iss` claim of the tokens, https only. The discovery document is read from
    /// URL/.well-known/openid-configuration.
    #[arg(value_name = "URL")]
    pub issuer_url: String,

    /// PEM file of extra trusted root certificates, for issuers whose chain ends in a private CA.
    /// The system and Mozilla roots stay trusted. Default: ./akless-data/tls/ca.pem when that file exists.
    #[arg(long, env = "AKLESS_CA_FILE", value_name = "PEM")]
    pub ca_file: Option<PathBuf>,

    /// Permit issuers on loopback, private and link-local addresses (blocked by default, like the server).
    #[arg(long)]
    pub allow_private: bool,

    /// Time limit for each HTTPS request, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub timeout: u64,

    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

/// Runs `akless fingerprint`.
pub async fn run(args: FingerprintArgs) -> anyhow::Result<()> {
    let ca_file = crate::admin::ca_file_or_default(args.ca_file.clone());
    let chains = inspect(
        &args.issuer_url,
        ca_file.as_deref(),
        args.allow_private,
        Duration::from_secs(args.timeout),
    )
    .await?;
    let report = Report::new(&args.issuer_url, &chains)?;
    match args.output {
        OutputFormat::Json => emit(&render_json(&report.to_json())),
        OutputFormat::Table => emit(&report.to_text()),
    }
    Ok(())
}

/// Connects to the issuer and its JWKS host and returns the chains they present.
pub async fn inspect(
    issuer_url: &str,
    ca_file: Option<&Path>,
    allow_private: bool,
    timeout: Duration,
) -> anyhow::Result<IssuerChains> {
    let extra_roots = match ca_file {
        Some(path) => {
            let pem = secure_file::read_trimmed(path, "the CA certificates", MAX_CA_FILE_BYTES)?;
            parse_pem_certificates(pem.as_bytes())
                .with_context(|| format!("cannot use --ca-file {}", path.display()))?
        }
        None => Vec::new(),
    };
    let cache = JwksCache::new(FetchConfig {
        extra_roots,
        allow_private_issuers: allow_private,
        timeout,
        ..FetchConfig::default()
    })
    .map_err(|e| anyhow::anyhow!("cannot set up TLS: {e}"))?;
    cache
        .inspect_issuer(issuer_url)
        .await
        .map_err(|e| anyhow::anyhow!(cli_message(&e)))
}

/// Rewrites the hints of fetch errors that name server flags into the flags of this command.
fn cli_message(error: &FetchError) -> String {
    match error {
        FetchError::AddressNotAllowed { detail, .. } => format!(
            "{detail}; loopback, private and link-local addresses are blocked by default. \
             Pass --allow-private to inspect a trusted issuer there"
        ),
        FetchError::Tls { host, detail } => format!(
            "TLS certificate chain or hostname verification failed for {host}: {detail}. \
             If the issuer uses a private CA, pass its root certificate with --ca-file"
        ),
        other => other.to_string(),
    }
}

/// Result of `akless fingerprint`: the fingerprint to register and the chains it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub issuer_url: String,
    pub jwks_uri: String,
    pub jwks_host: String,
    pub jwks_port: u16,
    /// SHA-1 of the last certificate the JWKS host presents.
    pub fingerprint: String,
    pub jwks_chain: ChainInfo,
    /// SHA-1 of the last certificate the issuer host presents for the discovery document.
    pub discovery_fingerprint: String,
    pub discovery_chain: ChainInfo,
}

impl Report {
    pub fn new(issuer_url: &str, chains: &IssuerChains) -> anyhow::Result<Self> {
        let last = |chain: &ChainInfo, what: &str| {
            chain
                .last_fingerprint()
                .map(str::to_owned)
                .with_context(|| format!("the {what} host presented no certificate"))
        };
        let jwks_url = url::Url::parse(&chains.jwks_uri).ok();
        let jwks_host = jwks_url
            .as_ref()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let jwks_port = jwks_url
            .as_ref()
            .and_then(url::Url::port_or_known_default)
            .unwrap_or(443);
        Ok(Self {
            issuer_url: issuer_url.to_owned(),
            jwks_uri: chains.jwks_uri.clone(),
            jwks_host,
            jwks_port,
            fingerprint: last(&chains.jwks, "JWKS")?,
            jwks_chain: chains.jwks.clone(),
            discovery_fingerprint: last(&chains.discovery, "issuer")?,
            discovery_chain: chains.discovery.clone(),
        })
    }

    /// Returns the fingerprints to register: the JWKS host's, then the issuer host's when it differs,
    /// because akless checks the certificate of both connections.
    pub fn fingerprints_to_register(&self) -> Vec<String> {
        let mut list = vec![self.fingerprint.clone()];
        if self.discovery_fingerprint != self.fingerprint {
            list.push(self.discovery_fingerprint.clone());
        }
        list
    }

    pub fn to_json(&self) -> Value {
        json!({
            "IssuerUrl": self.issuer_url,
            "JwksUri": self.jwks_uri,
            "Fingerprint": self.fingerprint,
            "Chain": chain_rows(&self.jwks_chain),
            "DiscoveryFingerprint": self.discovery_fingerprint,
            "DiscoveryChain": chain_rows(&self.discovery_chain),
            "FingerprintsToRegister": self.fingerprints_to_register(),
        })
    }

    pub fn to_text(&self) -> String {
        let summary = json!({
            "Issuer": self.issuer_url,
            "JWKS URI": self.jwks_uri,
            "Fingerprint": self.fingerprint,
        });
        let mut out = render_object(&summary, &["Issuer", "JWKS URI", "Fingerprint"]);
        out.push_str(&format!(
            "\nCertificates presented by {host}, server certificate first. The fingerprint is the SHA-1 of the last one;\n\
             compare with: openssl s_client -servername {host} -showcerts -connect {host}:{port}\n\n",
            host = self.jwks_host,
            port = self.jwks_port,
        ));
        out.push_str(&render_table(CHAIN_COLUMNS, &chain_rows(&self.jwks_chain)));
        if self.discovery_fingerprint != self.fingerprint {
            out.push_str(&format!(
                "\nThe issuer host presents a different last certificate (SHA-1 {}).\n\
                 akless checks both connections, so register both fingerprints: --fingerprints {}\n\n",
                self.discovery_fingerprint,
                self.fingerprints_to_register().join(","),
            ));
            out.push_str(&render_table(
                CHAIN_COLUMNS,
                &chain_rows(&self.discovery_chain),
            ));
        }
        out
    }
}

/// Renders one JSON object per certificate: position, subject, `notAfter` and SHA-1.
fn chain_rows(chain: &ChainInfo) -> Vec<Value> {
    chain
        .subjects
        .iter()
        .zip(&chain.not_after)
        .zip(&chain.fingerprints)
        .enumerate()
        .map(|(index, ((subject, not_after), fingerprint))| {
            json!({
                "Index": index,
                "Subject": subject,
                "NotAfter": iso8601(*not_after),
                "Fingerprint": fingerprint,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn chain(names: &[&str], last: &str) -> ChainInfo {
        let count = names.len();
        ChainInfo {
            subjects: names.iter().map(|n| format!("CN={n}")).collect(),
            not_after: vec![datetime!(2031-05-06 07:08:09 UTC); count],
            fingerprints: (0..count)
                .map(|i| {
                    if i + 1 == count {
                        last.to_owned()
                    } else {
                        format!("{i:040x}")
                    }
                })
                .collect(),
        }
    }

    fn report(discovery_last: &str) -> Report {
        let chains = IssuerChains {
            discovery: chain(&["issuer", "root"], discovery_last),
            jwks_uri: "https://keys.example/jwks".into(),
            jwks: chain(&["keys", "intermediate", "root"], &"ab".repeat(20)),
        };
        Report::new("https://issuer.example", &chains).expect("report")
    }

    #[test]
    fn report_takes_last_jwks_certificate() {
        let report = report(&"ab".repeat(20));
        assert_eq!(report.fingerprint, "ab".repeat(20));
        assert_eq!(report.jwks_host, "keys.example");
        assert_eq!(report.fingerprints_to_register(), vec!["ab".repeat(20)]);
    }

    #[test]
    fn json_lists_chain_with_dates() {
        let value = report(&"ab".repeat(20)).to_json();
        assert_eq!(value["Fingerprint"], "ab".repeat(20));
        assert_eq!(value["Chain"].as_array().expect("chain").len(), 3);
        assert_eq!(value["Chain"][0]["Subject"], "CN=keys");
        assert_eq!(value["Chain"][2]["NotAfter"], "2031-05-06T07:08:09Z");
        assert_eq!(value["Chain"][2]["Fingerprint"], "ab".repeat(20));
        assert_eq!(value["JwksUri"], "https://keys.example/jwks");
    }

    #[test]
    fn text_shows_openssl_command_and_rows() {
        let text = report(&"ab".repeat(20)).to_text();
        assert!(
            text.starts_with("Issuer:      https://issuer.example\n"),
            "{text}"
        );
        assert!(
            text.contains(&format!("Fingerprint: {}\n", "ab".repeat(20))),
            "{text}"
        );
        assert!(
            text.contains(
                "openssl s_client -servername keys.example -showcerts -connect keys.example:443"
            ),
            "{text}"
        );
        assert!(text.contains("2  CN=root"), "{text}");
        assert!(!text.contains("different last certificate"), "{text}");
    }

    #[test]
    fn different_discovery_root_asks_for_both() {
        let report = report(&"cd".repeat(20));
        assert_eq!(
            report.fingerprints_to_register(),
            vec!["ab".repeat(20), "cd".repeat(20)]
        );
        let text = report.to_text();
        assert!(text.contains("register both fingerprints"), "{text}");
    }

    #[test]
    fn address_error_names_cli_flag() {
        let error = FetchError::AddressNotAllowed {
            host: "127.0.0.1".into(),
            detail: "host 127.0.0.1 resolves to the non-public address 127.0.0.1".into(),
        };
        let text = cli_message(&error);
        assert!(text.contains("--allow-private"), "{text}");
        assert!(!text.contains("--allow-private-issuers"), "{text}");
    }

    /// Serves a discovery document and a JWKS over HTTPS on loopback with a local CA, like `akless serve`.
    async fn start_issuer(dir: &Path) -> (akless_server::serve::Listener, String) {
        use axum::routing::get;
        let tls = akless_server::tls::server_config_from_local_ca(dir).expect("local CA");
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = tcp.local_addr().expect("address").port();
        let issuer = format!("https://127.0.0.1:{port}/issuer");
        let discovery =
            json!({"issuer": issuer, "jwks_uri": format!("https://127.0.0.1:{port}/jwks")});
        let router = axum::Router::new()
            .route(
                "/issuer/.well-known/openid-configuration",
                get(move || async move { axum::Json(discovery) }),
            )
            .route("/jwks", get(|| async { axum::Json(json!({"keys": []})) }));
        let listener =
            akless_server::serve::Listener::start(tcp, Some(tls), router).expect("listener");
        (listener, issuer)
    }

    fn ca_fingerprint(dir: &Path) -> String {
        let pem = std::fs::read(dir.join("tls/ca.pem")).expect("CA file");
        let ca = parse_pem_certificates(&pem).expect("PEM");
        akless_server::jwks::sha1_fingerprint(ca[0].as_ref())
    }

    #[tokio::test]
    async fn inspect_live_issuer_returns_ca_fingerprint() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (listener, issuer) = start_issuer(dir.path()).await;
        let ca = dir.path().join("tls/ca.pem");

        let chains = inspect(&issuer, Some(&ca), true, Duration::from_secs(5))
            .await
            .expect("inspects");
        let report = Report::new(&issuer, &chains).expect("report");

        assert_eq!(report.fingerprint, ca_fingerprint(dir.path()));
        assert_eq!(report.fingerprint.len(), 40);
        assert!(report
            .fingerprint
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(report.jwks_chain.subjects.len(), 2);
        assert_eq!(report.jwks_chain.subjects[0], "CN=akless server");
        assert!(
            report.jwks_chain.subjects[1].starts_with("CN=akless local CA "),
            "{:?}",
            report.jwks_chain.subjects
        );
        assert_eq!(
            report.fingerprints_to_register(),
            vec![report.fingerprint.clone()]
        );
        listener.shutdown().await;
    }

    #[tokio::test]
    async fn inspect_loopback_needs_allow_private() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (listener, issuer) = start_issuer(dir.path()).await;
        let ca = dir.path().join("tls/ca.pem");
        let error = inspect(&issuer, Some(&ca), false, Duration::from_secs(5))
            .await
            .expect_err("loopback blocked");
        assert!(error.to_string().contains("--allow-private"), "{error}");
        listener.shutdown().await;
    }

    #[tokio::test]
    async fn inspect_private_ca_needs_ca_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (listener, issuer) = start_issuer(dir.path()).await;
        let error = inspect(&issuer, None, true, Duration::from_secs(5))
            .await
            .expect_err("CA not trusted");
        assert!(error.to_string().contains("--ca-file"), "{error}");
        listener.shutdown().await;
    }
}
