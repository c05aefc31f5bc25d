//! The RPC-style OpenAPI endpoint: parsing, dispatch on (Version, Action), rendering.

pub mod dispatch;
pub mod params;
pub mod response;

/// STS API version.
pub const STS_VERSION: &str = "2015-04-01";
/// IMS API version (OIDC providers).
pub const IMS_VERSION: &str = "2019-08-15";
/// RAM API version (roles and policies).
pub const RAM_VERSION: &str = "2015-05-01";
/// akless issuer API version (resource servers, clients, grants and signing keys of the M2M token issuer).
pub const ISSUER_VERSION: &str = "2026-12-01";
