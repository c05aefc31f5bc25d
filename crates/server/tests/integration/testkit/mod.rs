//! Test helpers shared by the integration tests.

// Each test file uses a different part of the helpers.
#![allow(dead_code)]

pub mod client;
pub mod issuer;
pub mod oauth;
pub mod server;
