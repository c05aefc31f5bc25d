//! Action handlers: parse the typed request, authorize, call the store or the
//! core, and return the response fields. Handlers hold no protocol logic.

pub mod ims;
pub mod issuer;
pub mod ram_policy;
pub mod ram_role;
pub mod sts;

use akless_core::error::ApiError;
use akless_core::timefmt::{from_unix_millis, iso8601};
use akless_store::StoreError;

use crate::rpc::params::RpcRequest;

/// Maps a store error to its OpenAPI error; backend failures are logged and hidden.
pub fn store_error(error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound { kind, name } => ApiError::entity_not_exist(kind.as_str(), &name),
        StoreError::Conflict { kind, name } => ApiError::entity_already_exists(kind.as_str(), format!("\"{name}\"")),
        StoreError::LimitExceeded { kind, limit } => ApiError::limit_exceeded(kind.as_str(), limit, &plural(kind.as_str())),
        StoreError::InUse { kind, name, users } => {
            let user_kind = match kind.as_str() {
                "Role" => "Policy",
                // Resource servers and their permissions are used by the grants of these clients.
                "ResourceServer" | "ResourceServer.Permission" => "Client",
                _ => "Role",
            };
            ApiError::delete_conflict(kind.as_str(), user_kind, &name, &users)
        }
        StoreError::InvalidMarker => {
            ApiError::invalid_parameter("Marker", "the marker is not one returned by a previous list call; omit it to start over")
        }
        other => crate::registry::store_failure(other),
    }
}

fn plural(kind: &str) -> String {
    match kind {
        "OIDCProvider" => "OIDC providers in the account".to_owned(),
        "OIDCProvider.ClientId" => "client IDs of the OIDC provider".to_owned(),
        "OIDCProvider.Fingerprint" => "fingerprints of the OIDC provider".to_owned(),
        "ResourceServer" => "resource servers in the account".to_owned(),
        "Client" => "clients in the account".to_owned(),
        "Client.Secret" => "active secrets of the client".to_owned(),
        other => format!("{other} entries"),
    }
}

/// Formats stored milliseconds as the wire date.
pub fn wire_date(ms: i64) -> String {
    iso8601(from_unix_millis(ms))
}

/// Reads `MaxItems` within `1..=max`, defaulting to `default`.
pub fn max_items(req: &RpcRequest, default: u32, max: u32) -> Result<u32, ApiError> {
    match req.optional_u32("MaxItems")? {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid_parameter("MaxItems", format!("use a whole number from 1 to {max}"))),
    }
}
