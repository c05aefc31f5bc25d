//! `issuer`: a test OIDC issuer over HTTPS on loopback, served by the akless listener itself.
//!
//! Any number of issuers live under one port as `https://127.0.0.1:PORT/t/<tenant>`, each with a
//! discovery document and the same JWKS. Requests are counted per path and reported at `/_stats`,
//! so the cold-issuer scenario can check that exactly one discovery and one JWKS fetch happened.
//! The chain presented is leaf then CA, so the provider fingerprint is the CA's SHA-1.

use std::collections::BTreeMap;
use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use akless_server::serve::Listener;
use anyhow::Context;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use clap::Args;
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{json, Value};
use tokio::net::TcpListener;

use crate::keys::IssuerKeys;

/// Arguments of `issuer`.
#[derive(Args)]
pub struct IssuerArgs {
    /// Folder for keys, `ca.pem`, `fingerprint` and `port`.
    #[arg(long)]
    dir: PathBuf,
    /// Loopback address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
}

struct IssuerState {
    base: String,
    jwks: Value,
    counts: Mutex<BTreeMap<String, u64>>,
}

/// Runs the issuer until SIGTERM.
pub async fn run(args: IssuerArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.listen.ip().is_loopback(), "the test issuer listens on loopback only");
    fs::create_dir_all(&args.dir)?;
    let keys = IssuerKeys::load_or_create(&args.dir)?;
    let (tls, ca, leaf_pem, leaf_key_pem) = pki()?;
    fs::write(args.dir.join("ca.pem"), ca.0)?;
    // The oidc-provider peer serves HTTPS with the same chain and key.
    fs::write(args.dir.join("leaf-chain.pem"), leaf_pem)?;
    fs::write(args.dir.join("leaf-key.pem"), leaf_key_pem)?;
    fs::write(args.dir.join("fingerprint"), akless_server::jwks::sha1_fingerprint(&ca.1))?;

    let tcp = TcpListener::bind(args.listen).await.context("bind the issuer")?;
    let port = tcp.local_addr()?.port();
    let state = Arc::new(IssuerState {
        base: format!("https://127.0.0.1:{port}"),
        jwks: keys.jwks(),
        counts: Mutex::new(BTreeMap::new()),
    });
    let router = Router::new().fallback(handle).with_state(state);
    let listener = Listener::start(tcp, Some(tls), router)?;
    fs::write(args.dir.join("port"), port.to_string())?;
    eprintln!("issuer listening on https://127.0.0.1:{port}");
    crate::shutdown_signal().await;
    listener.shutdown().await;
    Ok(())
}

async fn handle(State(state): State<Arc<IssuerState>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if path == "/_stats" {
        let counts = state.counts.lock().map(|c| c.clone()).unwrap_or_default();
        return axum::Json(json!(counts)).into_response();
    }
    if let Ok(mut counts) = state.counts.lock() {
        *counts.entry(path.clone()).or_insert(0) += 1;
    }
    let Some(rest) = path.strip_prefix("/t/") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some((tenant, tail)) = rest.split_once('/') else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let issuer = format!("{}/t/{tenant}", state.base);
    let body = match tail {
        ".well-known/openid-configuration" => json!({
            "issuer": issuer,
            "jwks_uri": format!("{issuer}/jwks"),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA"],
        }),
        "jwks" => state.jwks.clone(),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    ([(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// The listener settings, the CA as (PEM, DER), the chain as PEM and the leaf key as PEM.
type Pki = (Arc<rustls::ServerConfig>, (String, CertificateDer<'static>), String, String);

/// Makes a CA and a leaf for 127.0.0.1 and localhost.
fn pki() -> anyhow::Result<Pki> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.distinguished_name.push(DnType::CommonName, "akless bench issuer CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = ca_params.self_signed(&ca_key)?;

    let leaf_key = KeyPair::generate()?;
    let mut leaf_params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
    leaf_params.distinguished_name.push(DnType::CommonName, "127.0.0.1");
    leaf_params.is_ca = IsCa::ExplicitNoCa;
    leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key)?;

    let chain = vec![leaf.der().clone(), ca.der().clone()];
    let key = PrivateKeyDer::try_from(leaf_key.serialize_der()).map_err(|e| anyhow::anyhow!("leaf key: {e}"))?;
    let config = tls_config(chain, key)?;
    let chain_pem = format!("{}{}", leaf.pem(), ca.pem());
    Ok((config, (ca.pem(), ca.der().clone()), chain_pem, leaf_key.serialize_pem()))
}

/// Server TLS settings as the akless listener builds them (aws-lc-rs provider, h2 and HTTP/1.1).
pub fn tls_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let mut config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
