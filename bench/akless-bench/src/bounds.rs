//! `bounds`: what the unavoidable cryptography costs with aws-lc-rs, the library the server uses.
//!
//! Each operation runs on one thread for a fixed time (the per-core rate), then on every core at
//! once (the machine's rate). Verifications use keys parsed once (`ParsedPublicKey`), the cheapest
//! form aws-lc-rs offers; the `*_unparsed` rows parse the key on every call, for comparison.

use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, ParsedPublicKey, RsaKeyPair, RsaPublicKeyComponents,
    UnparsedPublicKey, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256,
};
use clap::Args;
use serde_json::{json, Map, Value};

/// Arguments of `bounds`.
#[derive(Args)]
pub struct BoundsArgs {
    /// Seconds each operation runs, once on one thread and once on all threads.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
    /// Threads of the all-cores run; 0 means the number of cores.
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

/// A JWT signing input of typical size: header and claims of a Kubernetes service-account token.
fn message() -> Vec<u8> {
    let mut text = String::from("eyJhbGciOiJSUzI1NiIsImtpZCI6ImJlbmNoLXJzYS0yMDQ4IiwidHlwIjoiSldUIn0.");
    text.push_str(&"eyJpc3MiOiJodHRwczovLzEyNy4wLjAuMTo0NDMvdC9iZW5jaCIsInN1YiI6InN5c3RlbTpzZXJ2aWNl".repeat(6));
    text.into_bytes()
}

type Op = Box<dyn Fn() -> bool + Send + Sync>;

/// Prints one JSON object with per-core and all-core rates of every operation.
pub fn run(args: BoundsArgs) -> anyhow::Result<()> {
    let threads = if args.threads == 0 {
        std::thread::available_parallelism().map(usize::from).unwrap_or(1)
    } else {
        args.threads
    };
    let duration = Duration::from_secs_f64(args.seconds);
    let msg = message();
    let rng = SystemRandom::new();

    let rsa = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| anyhow::anyhow!("RSA keygen"))?;
    let mut rsa_sig = vec![0u8; rsa.public_modulus_len()];
    rsa.sign(&RSA_PKCS1_SHA256, &rng, &msg, &mut rsa_sig).map_err(|_| anyhow::anyhow!("RSA sign"))?;
    let rsa_n = rsa.public_key().modulus().big_endian_without_leading_zero().to_vec();
    let rsa_e = rsa.public_key().exponent().big_endian_without_leading_zero().to_vec();

    let ec = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(|_| anyhow::anyhow!("EC keygen"))?;
    let ec_sig = ec.sign(&rng, &msg).map_err(|_| anyhow::anyhow!("EC sign"))?.as_ref().to_vec();
    let ec_point = ec.public_key().as_ref().to_vec();

    let ed = Ed25519KeyPair::generate().map_err(|_| anyhow::anyhow!("Ed25519 keygen"))?;
    let ed_sig = ed.sign(&msg).as_ref().to_vec();
    let ed_public = ed.public_key().as_ref().to_vec();

    let mut ops: Vec<(&str, Op)> = Vec::new();
    {
        let parsed = RsaPublicKeyComponents { n: rsa_n.as_slice(), e: rsa_e.as_slice() }
            .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
            .map_err(|_| anyhow::anyhow!("RSA parse"))?;
        let (msg, sig) = (msg.clone(), rsa_sig.clone());
        ops.push(("rs256_verify", Box::new(move || parsed.verify_sig(&msg, &sig).is_ok())));
    }
    {
        let (msg, sig, n, e) = (msg.clone(), rsa_sig.clone(), rsa_n.clone(), rsa_e.clone());
        ops.push((
            "rs256_verify_unparsed",
            Box::new(move || {
                RsaPublicKeyComponents { n: n.as_slice(), e: e.as_slice() }
                    .verify(&signature::RSA_PKCS1_2048_8192_SHA256, &msg, &sig)
                    .is_ok()
            }),
        ));
    }
    {
        let parsed = ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &ec_point)
            .map_err(|_| anyhow::anyhow!("EC parse"))?;
        let (msg, sig) = (msg.clone(), ec_sig.clone());
        ops.push(("es256_verify", Box::new(move || parsed.verify_sig(&msg, &sig).is_ok())));
    }
    {
        let (msg, sig, point) = (msg.clone(), ec_sig.clone(), ec_point.clone());
        ops.push((
            "es256_verify_unparsed",
            Box::new(move || {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point).verify(&msg, &sig).is_ok()
            }),
        ));
    }
    {
        let parsed =
            ParsedPublicKey::new(&signature::ED25519, &ed_public).map_err(|_| anyhow::anyhow!("Ed25519 parse"))?;
        let (msg, sig) = (msg.clone(), ed_sig.clone());
        ops.push(("eddsa_verify", Box::new(move || parsed.verify_sig(&msg, &sig).is_ok())));
    }
    {
        let (msg, sig, public) = (msg.clone(), ed_sig.clone(), ed_public.clone());
        ops.push((
            "eddsa_verify_unparsed",
            Box::new(move || UnparsedPublicKey::new(&signature::ED25519, &public).verify(&msg, &sig).is_ok()),
        ));
    }
    {
        let msg = msg.clone();
        let rng = SystemRandom::new();
        ops.push(("es256_sign", Box::new(move || ec.sign(&rng, &msg).is_ok())));
    }
    {
        let msg = msg.clone();
        let rng = SystemRandom::new();
        ops.push((
            "rs256_sign",
            Box::new(move || {
                let mut out = vec![0u8; rsa.public_modulus_len()];
                rsa.sign(&RSA_PKCS1_SHA256, &rng, &msg, &mut out).is_ok()
            }),
        ));
    }

    let mut results = Map::new();
    for (name, op) in &ops {
        anyhow::ensure!(op(), "{name} failed its self-check");
        let single = rate(op.as_ref(), 1, duration);
        let all = rate(op.as_ref(), threads, duration);
        eprintln!("{name:24} {single:>10.0}/s on one core, {all:>10.0}/s on {threads} threads");
        results.insert(
            (*name).to_owned(),
            json!({"per_core": single.round(), "all_cores": all.round(), "threads": threads}),
        );
    }
    let out = json!({"library": "aws-lc-rs", "cores": threads, "ops": Value::Object(results)});
    println!("{out}");
    Ok(())
}

/// Runs `op` on `threads` threads for `duration`; returns operations per second over all threads.
fn rate(op: &(dyn Fn() -> bool + Send + Sync), threads: usize, duration: Duration) -> f64 {
    let started = Instant::now();
    let total: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(move || {
                    let mut count = 0u64;
                    let start = Instant::now();
                    while start.elapsed() < duration {
                        for _ in 0..16 {
                            black_box(op());
                        }
                        count += 16;
                    }
                    count
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    total as f64 / started.elapsed().as_secs_f64()
}
