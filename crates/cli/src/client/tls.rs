//! TLS settings of the client: rustls with the aws-lc-rs provider and the trusted roots.

use std::path::Path;
use std::sync::Arc;

use super::ClientError;

/// Maximum size of a CA file, in bytes.
const MAX_CA_FILE_BYTES: u64 = 1024 * 1024;

/// Builds the rustls configuration: the system roots (or the Mozilla roots when the system has none)
/// plus the certificates of `ca_file`, with HTTP/1.1 as the only ALPN protocol.
pub fn tls_config(ca_file: Option<&Path>) -> Result<rustls::ClientConfig, ClientError> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let (added, _ignored) = roots.add_parsable_certificates(native.certs);
    if added == 0 {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    if let Some(path) = ca_file {
        for certificate in read_ca_file(path)? {
            roots.add(certificate).map_err(|e| ClientError::CaFile {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        }
    }

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Reads the PEM certificates of a CA file; a file without any certificate is an error.
fn read_ca_file(
    path: &Path,
) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, ClientError> {
    use std::io::Read;
    let fail = |reason: String| ClientError::CaFile {
        path: path.to_owned(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(MAX_CA_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > MAX_CA_FILE_BYTES {
        return Err(fail(format!(
            "the file is larger than {MAX_CA_FILE_BYTES} bytes"
        )));
    }
    let certificates: Vec<_> = rustls_pemfile::certs(&mut bytes.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| fail(format!("invalid PEM: {e}")))?;
    if certificates.is_empty() {
        return Err(fail("the file contains no CERTIFICATE block".to_owned()));
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_file_from_local_ca_trusted() {
        let dir = tempfile::tempdir().expect("temp dir");
        akless_server::tls::server_config_from_local_ca(dir.path()).expect("local CA");
        let ca = dir.path().join("tls").join("ca.pem");
        assert_eq!(read_ca_file(&ca).expect("reads").len(), 1);
        let config = tls_config(Some(&ca)).expect("config");
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn ca_file_without_certificate_rejected() {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        std::io::Write::write_all(&mut file, b"not a certificate\n").expect("write");
        let error = read_ca_file(file.path()).expect_err("must fail");
        assert!(error.to_string().contains("no CERTIFICATE"), "{error}");
    }

    #[test]
    fn ca_file_missing_names_path() {
        let error = read_ca_file(Path::new("/nonexistent/ca.pem")).expect_err("must fail");
        assert!(error.to_string().contains("/nonexistent/ca.pem"), "{error}");
        assert!(error.to_string().contains("--ca-file"), "{error}");
    }
}
