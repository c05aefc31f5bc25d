//! A test OIDC issuer that serves HTTPS on 127.0.0.1 with a root CA → intermediate CA → leaf chain
//! made by rcgen. It serves an OpenID discovery document and a JWKS that tests can replace while it
//! runs, counts requests per path, and signs tokens with the independent `jsonwebtoken` library.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self as lc_signature, KeyPair as _};
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hyper::body::Frame;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use jsonwebtoken::{EncodingKey, Header};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

/// Path of the JWKS in the default discovery document.
pub const JWKS_PATH: &str = "/jwks";
/// Path of the discovery document.
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// A root CA, an intermediate CA it signed, and a leaf certificate the intermediate signed.
pub struct TestPki {
    pub root: CertificateDer<'static>,
    pub intermediate: CertificateDer<'static>,
    pub leaf: CertificateDer<'static>,
    root_pem: String,
    leaf_key_pkcs8: Vec<u8>,
}

impl TestPki {
    /// Creates the chain. Each of `leaf_names` becomes a DNS or IP subject alternative name of the leaf.
    pub fn new(leaf_names: &[&str]) -> Self {
        let root_key = KeyPair::generate().expect("root key");
        let mut root_params = CertificateParams::new(Vec::<String>::new()).expect("root params");
        root_params
            .distinguished_name
            .push(DnType::CommonName, "akless test root CA");
        root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        root_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let root = root_params
            .self_signed(&root_key)
            .expect("root certificate");

        let intermediate_key = KeyPair::generate().expect("intermediate key");
        let mut intermediate_params =
            CertificateParams::new(Vec::<String>::new()).expect("intermediate params");
        intermediate_params
            .distinguished_name
            .push(DnType::CommonName, "akless test intermediate CA");
        intermediate_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        intermediate_params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let intermediate = intermediate_params
            .signed_by(&intermediate_key, &root, &root_key)
            .expect("intermediate certificate");

        let leaf_key = KeyPair::generate().expect("leaf key");
        let names: Vec<String> = leaf_names.iter().map(|n| n.to_string()).collect();
        let mut leaf_params = CertificateParams::new(names).expect("leaf params");
        leaf_params.distinguished_name.push(
            DnType::CommonName,
            leaf_names.first().copied().unwrap_or("leaf"),
        );
        leaf_params.is_ca = IsCa::ExplicitNoCa;
        leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf = leaf_params
            .signed_by(&leaf_key, &intermediate, &intermediate_key)
            .expect("leaf certificate");

        Self {
            root: root.der().clone(),
            intermediate: intermediate.der().clone(),
            leaf: leaf.der().clone(),
            root_pem: root.pem(),
            leaf_key_pkcs8: leaf_key.serialize_der(),
        }
    }

    /// Returns the root CA certificate as PEM, the content of a `--trust-ca-file`.
    pub fn root_pem(&self) -> &str {
        &self.root_pem
    }

    pub fn root_fingerprint(&self) -> String {
        akless_server::jwks::sha1_fingerprint(&self.root)
    }

    pub fn intermediate_fingerprint(&self) -> String {
        akless_server::jwks::sha1_fingerprint(&self.intermediate)
    }

    pub fn leaf_fingerprint(&self) -> String {
        akless_server::jwks::sha1_fingerprint(&self.leaf)
    }
}

/// Which certificates the issuer sends in its TLS `Certificate` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainMode {
    /// The leaf alone.
    LeafOnly,
    /// The leaf and the intermediate CA.
    ToIntermediate,
    /// The leaf, the intermediate CA and the root CA.
    ToRoot,
}

/// Settings of a [`TestIssuer`].
#[derive(Debug, Clone)]
pub struct IssuerOptions {
    pub chain: ChainMode,
    /// Subject alternative names of the leaf certificate.
    pub leaf_names: Vec<String>,
    /// Certificates sent after the chain, for example an unrelated CA certificate.
    pub appended: Vec<CertificateDer<'static>>,
}

impl Default for IssuerOptions {
    fn default() -> Self {
        Self {
            chain: ChainMode::ToIntermediate,
            leaf_names: vec!["localhost".to_string(), "127.0.0.1".to_string()],
            appended: Vec::new(),
        }
    }
}

/// Key types the issuer can sign with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Rsa2048,
    EcP256,
    Ed25519,
}

/// A signing key pair with its public JWK.
pub struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    jwk: Value,
}

impl SigningKey {
    /// Generates a key with aws-lc-rs. The JWK contains `kid`, `use: sig` and the key's usual `alg`.
    pub fn generate(kind: KeyKind, kid: &str) -> Self {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let (encoding, jwk) = match kind {
            KeyKind::Rsa2048 => {
                let pair = lc_signature::RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                    .expect("RSA key");
                let pkcs8 =
                    AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair).expect("RSA PKCS#8");
                let public = pair.public_key();
                let jwk = json!({
                    "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
                    "n": b64(public.modulus().big_endian_without_leading_zero()),
                    "e": b64(public.exponent().big_endian_without_leading_zero()),
                });
                // jsonwebtoken's aws-lc-rs backend reads RSA keys in PKCS#1 form.
                (
                    EncodingKey::from_rsa_der(&pkcs8_inner_key(pkcs8.as_ref())),
                    jwk,
                )
            }
            KeyKind::EcP256 => {
                let pair = lc_signature::EcdsaKeyPair::generate(
                    &lc_signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                )
                .expect("P-256 key");
                let pkcs8 = pair.to_pkcs8v1().expect("P-256 PKCS#8");
                let point = pair.public_key().as_ref();
                let jwk = json!({
                    "kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256",
                    "x": b64(&point[1..33]), "y": b64(&point[33..65]),
                });
                (EncodingKey::from_ec_der(pkcs8.as_ref()), jwk)
            }
            KeyKind::Ed25519 => {
                let pair = lc_signature::Ed25519KeyPair::generate().expect("Ed25519 key");
                let pkcs8 = pair.to_pkcs8v1().expect("Ed25519 PKCS#8");
                let jwk = json!({
                    "kty": "OKP", "kid": kid, "use": "sig", "alg": "EdDSA", "crv": "Ed25519",
                    "x": b64(pair.public_key().as_ref()),
                });
                (EncodingKey::from_ed_der(pkcs8.as_ref()), jwk)
            }
        };
        Self {
            kid: kid.to_string(),
            encoding,
            jwk,
        }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Returns the public JWK (a JSON object).
    pub fn jwk(&self) -> Value {
        self.jwk.clone()
    }

    /// Signs `claims` as a compact JWS with `alg`, for example "RS256". A given `kid` goes into the header.
    pub fn sign(&self, alg: &str, kid: Option<&str>, claims: &Value) -> String {
        let algorithm =
            jsonwebtoken::Algorithm::from_str(alg).expect("jsonwebtoken algorithm name");
        let mut header = Header::new(algorithm);
        header.kid = kid.map(str::to_string);
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("jsonwebtoken signing")
    }
}

/// Returns the `privateKey` OCTET STRING content of a PKCS#8 `PrivateKeyInfo`.
fn pkcs8_inner_key(pkcs8: &[u8]) -> Vec<u8> {
    fn element(input: &[u8]) -> (u8, &[u8], &[u8]) {
        let tag = input[0];
        let (len, header) = if input[1] < 0x80 {
            (input[1] as usize, 2)
        } else {
            let count = (input[1] & 0x7f) as usize;
            let len = input[2..2 + count]
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | *b as usize);
            (len, 2 + count)
        };
        (tag, &input[header..header + len], &input[header + len..])
    }
    let (tag, info, _) = element(pkcs8);
    assert_eq!(tag, 0x30, "PrivateKeyInfo is a SEQUENCE");
    let (tag, _, rest) = element(info);
    assert_eq!(tag, 0x02, "version is an INTEGER");
    let (tag, _, rest) = element(rest);
    assert_eq!(tag, 0x30, "algorithm is a SEQUENCE");
    let (tag, key, _) = element(rest);
    assert_eq!(tag, 0x04, "privateKey is an OCTET STRING");
    key.to_vec()
}

/// Builds a JWKS document from JWKs.
pub fn jwks_document(jwks: &[Value]) -> Value {
    json!({ "keys": jwks })
}

struct Served {
    body: Vec<u8>,
    /// Send the body in chunks without Content-Length.
    chunked: bool,
}

struct IssuerState {
    base_url: String,
    discovery: Mutex<Option<Served>>,
    jwks: Mutex<Served>,
    delay: Mutex<Duration>,
    hits: Mutex<HashMap<String, u64>>,
}

/// A running HTTPS OIDC issuer on 127.0.0.1. Stops when dropped.
pub struct TestIssuer {
    addr: SocketAddr,
    pki: TestPki,
    chain: ChainMode,
    state: Arc<IssuerState>,
    keys: Mutex<Vec<Arc<SigningKey>>>,
    task: JoinHandle<()>,
}

impl TestIssuer {
    /// Starts an issuer with the default options and three published keys: "rsa-1" (RSA-2048),
    /// "ec-1" (P-256) and "ed-1" (Ed25519).
    pub async fn start() -> Self {
        Self::start_with(IssuerOptions::default()).await
    }

    pub async fn start_with(options: IssuerOptions) -> Self {
        let names: Vec<&str> = options.leaf_names.iter().map(String::as_str).collect();
        let pki = TestPki::new(&names);
        let mut chain = vec![pki.leaf.clone()];
        if options.chain != ChainMode::LeafOnly {
            chain.push(pki.intermediate.clone());
        }
        if options.chain == ChainMode::ToRoot {
            chain.push(pki.root.clone());
        }
        chain.extend(options.appended.iter().cloned());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.leaf_key_pkcs8.clone()));
        let tls = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server certificate");
        let acceptor = TlsAcceptor::from(Arc::new(tls));

        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let keys: Vec<Arc<SigningKey>> = vec![
            Arc::new(SigningKey::generate(KeyKind::Rsa2048, "rsa-1")),
            Arc::new(SigningKey::generate(KeyKind::EcP256, "ec-1")),
            Arc::new(SigningKey::generate(KeyKind::Ed25519, "ed-1")),
        ];
        let jwks = jwks_document(&keys.iter().map(|k| k.jwk()).collect::<Vec<_>>());
        let state = Arc::new(IssuerState {
            base_url: format!("https://localhost:{}", addr.port()),
            discovery: Mutex::new(None),
            jwks: Mutex::new(Served {
                body: jwks.to_string().into_bytes(),
                chunked: false,
            }),
            delay: Mutex::new(Duration::ZERO),
            hits: Mutex::new(HashMap::new()),
        });
        let app = Router::new().fallback(serve_path).with_state(state.clone());
        let task = tokio::spawn(accept_loop(listener, acceptor, app));
        Self {
            addr,
            pki,
            chain: options.chain,
            state,
            keys: Mutex::new(keys),
            task,
        }
    }

    /// Returns the issuer URL with host name `localhost`.
    pub fn url(&self) -> String {
        self.state.base_url.clone()
    }

    /// Returns the issuer URL with the IP literal 127.0.0.1.
    pub fn ip_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn pki(&self) -> &TestPki {
        &self.pki
    }

    /// Returns the SHA-1 fingerprint of the last certificate of the issuer's own chain, the one to
    /// register. Certificates from `IssuerOptions::appended` are not considered.
    pub fn fingerprint(&self) -> String {
        match self.chain {
            ChainMode::LeafOnly => self.pki.leaf_fingerprint(),
            ChainMode::ToIntermediate => self.pki.intermediate_fingerprint(),
            ChainMode::ToRoot => self.pki.root_fingerprint(),
        }
    }

    /// Returns the root CA certificate, to pass as an extra trusted root.
    pub fn root_certificate(&self) -> CertificateDer<'static> {
        self.pki.root.clone()
    }

    /// Replaces the JWKS document.
    pub fn set_jwks(&self, jwks: &Value) {
        self.set_jwks_body(jwks.to_string().into_bytes(), false);
    }

    /// Replaces the JWKS response body. With `chunked` it is sent without Content-Length.
    pub fn set_jwks_body(&self, body: Vec<u8>, chunked: bool) {
        *self.state.jwks.lock().expect("jwks lock") = Served { body, chunked };
    }

    /// Replaces the discovery document. The default one points `jwks_uri` at this issuer's `/jwks`.
    pub fn set_discovery(&self, document: &Value) {
        *self.state.discovery.lock().expect("discovery lock") = Some(Served {
            body: document.to_string().into_bytes(),
            chunked: false,
        });
    }

    /// Delays every response, so concurrent requests overlap.
    pub fn set_delay(&self, delay: Duration) {
        *self.state.delay.lock().expect("delay lock") = delay;
    }

    /// Generates a key and adds it to the signing keys without publishing it.
    pub fn add_key(&self, kind: KeyKind, kid: &str) -> Arc<SigningKey> {
        let key = Arc::new(SigningKey::generate(kind, kid));
        self.keys.lock().expect("keys lock").push(key.clone());
        key
    }

    /// Returns the signing key with this `kid`.
    pub fn key(&self, kid: &str) -> Arc<SigningKey> {
        let keys = self.keys.lock().expect("keys lock");
        keys.iter()
            .find(|k| k.kid() == kid)
            .cloned()
            .unwrap_or_else(|| panic!("no test key with kid {kid}"))
    }

    /// Sets the JWKS to exactly the keys with these kids.
    pub fn publish_keys(&self, kids: &[&str]) {
        let jwks: Vec<Value> = kids.iter().map(|kid| self.key(kid).jwk()).collect();
        self.set_jwks(&jwks_document(&jwks));
    }

    /// Signs `claims` with the key `kid` using `alg` (for example "RS256", "PS256", "ES256", "EdDSA"),
    /// putting `kid` into the header.
    pub fn sign_token(&self, alg: &str, kid: &str, claims: &Value) -> String {
        self.key(kid).sign(alg, Some(kid), claims)
    }

    /// Returns how many requests reached `path`.
    pub fn hits(&self, path: &str) -> u64 {
        self.state
            .hits
            .lock()
            .expect("hits lock")
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    pub fn jwks_hits(&self) -> u64 {
        self.hits(JWKS_PATH)
    }

    pub fn discovery_hits(&self) -> u64 {
        self.hits(DISCOVERY_PATH)
    }

    /// Stops accepting connections and closes open ones.
    pub async fn stop(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for TestIssuer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, acceptor: TlsAcceptor, app: Router) {
    // Dropping the set when the task is aborted aborts every connection task.
    let mut connections = JoinSet::new();
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let service = TowerToHyperService::new(app.clone());
        connections.spawn(async move {
            // Handshakes that the client rejects are expected in tests.
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
        while connections.try_join_next().is_some() {}
    }
}

async fn serve_path(State(state): State<Arc<IssuerState>>, uri: Uri) -> Response {
    let path = uri.path().to_string();
    *state
        .hits
        .lock()
        .expect("hits lock")
        .entry(path.clone())
        .or_insert(0) += 1;
    let delay = *state.delay.lock().expect("delay lock");
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }

    let served = match path.as_str() {
        DISCOVERY_PATH => {
            let custom = state
                .discovery
                .lock()
                .expect("discovery lock")
                .as_ref()
                .map(|s| (s.body.clone(), s.chunked));
            custom.unwrap_or_else(|| {
                (
                    default_discovery(&state.base_url).to_string().into_bytes(),
                    false,
                )
            })
        }
        JWKS_PATH => {
            let jwks = state.jwks.lock().expect("jwks lock");
            (jwks.body.clone(), jwks.chunked)
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let (body, chunked) = served;
    let body = if chunked {
        Body::new(ChunkedBody {
            data: Bytes::from(body),
        })
    } else {
        Body::from(body)
    };
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn default_discovery(base_url: &str) -> Value {
    json!({
        "issuer": base_url,
        "jwks_uri": format!("{base_url}{JWKS_PATH}"),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "PS256", "ES256", "EdDSA"],
    })
}

/// A body of 16 KiB frames with no size hint, so hyper sends it chunked without Content-Length.
struct ChunkedBody {
    data: Bytes,
}

impl HttpBody for ChunkedBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.data.is_empty() {
            return Poll::Ready(None);
        }
        let take = self.data.len().min(16 * 1024);
        let chunk = self.data.split_to(take);
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }
}
