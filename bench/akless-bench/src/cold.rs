//! `cold`: many concurrent AssumeRoleWithOIDC calls for an issuer whose keys the server has not
//! fetched yet. Reports the time to the first and the last success and how many discovery and JWKS
//! requests the issuer saw, which must be one each: the key cache fetches once per issuer.
//!
//! Connections are opened (one request each) before the clock starts, so the measured time is the
//! exchange and the key fetch, not TCP and TLS setup.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use serde_json::{json, Value};
use tokio::sync::Barrier;

/// Arguments of `cold`.
#[derive(Args)]
pub struct ColdArgs {
    /// Base URL of the akless server.
    #[arg(long)]
    url: String,
    /// Form body of the exchange (Action and Version go in the query).
    #[arg(long)]
    body_file: PathBuf,
    /// Number of concurrent exchanges.
    #[arg(long, default_value_t = 200)]
    concurrency: usize,
    /// PEM files of CAs to trust (the akless local CA, the issuer CA).
    #[arg(long)]
    ca_file: Vec<PathBuf>,
    /// Base URL of the test issuer, whose `/_stats` counts requests per path.
    #[arg(long)]
    issuer_base: String,
    /// Path prefix of the cold issuer, `/t/<tenant>`.
    #[arg(long)]
    tenant_path: String,
}

/// Runs the scenario and prints one JSON object.
pub async fn run(args: ColdArgs) -> anyhow::Result<()> {
    let client = client(&args.ca_file, args.concurrency)?;
    let body = std::fs::read_to_string(&args.body_file).context("read the body file")?;
    let endpoint = format!("{}/?Action=AssumeRoleWithOIDC&Version=2015-04-01", args.url.trim_end_matches('/'));

    // One cheap request per connection, all at once, so the pool holds `concurrency` open connections.
    let warm = Arc::new(Barrier::new(args.concurrency));
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (client, url, warm) = (client.clone(), args.url.clone(), warm.clone());
        tasks.push(tokio::spawn(async move {
            warm.wait().await;
            client.get(url).send().await.map(|r| r.status().as_u16()).ok()
        }));
    }
    for task in tasks {
        task.await?;
    }

    let before = stats(&client, &args.issuer_base).await?;
    let gate = Arc::new(Barrier::new(args.concurrency + 1));
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (client, endpoint, body, gate) = (client.clone(), endpoint.clone(), body.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            gate.wait().await;
            let result = client
                .post(endpoint)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await;
            let outcome = match result {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let text = response.text().await.unwrap_or_default();
                    (status, status == 200 && text.contains("\"SecurityToken\""))
                }
                Err(_) => (0, false),
            };
            (Instant::now(), outcome)
        }));
    }
    gate.wait().await;
    let started = Instant::now();
    let mut done = Vec::new();
    for task in tasks {
        done.push(task.await?);
    }
    let after = stats(&client, &args.issuer_base).await?;

    let millis = |at: Instant| at.saturating_duration_since(started).as_secs_f64() * 1000.0;
    let successes: Vec<f64> = done.iter().filter(|(_, (_, ok))| *ok).map(|(at, _)| millis(*at)).collect();
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    for (_, (status, _)) in &done {
        *statuses.entry(status.to_string()).or_insert(0) += 1;
    }
    let fetched = |suffix: &str| {
        let path = format!("{}{suffix}", args.tenant_path);
        let count = |v: &Value| v.get(&path).and_then(Value::as_u64).unwrap_or(0);
        count(&after) - count(&before)
    };
    let out = json!({
        "concurrency": args.concurrency,
        "successes": successes.len(),
        "statuses": statuses,
        "first_success_ms": successes.iter().copied().fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.min(x)))),
        "last_success_ms": successes.iter().copied().fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x)))),
        "discovery_fetches": fetched("/.well-known/openid-configuration"),
        "jwks_fetches": fetched("/jwks"),
    });
    println!("{out}");
    Ok(())
}

async fn stats(client: &reqwest::Client, issuer_base: &str) -> anyhow::Result<Value> {
    let url = format!("{}/_stats", issuer_base.trim_end_matches('/'));
    Ok(client.get(url).send().await?.error_for_status()?.json().await?)
}

/// An HTTP/1.1 client (no ALPN, so each request in flight needs its own connection) trusting `ca_files`.
fn client(ca_files: &[PathBuf], pool: usize) -> anyhow::Result<reqwest::Client> {
    let mut roots = rustls::RootCertStore::empty();
    for path in ca_files {
        for cert in akless_server::tls::load_certs(path)? {
            roots.add(cert)?;
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .pool_max_idle_per_host(pool)
        .timeout(Duration::from_secs(30))
        .no_proxy()
        .build()?)
}
