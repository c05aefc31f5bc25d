//! TLS server-certificate verifier for issuer fetches: standard chain and hostname verification,
//! then a check that the server's presented chain ends in a registered certificate.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, WebPkiServerVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};

use super::chain::{normalize_fingerprint, sha1_fingerprint};

/// The check that rejected the last handshake, kept so the fetcher can report which one failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TlsRejection {
    /// Chain or hostname verification failed, for the reason in the text.
    Chain(String),
    /// The fingerprint check failed. The text names the certificate and the reason.
    Fingerprint(String),
}

/// Check that the verifier applies after the WebPKI checks.
#[derive(Debug, Clone)]
pub(crate) enum Pinning {
    /// The last presented certificate must have one of these SHA-1 fingerprints (normalized).
    Fingerprints(Arc<[String]>),
    /// No fingerprint check. The presented chain is only recorded, to show it to an operator.
    RecordOnly,
}

/// Wraps [`WebPkiServerVerifier`] and adds the fingerprint check of Alibaba Cloud RAM OIDC providers:
/// the SHA-1 of the last certificate the server presents (the end-entity when it sends only one)
/// must be registered.
///
/// The registered certificate must also take part in the chain: when it is not the end-entity, the
/// end-entity must verify up to it as the only trust anchor. Without that, a server holding any
/// publicly trusted certificate for the host could append the registered root, which is public,
/// to an unrelated chain.
#[derive(Debug)]
pub(crate) struct PinningVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    algorithms: WebPkiSupportedAlgorithms,
    pinning: Pinning,
    rejection: Mutex<Option<TlsRejection>>,
    presented: Mutex<Vec<CertificateDer<'static>>>,
}

impl PinningVerifier {
    pub(crate) fn new(
        webpki: Arc<WebPkiServerVerifier>,
        algorithms: WebPkiSupportedAlgorithms,
        pinning: Pinning,
    ) -> Self {
        Self {
            webpki,
            algorithms,
            pinning,
            rejection: Mutex::new(None),
            presented: Mutex::new(Vec::new()),
        }
    }

    /// Takes the rejection recorded by the last failed handshake, if the verifier caused it.
    pub(crate) fn take_rejection(&self) -> Option<TlsRejection> {
        self.rejection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }

    /// Returns the chain presented in the last handshake that passed verification, end-entity first.
    pub(crate) fn presented_chain(&self) -> Vec<CertificateDer<'static>> {
        self.presented
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn reject(&self, rejection: TlsRejection, error: Error) -> Error {
        *self
            .rejection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(rejection);
        error
    }

    fn check_pinned(
        &self,
        fingerprints: &[String],
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<(), TlsRejection> {
        if fingerprints.is_empty() {
            return Err(TlsRejection::Fingerprint(
                "the OIDC provider has no registered fingerprint".into(),
            ));
        }
        let (last, path) = match intermediates.split_last() {
            Some((last, rest)) => (last, rest),
            None => (end_entity, intermediates),
        };
        let presented = sha1_fingerprint(last.as_ref());
        if !fingerprints.contains(&presented) {
            return Err(TlsRejection::Fingerprint(format!(
                "the last certificate presented has SHA-1 fingerprint {presented}, which is not registered for the provider"
            )));
        }
        if intermediates.is_empty() {
            // The registered certificate is the end-entity itself, whose key signed this handshake.
            return Ok(());
        }

        let mut anchor = RootCertStore::empty();
        let not_in_chain = |reason: String| {
            TlsRejection::Fingerprint(format!(
                "the certificate with registered fingerprint {presented} does not issue the server certificate: {reason}"
            ))
        };
        anchor
            .add(last.clone().into_owned())
            .map_err(|e| not_in_chain(e.to_string()))?;
        let parsed =
            ParsedCertificate::try_from(end_entity).map_err(|e| not_in_chain(e.to_string()))?;
        verify_server_cert_signed_by_trust_anchor(&parsed, &anchor, path, now, self.algorithms.all)
            .map_err(|e| not_in_chain(e.to_string()))
    }
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let verified = self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|e| {
                self.reject(
                    TlsRejection::Chain(describe_chain_error(&e, server_name)),
                    e,
                )
            })?;

        if let Pinning::Fingerprints(fingerprints) = &self.pinning {
            self.check_pinned(fingerprints, end_entity, intermediates, now)
                .map_err(|rejection| {
                    self.reject(
                        rejection,
                        Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure),
                    )
                })?;
        }

        let mut chain = Vec::with_capacity(intermediates.len() + 1);
        chain.push(end_entity.clone().into_owned());
        chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        *self
            .presented
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = chain;
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// Normalizes and sorts a provider's fingerprints, dropping duplicates.
pub(crate) fn normalized_fingerprints(fingerprints: &[String]) -> Vec<String> {
    let mut normalized: Vec<String> = fingerprints
        .iter()
        .map(|f| normalize_fingerprint(f))
        .collect();
    normalized.sort();
    normalized.dedup();
    normalized
}

/// Describes a chain or hostname failure in operator terms.
fn describe_chain_error(error: &Error, server_name: &ServerName<'_>) -> String {
    let host = server_name.to_str();
    match error {
        Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "the certificate chain does not lead to a trusted root CA".to_string()
        }
        Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => format!("the server certificate is not valid for the name {host}"),
        Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "a certificate in the chain has expired".to_string(),
        Error::InvalidCertificate(
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
        ) => "a certificate in the chain is not valid yet".to_string(),
        other => other.to_string(),
    }
}
