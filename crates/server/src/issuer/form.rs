//! Reading the form body of the token, introspection and revocation endpoints within fixed bounds.

use std::collections::BTreeMap;

use akless_core::issuer::OAuthError;
use axum::body::Body;
use axum::extract::Request;
use http::HeaderMap;
use http_body_util::{BodyExt, Limited};

/// Maximum request body size. The largest field, a client assertion, is at most 8,192 characters.
pub const MAX_FORM_BYTES: usize = 16 * 1024;
/// Maximum number of form parameters.
pub const MAX_FORM_PARAMS: usize = 32;

/// A decoded form request.
pub struct FormRequest {
    /// Request headers, for `Authorization`.
    pub headers: HeaderMap,
    /// Form parameters; each name appears once.
    pub params: BTreeMap<String, String>,
}

impl FormRequest {
    /// Reads and decodes the body. Only `application/x-www-form-urlencoded` is accepted (RFC 6749
    /// section 3.2), parameters may not repeat, and the query string is ignored so that credentials
    /// sent in a URL are never used.
    pub async fn read(request: Request<Body>) -> Result<Self, OAuthError> {
        let (parts, body) = request.into_parts();
        let is_form =
            parts.headers.get(http::header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).is_some_and(|value| {
                value.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded")
            });
        if !is_form {
            return Err(OAuthError::invalid_request(
                "the Content-Type header must be application/x-www-form-urlencoded; send the parameters as a form body",
            ));
        }
        let bytes = match Limited::new(body, MAX_FORM_BYTES).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => {
                return Err(OAuthError::invalid_request(format!(
                    "the request body is larger than {MAX_FORM_BYTES} bytes"
                )))
            }
        };

        let mut params = BTreeMap::new();
        for (name, value) in form_urlencoded::parse(&bytes) {
            if params.len() >= MAX_FORM_PARAMS {
                return Err(OAuthError::invalid_request(format!(
                    "the request has more than {MAX_FORM_PARAMS} parameters"
                )));
            }
            // RFC 6749 section 3.2: request parameters must not be included more than once.
            if params.insert(name.clone().into_owned(), value.into_owned()).is_some() {
                return Err(OAuthError::invalid_request(format!(
                    "the {} parameter is repeated; send each parameter once",
                    shown_name(&name)
                )));
            }
        }
        Ok(Self { headers: parts.headers, params })
    }

    /// Returns a parameter; an empty value counts as absent (RFC 6749 section 3.2).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str).filter(|value| !value.is_empty())
    }

    /// Returns a parameter or `invalid_request` naming it.
    pub fn required(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name).ok_or_else(|| OAuthError::missing(name))
    }

    /// Returns a parameter of at most `max` bytes, or `invalid_request` naming it when it is longer.
    pub fn bounded(&self, name: &str, max: usize) -> Result<Option<&str>, OAuthError> {
        match self.get(name) {
            Some(value) if value.len() > max => {
                Err(OAuthError::invalid_request(format!("the {name} parameter is longer than {max} bytes")))
            }
            other => Ok(other),
        }
    }
}

/// Echoes a parameter name only when it is short and plain.
fn shown_name(name: &str) -> String {
    if name.len() <= 40 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        name.to_owned()
    } else {
        String::from("same")
    }
}
