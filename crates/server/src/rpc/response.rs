//! Rendering of OpenAPI response bodies: success objects and the Alibaba error body.

use akless_core::error::ApiError;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

/// Host name reported in error bodies as `HostId`.
pub const HOST_ID: &str = "akless";

/// Renders a success body: `fields` plus `RequestId`.
pub fn success(request_id: &str, mut fields: Map<String, Value>) -> Response {
    fields.insert("RequestId".into(), Value::String(request_id.to_owned()));
    json_response(StatusCode::OK, request_id, Value::Object(fields))
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

fn json_response(status: StatusCode, request_id: &str, body: Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-acs-request-id", value);
    }
    response
}
