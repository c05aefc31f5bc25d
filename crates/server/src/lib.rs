//! HTTP layer of akless: the Alibaba Cloud OpenAPI RPC endpoint with the IMS,
//! RAM and STS actions, request signatures, the pinned JWKS fetcher and the
//! audit writer. Handlers stay thin: parse, call the core, render.
#![forbid(unsafe_code)]

pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod changes;
pub mod config;
pub mod handlers;
pub mod issuer;
pub mod jwks;
pub mod nonce;
pub mod registry;
pub mod rpc;
mod server;
pub mod serve;
pub mod state;
pub mod tls;

pub use config::{DatabaseUrl, ServerConfig, TlsMode};
pub use server::{Server, ServerError};
