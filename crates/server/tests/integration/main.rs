//! Integration tests of akless-server: the real server on loopback with TLS,
//! an independent test issuer, and signed clients. One binary, many modules.

mod admin;
mod authorization;
mod exchange;
mod jwks_fetch;
mod signatures;
mod testkit;
