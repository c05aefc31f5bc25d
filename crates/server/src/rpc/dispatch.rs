//! Entry point of every OpenAPI request: read the body within its bound, parse
//! parameters, authenticate when the action needs it, and call the handler.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use http_body_util::{BodyExt, Limited};
use serde_json::{Map, Value};
use tracing::Instrument;

use akless_core::error::ApiError;

use super::params::RpcRequest;
use super::{response, IMS_VERSION, ISSUER_VERSION, RAM_VERSION, STS_VERSION};
use crate::auth::{verify_signed_request, Caller};
use crate::handlers::{ims, issuer, ram_policy, ram_role, sts};
use crate::serve::ConnInfo;
use crate::state::AppState;

/// Result of a handler: the response fields besides `RequestId`.
pub type HandlerResult = Result<Map<String, Value>, ApiError>;

/// Handles `GET /` and `POST /`.
pub async fn handle(State(state): State<AppState>, request: Request) -> Response {
    let request_id = new_request_id();
    let span = tracing::info_span!("rpc", request_id = %request_id, action = tracing::field::Empty);
    async move {
        match run(&state, request, &request_id).await {
            Ok(Reply::Fields(fields)) => response::success(&request_id, fields),
            Ok(Reply::Exchange(body)) => response::success_typed(&request_id, &body),
            Err(error) => {
                if error.status >= 500 {
                    tracing::error!(code = %error.code, "request failed");
                } else {
                    tracing::info!(code = %error.code, status = error.status, "request rejected");
                }
                response::error(&request_id, &error)
            }
        }
    }
    .instrument(span)
    .await
}

/// A handler's success value: a JSON object the handler built, or the typed AssumeRoleWithOIDC body.
enum Reply {
    Fields(Map<String, Value>),
    Exchange(Box<sts::ExchangeResponse>),
}

async fn run(state: &AppState, request: Request, request_id: &str) -> Result<Reply, ApiError> {
    if request.method() != http::Method::GET && request.method() != http::Method::POST {
        return Err(ApiError::new(
            "UnsupportedHTTPMethod",
            405,
            format!("The HTTP method {} is not supported; send GET or POST.", request.method()),
        ));
    }
    let conn = request.extensions().get::<ConnInfo>().copied();
    let (mut parts, body) = request.into_parts();
    let limit = state.config().max_body_bytes;
    let body = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Err(ApiError::request_too_large(limit)),
    };
    // HTTP/2 carries the host in the URI authority; V3 signatures cover it as the host header.
    if !parts.headers.contains_key(http::header::HOST) {
        if let Some(authority) = parts.uri.authority().and_then(|a| a.as_str().parse().ok()) {
            parts.headers.insert(http::header::HOST, authority);
        }
    }

    let req = RpcRequest::parse(
        parts.method,
        parts.uri.path(),
        parts.uri.query(),
        parts.headers,
        body,
        request_id.to_owned(),
        conn.map(|c| c.peer.ip()),
        conn.map(|c| c.tls).unwrap_or(false),
    )?;
    tracing::Span::current().record("action", req.action.as_str());

    if req.version == STS_VERSION && req.action == "AssumeRoleWithOIDC" {
        return sts::assume_role_with_oidc(state, &req).await.map(|body| Reply::Exchange(Box::new(body)));
    }
    if ![STS_VERSION, IMS_VERSION, RAM_VERSION, ISSUER_VERSION].contains(&req.version.as_str()) {
        return Err(ApiError::invalid_version(&req.version));
    }
    if !is_signed_action(&req.version, &req.action) {
        return Err(ApiError::action_not_found(&req.action, &req.version));
    }
    let caller = verify_signed_request(state, &req).await?;
    dispatch_signed(state, &req, &caller).await.map(Reply::Fields)
}

fn is_signed_action(version: &str, action: &str) -> bool {
    match version {
        STS_VERSION => action == "GetCallerIdentity",
        IMS_VERSION => ims::ACTIONS.contains(&action),
        RAM_VERSION => ram_role::ACTIONS.contains(&action) || ram_policy::ACTIONS.contains(&action),
        ISSUER_VERSION => issuer::is_action(action),
        _ => false,
    }
}

async fn dispatch_signed(state: &AppState, req: &RpcRequest, caller: &Caller) -> HandlerResult {
    match req.version.as_str() {
        STS_VERSION => sts::get_caller_identity(state, caller).await,
        IMS_VERSION => ims::handle(state, req, caller).await,
        ISSUER_VERSION => issuer::handle(state, req, caller).await,
        _ if ram_role::ACTIONS.contains(&req.action.as_str()) => ram_role::handle(state, req, caller).await,
        _ => ram_policy::handle(state, req, caller).await,
    }
}

/// Returns a new RequestId: a random UUID in upper case, as Alibaba Cloud writes them.
pub fn new_request_id() -> String {
    let mut buffer = uuid::Uuid::encode_buffer();
    uuid::Uuid::new_v4().hyphenated().encode_upper(&mut buffer).to_owned()
}

/// Returns the JSON error body for requests outside `/`, so clients always get JSON.
pub async fn not_found(request: Request<Body>) -> Response {
    let request_id = new_request_id();
    let error = ApiError::new(
        "InvalidPath.NotFound",
        404,
        format!("The path {} is not served; send OpenAPI requests to /.", request.uri().path()),
    );
    response::error(&request_id, &error)
}
