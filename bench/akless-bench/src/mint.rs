//! `mint`: prints an OIDC ID token signed with the test issuer's key of the chosen algorithm.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;
use time::OffsetDateTime;

use crate::keys::{Alg, IssuerKeys};

/// Arguments of `mint`.
#[derive(Args)]
pub struct MintArgs {
    /// The issuer's folder (the `--dir` of `issuer`), which holds the keys.
    #[arg(long)]
    dir: PathBuf,
    /// Signature algorithm.
    #[arg(long, value_enum)]
    alg: Alg,
    /// The `iss` claim: the provider's IssuerUrl. With `--count`, `{i}` in it becomes 000, 001, ...
    #[arg(long)]
    iss: String,
    /// Print this many tokens, one a line, for the issuers `--iss` names with `{i}`.
    #[arg(long)]
    count: Option<u32>,
    /// The `aud` claim: a client ID of the provider.
    #[arg(long)]
    aud: String,
    /// The `sub` claim.
    #[arg(long)]
    sub: String,
    /// Seconds until `exp`.
    #[arg(long, default_value_t = 3600)]
    ttl: i64,
}

/// Prints one token, or `--count` tokens one a line.
pub fn run(args: MintArgs) -> anyhow::Result<()> {
    let keys = IssuerKeys::load_or_create(&args.dir)?;
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let issuers: Vec<String> = match args.count {
        None => vec![args.iss.clone()],
        Some(count) => {
            anyhow::ensure!(args.iss.contains("{i}"), "--count needs {{i}} in --iss");
            (0..count).map(|i| args.iss.replace("{i}", &format!("{i:03}"))).collect()
        }
    };
    for iss in issuers {
        let claims = json!({
            "iss": iss,
            "aud": args.aud,
            "sub": args.sub,
            "iat": now,
            "nbf": now,
            "exp": now + args.ttl,
            "jti": format!("bench-{now}"),
        });
        println!("{}", keys.sign(args.alg, &claims)?);
    }
    Ok(())
}
