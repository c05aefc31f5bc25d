//! HTTPS GET of an issuer's OpenID discovery document and JWKS.
//!
//! Each fetch uses a fresh client whose TLS verifier carries the provider's fingerprints. The client
//! follows no redirects, uses no proxy from the environment, speaks https only, resolves through the
//! outbound address policy, and reads at most `max_body_bytes` of each body while streaming it.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;
use url::Url;

use super::address::{check_url_host, AddressRejected, PolicyResolver};
use super::chain::ChainInfo;
use super::error::FetchError;
use super::verifier::{Pinning, PinningVerifier, TlsRejection};
use super::FetchConfig;

/// Maximum length of an issuer URL or `jwks_uri`.
const MAX_URL_LEN: usize = 2048;
/// Path appended to the issuer URL (OpenID Connect Discovery 1.0, section 4).
const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// The JWKS document of an issuer and where it came from.
#[derive(Debug)]
pub(crate) struct FetchedJwks {
    pub(crate) jwks_uri: Url,
    pub(crate) body: Vec<u8>,
}

/// The chains that the discovery host and the JWKS host presented, for registering fingerprints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerChains {
    /// Chain presented by the issuer host for the discovery document.
    pub discovery: ChainInfo,
    /// The `jwks_uri` of the discovery document.
    pub jwks_uri: String,
    /// Chain presented by the `jwks_uri` host.
    pub jwks: ChainInfo,
}

/// Performs the network part of a key fetch. Holds the trust anchors, which are loaded once.
#[derive(Debug)]
pub(crate) struct Fetcher {
    provider: Arc<CryptoProvider>,
    webpki: Arc<WebPkiServerVerifier>,
    allow_private: bool,
    timeout: Duration,
    max_body_bytes: usize,
}

impl Fetcher {
    /// Loads the webpki roots, the system roots and `config.extra_roots`.
    pub(crate) fn new(config: &FetchConfig) -> Result<Self, FetchError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let roots = Arc::new(root_store(&config.extra_roots)?);
        let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|e| FetchError::VerifierSetup(e.to_string()))?;
        Ok(Self {
            provider,
            webpki,
            allow_private: config.allow_private_issuers,
            timeout: config.timeout,
            max_body_bytes: config.max_body_bytes,
        })
    }

    /// Fetches the discovery document, then the JWKS at its `jwks_uri`. Both connections must pass
    /// chain, hostname and fingerprint checks.
    pub(crate) async fn fetch_jwks(
        &self,
        issuer_url: &str,
        fingerprints: &[String],
    ) -> Result<FetchedJwks, FetchError> {
        let verifier = self.verifier(Pinning::Fingerprints(fingerprints.to_vec().into()));
        let discovery_url = discovery_url(issuer_url)?;
        let client = self.client(verifier.clone(), &discovery_url)?;
        let discovery = self.get(&client, &verifier, &discovery_url).await?;
        let jwks_uri = parse_discovery(&discovery, issuer_url)?;
        let body = self.get(&client, &verifier, &jwks_uri).await?;
        Ok(FetchedJwks { jwks_uri, body })
    }

    /// Fetches discovery document and JWKS with chain and hostname checks only, and returns the
    /// chains both hosts presented.
    pub(crate) async fn inspect(&self, issuer_url: &str) -> Result<IssuerChains, FetchError> {
        let discovery_url = discovery_url(issuer_url)?;
        let verifier = self.verifier(Pinning::RecordOnly);
        let client = self.client(verifier.clone(), &discovery_url)?;
        let discovery = self.get(&client, &verifier, &discovery_url).await?;
        let discovery_chain = chain_info(&discovery_url, &verifier.presented_chain())?;
        let jwks_uri = parse_discovery(&discovery, issuer_url)?;

        // A second client, so the JWKS request opens its own connection even on the same host.
        let verifier = self.verifier(Pinning::RecordOnly);
        let client = self.client(verifier.clone(), &jwks_uri)?;
        self.get(&client, &verifier, &jwks_uri).await?;
        let jwks_chain = chain_info(&jwks_uri, &verifier.presented_chain())?;
        Ok(IssuerChains {
            discovery: discovery_chain,
            jwks_uri: jwks_uri.to_string(),
            jwks: jwks_chain,
        })
    }

    fn verifier(&self, pinning: Pinning) -> Arc<PinningVerifier> {
        Arc::new(PinningVerifier::new(
            self.webpki.clone(),
            self.provider.signature_verification_algorithms,
            pinning,
        ))
    }

    fn client(
        &self,
        verifier: Arc<PinningVerifier>,
        url: &Url,
    ) -> Result<reqwest::Client, FetchError> {
        let client_error = |detail: String| FetchError::Connect {
            url: url.to_string(),
            detail,
        };
        let mut tls = rustls::ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| client_error(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        // A resumed TLS session skips certificate verification, so every handshake must be a full one.
        tls.resumption = rustls::client::Resumption::disabled();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];

        reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .dns_resolver(PolicyResolver::new(self.allow_private))
            .user_agent(concat!("akless/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| client_error(error_chain(&e)))
    }

    /// GETs `url` and returns the body of a 200 response, at most `max_body_bytes` long.
    async fn get(
        &self,
        client: &reqwest::Client,
        verifier: &PinningVerifier,
        url: &Url,
    ) -> Result<Vec<u8>, FetchError> {
        let started = std::time::Instant::now();
        let result =
            match tokio::time::timeout(self.timeout, self.get_inner(client, verifier, url)).await {
                Ok(result) => result,
                Err(_) => Err(FetchError::Timeout {
                    url: url.to_string(),
                    timeout_ms: self.timeout.as_millis() as u64,
                }),
            };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(body) => {
                tracing::debug!(url = %url, bytes = body.len(), elapsed_ms, "issuer GET succeeded")
            }
            Err(error) => {
                tracing::debug!(url = %url, elapsed_ms, error = %error, "issuer GET failed")
            }
        }
        result
    }

    async fn get_inner(
        &self,
        client: &reqwest::Client,
        verifier: &PinningVerifier,
        url: &Url,
    ) -> Result<Vec<u8>, FetchError> {
        check_url_host(url, self.allow_private).map_err(|e| address_error(&e))?;
        verifier.take_rejection();

        let mut response = client
            .get(url.clone())
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| self.send_error(e, url, verifier))?;

        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(FetchError::Http {
                status: status.as_u16(),
                url: url.to_string(),
            });
        }
        let too_large = || {
            FetchError::Body(format!(
                "{url} returned more than {} bytes",
                self.max_body_bytes
            ))
        };
        if response
            .content_length()
            .is_some_and(|len| len > self.max_body_bytes as u64)
        {
            return Err(too_large());
        }

        // Content-Length is only a hint, so the limit is enforced on the bytes actually received.
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.body_error(e, url))?
        {
            if body.len() + chunk.len() > self.max_body_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn send_error(
        &self,
        error: reqwest::Error,
        url: &Url,
        verifier: &PinningVerifier,
    ) -> FetchError {
        let host = url.host_str().unwrap_or_default().to_string();
        match verifier.take_rejection() {
            Some(TlsRejection::Chain(detail)) => return FetchError::Tls { host, detail },
            Some(TlsRejection::Fingerprint(detail)) => {
                return FetchError::FingerprintMismatch { host, detail }
            }
            None => {}
        }
        if let Some(rejected) = find_cause::<AddressRejected>(&error) {
            return address_error(rejected);
        }
        if error.is_timeout() {
            return FetchError::Timeout {
                url: url.to_string(),
                timeout_ms: self.timeout.as_millis() as u64,
            };
        }
        if let Some(tls) = find_cause::<rustls::Error>(&error) {
            return FetchError::Tls {
                host,
                detail: tls.to_string(),
            };
        }
        FetchError::Connect {
            url: url.to_string(),
            detail: error_chain(&error),
        }
    }

    fn body_error(&self, error: reqwest::Error, url: &Url) -> FetchError {
        if error.is_timeout() {
            return FetchError::Timeout {
                url: url.to_string(),
                timeout_ms: self.timeout.as_millis() as u64,
            };
        }
        FetchError::Body(format!(
            "reading the response from {url} failed: {}",
            error_chain(&error)
        ))
    }
}

fn root_store(extra_roots: &[CertificateDer<'static>]) -> Result<RootCertStore, FetchError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());

    let native = rustls_native_certs::load_native_certs();
    for error in &native.errors {
        tracing::warn!(error = %error, "could not load some system root certificates");
    }
    let (added, ignored) = roots.add_parsable_certificates(native.certs);
    tracing::debug!(added, ignored, "loaded system root certificates");

    for (index, cert) in extra_roots.iter().enumerate() {
        roots
            .add(cert.clone())
            .map_err(|e| FetchError::InvalidRootCertificate {
                index,
                reason: e.to_string(),
            })?;
    }
    Ok(roots)
}

/// Builds `{issuer}/.well-known/openid-configuration`, removing one trailing slash of the issuer.
pub(crate) fn discovery_url(issuer_url: &str) -> Result<Url, FetchError> {
    let base = issuer_url.strip_suffix('/').unwrap_or(issuer_url);
    let url = parse_https_url(&format!("{base}{DISCOVERY_PATH}"))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid_url(
            issuer_url,
            "an issuer URL must not contain a query or a fragment",
        ));
    }
    Ok(url)
}

/// Extracts and checks `jwks_uri` from a discovery document.
/// Reads `jwks_uri` from a discovery document whose `issuer`, when present, must equal `issuer_url`
/// (OpenID Connect Discovery 1.0, section 4.3), so one issuer cannot serve another's keys.
fn parse_discovery(body: &[u8], issuer_url: &str) -> Result<Url, FetchError> {
    let document: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| FetchError::Discovery(format!("the body is not JSON: {e}")))?;
    let object = document
        .as_object()
        .ok_or_else(|| FetchError::Discovery("the body is not a JSON object".into()))?;
    match object.get("issuer") {
        None => {}
        Some(serde_json::Value::String(issuer)) if issuer == issuer_url => {}
        Some(_) => {
            return Err(FetchError::Discovery(
                "the issuer of the discovery document differs from the provider's IssuerUrl".into(),
            ))
        }
    }
    let jwks_uri = match object.get("jwks_uri") {
        Some(serde_json::Value::String(uri)) => uri,
        Some(_) => return Err(FetchError::Discovery("jwks_uri is not a string".into())),
        None => return Err(FetchError::Discovery("the document has no jwks_uri".into())),
    };
    parse_https_url(jwks_uri)
        .map_err(|e| FetchError::Discovery(format!("jwks_uri is not acceptable: {e}")))
}

fn parse_https_url(text: &str) -> Result<Url, FetchError> {
    if text.len() > MAX_URL_LEN {
        let start: String = text.chars().take(64).collect();
        return Err(invalid_url(
            &start,
            &format!("longer than {MAX_URL_LEN} characters"),
        ));
    }
    let url = Url::parse(text).map_err(|e| invalid_url(text, &e.to_string()))?;
    if url.scheme() != "https" {
        return Err(invalid_url(text, "the scheme must be https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid_url(text, "the URL has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid_url(
            text,
            "the URL must not contain user information",
        ));
    }
    Ok(url)
}

fn invalid_url(url: &str, reason: &str) -> FetchError {
    FetchError::InvalidUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    }
}

fn address_error(rejected: &AddressRejected) -> FetchError {
    FetchError::AddressNotAllowed {
        host: rejected.host.clone(),
        detail: rejected.to_string(),
    }
}

fn chain_info(url: &Url, chain: &[CertificateDer<'static>]) -> Result<ChainInfo, FetchError> {
    let host = url.host_str().unwrap_or_default().to_string();
    ChainInfo::from_chain(chain).map_err(|e| FetchError::Tls {
        host,
        detail: e.to_string(),
    })
}

/// Finds an error of type `T` among the causes of `error`, looking inside `io::Error` wrappers too,
/// because `io::Error::source` skips the error it wraps.
fn find_cause<'e, T: StdError + 'static>(error: &'e (dyn StdError + 'static)) -> Option<&'e T> {
    let mut current: Option<&'e (dyn StdError + 'static)> = Some(error);
    while let Some(cause) = current {
        if let Some(found) = cause.downcast_ref::<T>() {
            return Some(found);
        }
        if let Some(inner) = cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(found) = find_cause::<T>(inner) {
                return Some(found);
            }
        }
        current = cause.source();
    }
    None
}

/// Joins the messages of an error and its causes, which `reqwest::Error`'s own message omits.
fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut current = error.source();
    while let Some(cause) = current {
        let message = cause.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        current = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_url_strips_one_trailing_slash() {
        let url = discovery_url("https://issuer.example/tenant/").expect("url");
        assert_eq!(
            url.as_str(),
            "https://issuer.example/tenant/.well-known/openid-configuration"
        );
        let url = discovery_url("https://issuer.example").expect("url");
        assert_eq!(
            url.as_str(),
            "https://issuer.example/.well-known/openid-configuration"
        );
    }

    #[test]
    fn discovery_url_rejects_http_and_userinfo() {
        assert!(matches!(
            discovery_url("http://issuer.example"),
            Err(FetchError::InvalidUrl { .. })
        ));
        assert!(matches!(
            discovery_url("https://user@issuer.example"),
            Err(FetchError::InvalidUrl { .. })
        ));
        assert!(matches!(
            discovery_url("https://issuer.example?x=1"),
            Err(FetchError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn parse_discovery_requires_https_jwks_uri() {
        let ok = parse_discovery(br#"{"jwks_uri":"https://issuer.example/keys"}"#, "https://issuer.example").expect("valid");
        assert_eq!(ok.as_str(), "https://issuer.example/keys");
        let http = parse_discovery(br#"{"jwks_uri":"http://issuer.example/keys"}"#, "https://issuer.example").unwrap_err();
        assert!(
            matches!(http, FetchError::Discovery(ref m) if m.contains("https")),
            "{http}"
        );
        let missing = parse_discovery(br#"{"issuer":"https://issuer.example"}"#, "https://issuer.example").unwrap_err();
        assert!(
            matches!(missing, FetchError::Discovery(ref m) if m.contains("no jwks_uri")),
            "{missing}"
        );
        let other = parse_discovery(
            br#"{"issuer":"https://other.example","jwks_uri":"https://issuer.example/keys"}"#,
            "https://issuer.example",
        )
        .unwrap_err();
        assert!(matches!(other, FetchError::Discovery(ref m) if m.contains("issuer")), "{other}");
        let not_object = parse_discovery(b"[1]", "https://issuer.example").unwrap_err();
        assert!(
            matches!(not_object, FetchError::Discovery(_)),
            "{not_object}"
        );
    }
}
