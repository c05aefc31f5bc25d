//! The test issuer's signing keys (RSA-2048, P-256, Ed25519), kept as PKCS#8 files so that the
//! issuer process and `mint` share them, and compact JWS signing with them.

use std::fs;
use std::path::Path;

use anyhow::{bail, Context};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

/// `kid` of the RSA key.
pub const RSA_KID: &str = "bench-rsa-2048";
/// `kid` of the P-256 key.
pub const EC_KID: &str = "bench-ec-p256";
/// `kid` of the Ed25519 key.
pub const ED_KID: &str = "bench-ed25519";

/// The three key pairs.
pub struct IssuerKeys {
    rsa: RsaKeyPair,
    ec: EcdsaKeyPair,
    ed: Ed25519KeyPair,
}

/// The token algorithms the bench mints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Alg {
    #[value(name = "RS256")]
    Rs256,
    #[value(name = "ES256")]
    Es256,
    #[value(name = "EdDSA")]
    EdDsa,
}

impl IssuerKeys {
    /// Loads the keys from `dir/keys/`, generating and writing them on first use.
    pub fn load_or_create(dir: &Path) -> anyhow::Result<Self> {
        let keys = dir.join("keys");
        fs::create_dir_all(&keys).with_context(|| format!("create {}", keys.display()))?;
        let read_or = |name: &str, make: &dyn Fn() -> anyhow::Result<Vec<u8>>| -> anyhow::Result<Vec<u8>> {
            let path = keys.join(name);
            if let Ok(bytes) = fs::read(&path) {
                return Ok(bytes);
            }
            let bytes = make()?;
            fs::write(&path, &bytes).with_context(|| format!("write {}", path.display()))?;
            Ok(bytes)
        };
        let rsa = read_or("rsa.pk8", &|| {
            let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| anyhow::anyhow!("RSA keygen"))?;
            Ok(AsDer::<Pkcs8V1Der>::as_der(&pair).map_err(|_| anyhow::anyhow!("RSA PKCS#8"))?.as_ref().to_vec())
        })?;
        let ec = read_or("ec.pk8", &|| {
            let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                .map_err(|_| anyhow::anyhow!("P-256 keygen"))?;
            Ok(pair.to_pkcs8v1().map_err(|_| anyhow::anyhow!("P-256 PKCS#8"))?.as_ref().to_vec())
        })?;
        let ed = read_or("ed25519.pk8", &|| {
            let pair = Ed25519KeyPair::generate().map_err(|_| anyhow::anyhow!("Ed25519 keygen"))?;
            Ok(pair.to_pkcs8v1().map_err(|_| anyhow::anyhow!("Ed25519 PKCS#8"))?.as_ref().to_vec())
        })?;
        Ok(Self {
            rsa: RsaKeyPair::from_pkcs8(&rsa).map_err(|e| anyhow::anyhow!("RSA key: {e}"))?,
            ec: EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &ec)
                .map_err(|e| anyhow::anyhow!("P-256 key: {e}"))?,
            ed: Ed25519KeyPair::from_pkcs8(&ed).map_err(|e| anyhow::anyhow!("Ed25519 key: {e}"))?,
        })
    }

    /// Returns the public JWKS with all three keys.
    pub fn jwks(&self) -> Value {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let rsa = self.rsa.public_key();
        let point = self.ec.public_key().as_ref();
        json!({"keys": [
            {"kty": "RSA", "kid": RSA_KID, "use": "sig", "alg": "RS256",
             "n": b64(rsa.modulus().big_endian_without_leading_zero()),
             "e": b64(rsa.exponent().big_endian_without_leading_zero())},
            {"kty": "EC", "kid": EC_KID, "use": "sig", "alg": "ES256", "crv": "P-256",
             "x": b64(&point[1..33]), "y": b64(&point[33..65])},
            {"kty": "OKP", "kid": ED_KID, "use": "sig", "alg": "EdDSA", "crv": "Ed25519",
             "x": b64(self.ed.public_key().as_ref())},
        ]})
    }

    /// Signs `claims` as a compact JWS with the key of `alg`.
    pub fn sign(&self, alg: Alg, claims: &Value) -> anyhow::Result<String> {
        let (name, kid) = match alg {
            Alg::Rs256 => ("RS256", RSA_KID),
            Alg::Es256 => ("ES256", EC_KID),
            Alg::EdDsa => ("EdDSA", ED_KID),
        };
        let header = json!({"alg": name, "kid": kid, "typ": "JWT"});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?)
        );
        let rng = SystemRandom::new();
        let signature = match alg {
            Alg::Rs256 => {
                let mut out = vec![0u8; self.rsa.public_modulus_len()];
                self.rsa
                    .sign(&RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut out)
                    .map_err(|_| anyhow::anyhow!("RSA signing failed"))?;
                out
            }
            Alg::Es256 => self
                .ec
                .sign(&rng, input.as_bytes())
                .map_err(|_| anyhow::anyhow!("ECDSA signing failed"))?
                .as_ref()
                .to_vec(),
            Alg::EdDsa => self.ed.sign(input.as_bytes()).as_ref().to_vec(),
        };
        if signature.is_empty() {
            bail!("empty signature");
        }
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}
