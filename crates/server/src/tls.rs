//! Listener TLS: loading PEM files, or a local CA made on first start.
//!
//! Without `--tls-cert`/`--tls-key` the server keeps a local CA in
//! `DATA_DIR/tls/` (`ca.pem`, and `ca-key.pem` with mode 0600) and issues a
//! fresh 90-day certificate for `localhost`, `127.0.0.1` and `::1` at every
//! start, so an expired server certificate never outlives a restart. Clients
//! trust `ca.pem` (the Python SDKs through `Config(ca=…)` or `SSL_CERT_FILE`).

use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use time::{Duration, OffsetDateTime};

use crate::bootstrap::{create_private_dir, write_private_file};

/// Local CA certificate, relative to the data directory.
pub const CA_CERT_FILE: &str = "tls/ca.pem";
const CA_KEY_FILE: &str = "tls/ca-key.pem";

/// Failures while building the listener's TLS settings.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// A PEM file contains no usable certificate or key.
    #[error("{path} contains no {what}; pass a PEM file with one")]
    Empty {
        /// The file.
        path: PathBuf,
        /// `certificate` or `private key`.
        what: &'static str,
    },
    /// Making the local CA or certificate failed.
    #[error("cannot create the local TLS certificate: {0}")]
    Generate(String),
    /// rustls refused the certificate and key.
    #[error("invalid TLS certificate or key: {0}")]
    Rustls(#[from] rustls::Error),
    /// Writing the local CA failed.
    #[error(transparent)]
    Write(#[from] crate::bootstrap::BootstrapError),
}

/// Reads every certificate of a PEM file, in order.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = fs::read(path).map_err(|source| TlsError::Read { path: path.to_owned(), source })?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|source| TlsError::Read { path: path.to_owned(), source })?;
    if certs.is_empty() {
        return Err(TlsError::Empty { path: path.to_owned(), what: "certificate" });
    }
    Ok(certs)
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = fs::read(path).map_err(|source| TlsError::Read { path: path.to_owned(), source })?;
    rustls_pemfile::private_key(&mut pem.as_slice())
        .map_err(|source| TlsError::Read { path: path.to_owned(), source })?
        .ok_or_else(|| TlsError::Empty { path: path.to_owned(), what: "private key" })
}

/// Builds the listener's rustls settings from PEM files.
pub fn server_config_from_files(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    build(load_certs(cert)?, load_key(key)?)
}

/// Builds the listener's rustls settings from the local CA in `data_dir`, creating the CA on first use.
pub fn server_config_from_local_ca(data_dir: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let (ca_cert_pem, ca_key) = load_or_create_ca(data_dir)?;
    let gen = |e: rcgen::Error| TlsError::Generate(e.to_string());
    let issuer_params = CertificateParams::from_ca_cert_pem(&ca_cert_pem).map_err(gen)?;
    let issuer = issuer_params.self_signed(&ca_key).map_err(gen)?;

    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).map_err(gen)?;
    params.subject_alt_names.push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    params.subject_alt_names.push(SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)));
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, "akless server");
    params.is_ca = IsCa::NoCa;
    params.use_authority_key_identifier_extension = true;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(90);
    let leaf_key = KeyPair::generate().map_err(gen)?;
    let leaf = params.signed_by(&leaf_key, &issuer, &ca_key).map_err(gen)?;

    // The chain ends with the CA so that the SHA-1 of the last presented certificate is stable across restarts.
    let ca_der = rustls_pemfile::certs(&mut ca_cert_pem.as_bytes())
        .next()
        .and_then(Result::ok)
        .ok_or_else(|| TlsError::Generate("the local CA file contains no certificate; delete DATA_DIR/tls/ to make a new CA".into()))?;
    let chain = vec![leaf.der().clone(), ca_der];
    let key = PrivateKeyDer::try_from(leaf_key.serialize_der()).map_err(|e| TlsError::Generate(e.to_string()))?;
    build(chain, key)
}

fn load_or_create_ca(data_dir: &Path) -> Result<(String, KeyPair), TlsError> {
    let cert_path = data_dir.join(CA_CERT_FILE);
    let key_path = data_dir.join(CA_KEY_FILE);
    let gen = |e: rcgen::Error| TlsError::Generate(e.to_string());
    if cert_path.exists() && key_path.exists() {
        let read = |p: &Path| fs::read_to_string(p).map_err(|source| TlsError::Read { path: p.to_owned(), source });
        let key = KeyPair::from_pem(&read(&key_path)?).map_err(gen)?;
        return Ok((read(&cert_path)?, key));
    }

    create_private_dir(&data_dir.join("tls"))?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(gen)?;
    params.distinguished_name = DistinguishedName::new();
    // A unique name keeps two akless CAs in one trust bundle from shadowing each other.
    let suffix = hex::encode(akless_core::random::random_bytes::<4>());
    params.distinguished_name.push(DnType::CommonName, format!("akless local CA {suffix}"));
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(3650);
    let key = KeyPair::generate().map_err(gen)?;
    let cert = params.self_signed(&key).map_err(gen)?;
    write_private_file(&key_path, key.serialize_pem().as_bytes())?;
    fs::write(&cert_path, cert.pem()).map_err(|source| TlsError::Read { path: cert_path.clone(), source })?;
    tracing::info!(path = %cert_path.display(), "created local CA for the listener");
    Ok((cert.pem(), key))
}

fn build(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Result<Arc<ServerConfig>, TlsError> {
    let mut config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
