//! JSON responses of the issuer endpoints and the OAuth error body (RFC 6749 section 5.2).

use akless_core::issuer::{OAuthError, OAuthErrorCode};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Serialize;
use serde_json::{json, Value};

use crate::rpc::response::json_body;

/// The `WWW-Authenticate` challenge sent with `invalid_client`.
const CHALLENGE: &str = "Basic realm=\"akless issuer\"";

/// Renders a 200 JSON body that caches must not store, because it carries a token or token facts.
pub fn no_store_json<T: Serialize>(request_id: &str, body: T) -> Response {
    let mut response = json_body(StatusCode::OK, &body);
    add_no_store(&mut response, request_id);
    response
}

/// Renders a 200 JSON body that may be cached, for discovery and JWKS.
pub fn public_json(body: Value) -> Response {
    json_body(StatusCode::OK, &body)
}

/// Renders `{"error","error_description","request_id"}` with the error's status. `invalid_client`
/// gets HTTP 401 and a `WWW-Authenticate: Basic` challenge (RFC 6749 section 5.2).
pub fn error(request_id: &str, error: &OAuthError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = json!({
        "error": error.code.as_str(),
        "error_description": error.description,
        "request_id": request_id,
    });
    let mut response = json_body(status, &body);
    add_no_store(&mut response, request_id);
    if error.code == OAuthErrorCode::InvalidClient {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(CHALLENGE));
    }
    response
}

fn add_no_store(response: &mut Response, request_id: &str) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-acs-request-id", value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_client_has_challenge_and_401() {
        let response = error("ID", &OAuthError::invalid_client("bad"));
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], CHALLENGE);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    }

    #[test]
    fn other_errors_are_400_without_challenge() {
        let response = error("ID", &OAuthError::invalid_scope("bad"));
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().get(header::WWW_AUTHENTICATE).is_none());
    }
}
