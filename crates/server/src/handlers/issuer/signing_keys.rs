//! Signing key actions and GetIssuer.
//!
//! RotateSigningKey creates a key that the JWKS publishes at once and that signs after
//! ActivationDelay seconds (default 60, 0 allowed). The previous key signs until then and stays
//! published for the longest access-token lifetime plus 5 minutes, so no token it signed outlives it.
//! A delay of at least the 15-second key reload interval lets every node sharing the store publish
//! the new key before any node signs with it. Rotating again while the newest key is still pending is
//! rejected with `InvalidOperation.SigningKeyPending` (HTTP 409).

use akless_core::error::ApiError;
use akless_core::issuer::{rules, SigningAlgorithm};
use akless_core::timefmt::unix_millis;
use akless_store::SigningKeyRecord;
use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use super::{authorize_action, single, store_error};
use crate::auth::Caller;
use crate::handlers::wire_date;
use crate::issuer::keys::{KeyError, KeyState};
use crate::rpc::dispatch::HandlerResult;
use crate::rpc::params::RpcRequest;
use crate::state::AppState;

pub(super) async fn handle(state: &AppState, req: &RpcRequest, caller: &Caller) -> HandlerResult {
    let account = state.account_id();
    let resource = if req.action == "GetIssuer" {
        format!("acs:akless::{account}:issuer")
    } else {
        format!("acs:akless::{account}:signing-key/*")
    };
    authorize_action(state, req, caller, &[resource]).await?;
    match req.action.as_str() {
        "RotateSigningKey" => rotate(state, req).await,
        "ListSigningKeys" => {
            let now = unix_millis(OffsetDateTime::now_utc());
            let keys = state.issuer().store().list_signing_keys().await.map_err(store_error)?;
            single("SigningKeys", Value::Array(keys.iter().map(|key| key_json(key, now)).collect()))
        }
        "GetIssuer" => get_issuer(state).await,
        other => Err(ApiError::action_not_found(other, &req.version)),
    }
}

async fn rotate(state: &AppState, req: &RpcRequest) -> HandlerResult {
    let requested = req.optional("Algorithm").map(rules::signing_algorithm).transpose()?;
    let delay = match req.optional_u32("ActivationDelay")? {
        Some(seconds) => rules::activation_delay(seconds)?,
        None => rules::DEFAULT_ACTIVATION_DELAY_SECS,
    };
    let now = unix_millis(OffsetDateTime::now_utc());
    let keys = state.issuer().keys();
    let algorithm = match requested {
        Some(algorithm) => algorithm,
        None => newest_algorithm(state).await?,
    };
    let record = keys.rotate(algorithm, i64::from(delay) * 1000, now).await.map_err(|error| match error {
        KeyError::Pending { kid } => ApiError::new(
            "InvalidOperation.SigningKeyPending",
            409,
            format!("The signing key {kid} has not activated yet. Wait until its ActivateDate before rotating again."),
        ),
        KeyError::Store(error) => store_error(error),
        other => {
            tracing::error!(error = %other, "rotating the issuer signing key failed");
            ApiError::internal()
        }
    })?;
    state.issuer().invalidate();
    state.jwks().invalidate_all();
    single("SigningKey", key_json(&record, now))
}

/// Returns the algorithm of the newest key, so a rotation without `Algorithm` keeps the issuer's choice.
async fn newest_algorithm(state: &AppState) -> Result<SigningAlgorithm, ApiError> {
    let keys = state.issuer().store().list_signing_keys().await.map_err(store_error)?;
    Ok(keys.last().and_then(|key| key.algorithm.parse().ok()).unwrap_or(SigningAlgorithm::Es256))
}

async fn get_issuer(state: &AppState) -> HandlerResult {
    let urls = state.issuer().urls();
    let now = unix_millis(OffsetDateTime::now_utc());
    let algorithm = state.issuer().keys().signer(now).map(|key| key.key.alg().as_str()).unwrap_or("");
    let mut fields = Map::new();
    fields.insert(
        "Issuer".into(),
        json!({
            "IssuerUrl": urls.issuer,
            "DiscoveryUrl": urls.discovery,
            "JwksUri": urls.jwks_uri,
            "TokenEndpoint": urls.token_endpoint,
            "IntrospectionEndpoint": urls.introspection_endpoint,
            "RevocationEndpoint": urls.revocation_endpoint,
            "SigningAlgorithm": algorithm,
        }),
    );
    Ok(fields)
}

/// Renders a key: `State` is Pending, Active, Retiring or Removed at `now_ms`; `RetireDate` and
/// `RemoveDate` appear once a successor exists.
fn key_json(key: &SigningKeyRecord, now_ms: i64) -> Value {
    let mut value = json!({
        "Kid": key.kid,
        "Algorithm": key.algorithm,
        "State": KeyState::of(key, now_ms).as_str(),
        "CreateDate": wire_date(key.created_ms),
        "ActivateDate": wire_date(key.activate_at_ms),
    });
    if let Some(retire) = key.retire_at_ms {
        value["RetireDate"] = Value::String(wire_date(retire));
    }
    if let Some(remove) = key.remove_at_ms {
        value["RemoveDate"] = Value::String(wire_date(remove));
    }
    value
}
