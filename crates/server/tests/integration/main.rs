//! Integration tests of akless-server: the real server on loopback with TLS,
//! an independent test issuer, and signed clients. One binary, many modules.

mod admin;
mod authorization;
mod exchange;
mod issuer_admin;
mod issuer_chain;
mod issuer_introspect;
mod issuer_token;
mod jwks_fetch;
mod multinode;
mod signatures;
mod testkit;
