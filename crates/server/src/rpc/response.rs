//! Rendering of OpenAPI response bodies: success objects and the Alibaba error body.

use akless_core::error::ApiError;
use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// Host name reported in error bodies as `HostId`.
pub const HOST_ID: &str = "akless";

/// Initial capacity of a response body. An AssumeRoleWithOIDC response is about 1.6 KB, so it is
/// written without regrowing and copying the buffer.
const BODY_CAPACITY: usize = 2048;

/// Renders a success body: `fields` plus `RequestId`.
pub fn success(request_id: &str, mut fields: Map<String, Value>) -> Response {
    fields.insert("RequestId".into(), Value::String(request_id.to_owned()));
    json_response(StatusCode::OK, request_id, Value::Object(fields))
}

/// Renders a success body from a typed value whose members come first, then `RequestId`.
pub fn success_typed<T: Serialize>(request_id: &str, body: &T) -> Response {
    #[derive(Serialize)]
    struct WithRequestId<'a, T> {
        #[serde(flatten)]
        body: &'a T,
        #[serde(rename = "RequestId")]
        request_id: &'a str,
    }
    let mut response = json_body(StatusCode::OK, &WithRequestId { body, request_id });
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-acs-request-id", value);
    }
    response
}

/// Renders `{"RequestId","HostId","Code","Message","Recommend"}` with the error's HTTP status.
pub fn error(request_id: &str, err: &ApiError) -> Response {
    let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = json!({
        "RequestId": request_id,
        "HostId": HOST_ID,
        "Code": err.code,
        "Message": err.message,
        "Recommend": format!("Look up the error code {} in the akless README.", err.code),
    });
    json_response(status, request_id, body)
}

/// Renders `body` as `application/json` with `status`, serialized into a buffer sized for the common responses.
pub fn json_body<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    let mut bytes = Vec::with_capacity(BODY_CAPACITY);
    if serde_json::to_writer(&mut bytes, body).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn json_response(status: StatusCode, request_id: &str, body: Value) -> Response {
    let mut response = json_body(status, &body);
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-acs-request-id", value);
    }
    response
}
