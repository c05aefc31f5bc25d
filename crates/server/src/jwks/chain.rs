//! Certificate-chain facts that an operator registers with an OIDC provider:
//! SHA-1 fingerprints, subjects and expiry dates of the certificates a server presents.

use aws_lc_rs::digest;
use rustls::pki_types::CertificateDer;
use time::OffsetDateTime;

/// Failure to read a certificate that a server presented or an operator supplied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// A certificate in the chain is not a valid DER-encoded X.509 certificate.
    #[error("certificate {index} of the chain is not a valid X.509 certificate: {reason}")]
    InvalidCertificate { index: usize, reason: String },
    /// The PEM input could not be read.
    #[error("invalid PEM certificate file: {0}")]
    InvalidPem(String),
    /// The PEM input contains no `CERTIFICATE` block.
    #[error("the PEM input contains no CERTIFICATE block")]
    NoCertificate,
}

/// Computes the SHA-1 fingerprint of a DER certificate as 40 lower-case hex characters without colons.
///
/// This is the form Alibaba Cloud RAM stores for OIDC provider fingerprints, the same digest as
/// `openssl x509 -fingerprint -sha1`. SHA-1 is used only as an identifier here, never for a signature.
pub fn sha1_fingerprint(cert_der: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, cert_der))
}

/// Normalizes an operator-supplied fingerprint: drops colons and lower-cases the hex digits.
pub fn normalize_fingerprint(fingerprint: &str) -> String {
    fingerprint
        .chars()
        .filter(|c| *c != ':')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Subjects, expiry dates and SHA-1 fingerprints of a presented chain, in the order the server sent it.
///
/// The three vectors have one element per certificate. The last fingerprint is the one a provider
/// must register, because the fetcher checks the last certificate the server presents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainInfo {
    /// Subject distinguished names in RFC 4514 string form.
    pub subjects: Vec<String>,
    /// `notAfter` of each certificate (UTC).
    pub not_after: Vec<OffsetDateTime>,
    /// SHA-1 fingerprints, 40 lower-case hex characters each.
    pub fingerprints: Vec<String>,
}

impl ChainInfo {
    /// Parses each certificate of a presented chain (end-entity first).
    pub fn from_chain(chain: &[CertificateDer<'_>]) -> Result<Self, ChainError> {
        let mut info = ChainInfo {
            subjects: Vec::new(),
            not_after: Vec::new(),
            fingerprints: Vec::new(),
        };
        for (index, der) in chain.iter().enumerate() {
            let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).map_err(|e| {
                ChainError::InvalidCertificate {
                    index,
                    reason: e.to_string(),
                }
            })?;
            info.subjects.push(cert.subject().to_string());
            info.not_after.push(cert.validity().not_after.to_datetime());
            info.fingerprints.push(sha1_fingerprint(der.as_ref()));
        }
        Ok(info)
    }

    /// Returns the fingerprint of the last presented certificate, the one the fetcher checks.
    pub fn last_fingerprint(&self) -> Option<&str> {
        self.fingerprints.last().map(String::as_str)
    }
}

/// Reads every `CERTIFICATE` block of a PEM file, for example a `--trust-ca-file`.
pub fn parse_pem_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, ChainError> {
    let mut reader = pem;
    let certificates = rustls_pemfile::certs(&mut reader)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ChainError::InvalidPem(e.to_string()))?;
    if certificates.is_empty() {
        return Err(ChainError::NoCertificate);
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_fingerprint_of_known_input() {
        // SHA-1("abc") from FIPS 180-2 appendix A.1.
        assert_eq!(
            sha1_fingerprint(b"abc"),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }

    #[test]
    fn normalize_strips_colons_and_case() {
        assert_eq!(normalize_fingerprint("A9:99:3E"), "a9993e");
    }

    #[test]
    fn chain_info_reads_rcgen_certificate() {
        let key = rcgen::KeyPair::generate().expect("key generation");
        let mut params =
            rcgen::CertificateParams::new(vec!["example.test".to_string()]).expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "chain info test");
        params.not_after = rcgen::date_time_ymd(2040, 1, 2);
        let cert = params.self_signed(&key).expect("self-signed certificate");

        let info = ChainInfo::from_chain(&[cert.der().clone()]).expect("parse");

        assert_eq!(info.subjects, vec!["CN=chain info test".to_string()]);
        assert_eq!(info.not_after[0].year(), 2040);
        assert_eq!(info.fingerprints, vec![sha1_fingerprint(cert.der())]);
        assert_eq!(info.last_fingerprint(), Some(info.fingerprints[0].as_str()));
    }

    #[test]
    fn chain_info_rejects_garbage() {
        let garbage = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x01]);
        let err = ChainInfo::from_chain(&[garbage]).unwrap_err();
        assert!(
            matches!(err, ChainError::InvalidCertificate { index: 0, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn pem_without_certificate_rejected() {
        assert_eq!(
            parse_pem_certificates(b"no pem here\n"),
            Err(ChainError::NoCertificate)
        );
    }
}
