//! `seed`: fills a data directory with OIDC providers, roles and policies through the `Store` trait,
//! before the server starts, because 200,000 admin calls over HTTP would dominate the run.
//!
//! Provider `i` has the issuer `{issuer_base}/t/scale-{i:03}`. Role `j` trusts provider `j % providers`
//! for the given audience and subject, and has policy `j` attached when there is one.

use std::path::PathBuf;
use std::time::Instant;

use akless_core::arn::{oidc_provider_arn, role_arn};
use akless_core::policy::{compile, PolicyKind};
use akless_server::bootstrap;
use akless_server::ServerConfig;
use akless_store::{OidcProviderRecord, PolicyRecord, RoleRecord};
use clap::Args;
use serde_json::json;

/// Arguments of `seed`.
#[derive(Args)]
pub struct SeedArgs {
    /// The akless data directory; created when missing.
    #[arg(long)]
    data_dir: PathBuf,
    /// Number of OIDC providers (the per-account limit is 100).
    #[arg(long, default_value_t = 100)]
    providers: u32,
    /// Number of roles.
    #[arg(long, default_value_t = 100_000)]
    roles: u32,
    /// Number of permission policies.
    #[arg(long, default_value_t = 100_000)]
    policies: u32,
    /// Base URL of the test issuer, `https://127.0.0.1:PORT`.
    #[arg(long)]
    issuer_base: String,
    /// SHA-1 fingerprint of the issuer's CA.
    #[arg(long)]
    fingerprint: String,
    /// The client ID every provider accepts and every trust policy requires.
    #[arg(long)]
    client_id: String,
    /// The subject every trust policy requires.
    #[arg(long)]
    subject: String,
}

/// Name of provider `i`.
pub fn provider_name(i: u32) -> String {
    format!("scale-{i:03}")
}

/// Name of role `j`.
pub fn role_name(j: u32) -> String {
    format!("scale-role-{j:06}")
}

/// Seeds the store and prints what it wrote, as JSON.
pub async fn run(args: SeedArgs) -> anyhow::Result<()> {
    let data = bootstrap::open(&ServerConfig::new(args.data_dir.clone())).await?;
    let store = data.store;
    let account = data.account.account_id;
    let now = akless_core::timefmt::unix_millis(time::OffsetDateTime::now_utc());
    let started = Instant::now();

    for i in 0..args.providers {
        let name = provider_name(i);
        let record = OidcProviderRecord {
            arn: oidc_provider_arn(&account, &name),
            issuer_url: format!("{}/t/{name}", args.issuer_base),
            name,
            client_ids: vec![args.client_id.clone()],
            fingerprints: vec![args.fingerprint.clone()],
            issuance_limit_hours: 12,
            description: String::new(),
            created_ms: now,
            updated_ms: now,
        };
        store.create_oidc_provider(&record, args.providers).await?;
    }
    let providers_done = started.elapsed();

    for j in 0..args.policies {
        let document = json!({"Version": "1", "Statement": [{
            "Effect": "Allow",
            "Action": ["oss:GetObject", "oss:ListObjects"],
            "Resource": [format!("acs:oss:*:*:bucket-{j}"), format!("acs:oss:*:*:bucket-{j}/*")],
        }]})
        .to_string();
        if j == 0 {
            compile(&document, PolicyKind::Permission).map_err(|e| anyhow::anyhow!("policy does not compile: {e}"))?;
        }
        let record = PolicyRecord {
            name: format!("scale-policy-{j:06}"),
            policy_type: "Custom".to_owned(),
            document,
            description: String::new(),
            default_version: "v1".to_owned(),
            created_ms: now,
            updated_ms: now,
            attachment_count: 0,
        };
        store.create_policy(&record).await?;
    }
    let policies_done = started.elapsed();

    for j in 0..args.roles {
        let provider = oidc_provider_arn(&account, &provider_name(j % args.providers.max(1)));
        let trust = json!({"Version": "1", "Statement": [{
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Principal": {"Federated": [provider]},
            "Condition": {"StringEquals": {"oidc:aud": args.client_id, "oidc:sub": args.subject}},
        }]})
        .to_string();
        if j == 0 {
            compile(&trust, PolicyKind::Trust).map_err(|e| anyhow::anyhow!("trust policy does not compile: {e}"))?;
        }
        let name = role_name(j);
        let record = RoleRecord {
            role_id: format!("3{j:016}"),
            arn: role_arn(&account, &name),
            name: name.clone(),
            trust_policy: trust,
            trusted_provider_arns: vec![provider],
            description: String::new(),
            max_session_duration: 3600,
            created_ms: now,
            updated_ms: now,
        };
        store.create_role(&record).await?;
        if j < args.policies {
            store.attach_policy_to_role(&name, &format!("scale-policy-{j:06}")).await?;
        }
    }
    let out = json!({
        "account_id": account,
        "providers": args.providers,
        "policies": args.policies,
        "roles": args.roles,
        "seconds_providers": providers_done.as_secs_f64(),
        "seconds_policies": (policies_done - providers_done).as_secs_f64(),
        "seconds_roles_and_attachments": (started.elapsed() - policies_done).as_secs_f64(),
    });
    println!("{out}");
    Ok(())
}
