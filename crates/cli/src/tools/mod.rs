//! Client tools for workloads: certificate fingerprints, M2M tokens and the token-for-credentials exchange.

pub mod exchange;
pub mod fingerprint;
pub mod token;
