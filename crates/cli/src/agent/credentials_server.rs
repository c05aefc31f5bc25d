//! The agent's credentials endpoint: serves cached temporary credentials in the format that the
//! official SDKs read from `ALIBABA_CLOUD_CREDENTIALS_URI`.
//!
//! The Python, Go, Java and Node providers send a plain GET and need HTTP 200 with
//! `{"Code":"Success","AccessKeyId","AccessKeySecret","SecurityToken","Expiration"}`, the expiration as
//! `YYYY-MM-DDTHH:MM:SSZ`. The Java provider gives up after one second, so every response comes from
//! memory. The listener is plain HTTP on loopback only, because the synchronous Python provider always
//! uses `http`; the `Host` check keeps web pages from reading it through DNS rebinding.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::Router;
use serde_json::{json, Value};
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::sts::StsCredentials;

/// Default path of the credentials endpoint.
pub const DEFAULT_PATH: &str = "/v1/credentials";

/// The credentials the endpoint serves; `None` until the first exchange succeeds.
pub type CredentialsCache = Arc<RwLock<Option<StsCredentials>>>;

/// Failure to start the credentials endpoint.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("--credentials-listen {0} is not a loopback address; use 127.0.0.1:PORT, because the endpoint serves credentials over plain HTTP without authentication")]
    NotLoopback(SocketAddr),

    #[error("--credentials-path {0:?} must start with '/' and contain only letters, digits, '/', '-', '_' and '.'")]
    InvalidPath(String),

    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Returns the response body for `credentials`: the `Code` plus the four fields, with exact key case.
pub fn success_body(credentials: &StsCredentials) -> Value {
    json!({
        "Code": "Success",
        "AccessKeyId": credentials.access_key_id,
        "AccessKeySecret": credentials.access_key_secret,
        "SecurityToken": credentials.security_token,
        "Expiration": credentials.expiration_text(),
    })
}

/// Checks `path` for [`start`].
pub fn check_path(path: &str) -> Result<(), ServerError> {
    let valid = path.starts_with('/')
        && path.len() <= 256
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.'));
    if valid {
        Ok(())
    } else {
        Err(ServerError::InvalidPath(path.to_owned()))
    }
}

#[derive(Clone)]
struct EndpointState {
    cache: CredentialsCache,
    path: Arc<str>,
    port: u16,
}

/// A running endpoint.
pub struct CredentialsServer {
    pub local_addr: SocketAddr,
    pub path: String,
    pub task: JoinHandle<()>,
}

impl CredentialsServer {
    /// Returns `http://ADDRESS:PORT/PATH`, the value for `ALIBABA_CLOUD_CREDENTIALS_URI`.
    pub fn uri(&self) -> String {
        format!("http://{}{}", self.local_addr, self.path)
    }
}

/// Binds `listen` (loopback only) and serves `cache` at `path` until `shutdown` becomes true.
pub async fn start(
    listen: SocketAddr,
    path: &str,
    cache: CredentialsCache,
    mut shutdown: watch::Receiver<bool>,
) -> Result<CredentialsServer, ServerError> {
    if !listen.ip().is_loopback() {
        return Err(ServerError::NotLoopback(listen));
    }
    check_path(path)?;
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|source| ServerError::Bind {
            addr: listen,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: listen,
        source,
    })?;
    let state = EndpointState {
        cache,
        path: Arc::from(path),
        port: local_addr.port(),
    };
    let router = Router::new().fallback(handle).with_state(state);
    let task = tokio::spawn(async move {
        let stop = async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        };
        if let Err(error) = axum::serve(listener, router)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::error!(%error, "the credentials endpoint failed");
        }
    });
    Ok(CredentialsServer {
        local_addr,
        path: path.to_owned(),
        task,
    })
}

async fn handle(State(state): State<EndpointState>, request: Request) -> Response {
    if !host_allowed(request.headers().get(header::HOST), state.port) {
        tracing::warn!(
            host = ?request.headers().get(header::HOST),
            "rejected a credentials request with a foreign Host header"
        );
        return error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "the Host header must name a loopback address",
        );
    }
    if request.uri().path() != &*state.path {
        return error(
            StatusCode::NOT_FOUND,
            "NotFound",
            "no credentials at this path",
        );
    }
    if request.method() != Method::GET {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "use GET",
        );
    }
    let cached = state
        .cache
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    match cached {
        Some(credentials) if credentials.expiration > OffsetDateTime::now_utc() => {
            tracing::debug!(access_key_id = %credentials.access_key_id, "served credentials");
            json_response(StatusCode::OK, &success_body(&credentials))
        }
        _ => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "CredentialsUnavailable",
            "the agent has no valid credentials yet; see its log",
        ),
    }
}

/// Accepts `127.0.0.1`, `localhost` and `[::1]`, with the endpoint's port or without a port.
fn host_allowed(host: Option<&HeaderValue>, port: u16) -> bool {
    let Some(host) = host.and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let (name, host_port) = match host.rsplit_once(':') {
        Some((name, p))
            if !name.ends_with(':') && (name.starts_with('[') == name.ends_with(']')) =>
        {
            (name, Some(p))
        }
        _ => (host, None),
    };
    let loopback = matches!(
        name.to_ascii_lowercase().as_str(),
        "127.0.0.1" | "localhost" | "[::1]"
    );
    let port_ok = match host_port {
        None => true,
        Some(p) => p.parse::<u16>() == Ok(port),
    };
    loopback && port_ok
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(status, &json!({"Code": code, "Message": message}))
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn credentials(valid_for: time::Duration) -> StsCredentials {
        let expiration = (OffsetDateTime::now_utc() + valid_for)
            .replace_nanosecond(0)
            .expect("zero nanoseconds");
        StsCredentials {
            access_key_id: "STS.agent".into(),
            access_key_secret: "agent-secret".into(),
            security_token: "AKLS1.agent".into(),
            expiration,
        }
    }

    async fn serve(cache: CredentialsCache) -> (CredentialsServer, watch::Sender<bool>) {
        let (stop, shutdown) = watch::channel(false);
        let server = start(
            "127.0.0.1:0".parse().expect("address"),
            DEFAULT_PATH,
            cache,
            shutdown,
        )
        .await
        .expect("starts");
        (server, stop)
    }

    fn http() -> reqwest::Client {
        crate::client::http_client(None, Duration::from_secs(5)).expect("client")
    }

    #[test]
    fn success_body_has_exact_shape() {
        let creds = credentials(time::Duration::hours(1));
        let body = success_body(&creds);
        let keys: Vec<&str> = body
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            vec![
                "AccessKeyId",
                "AccessKeySecret",
                "Code",
                "Expiration",
                "SecurityToken"
            ]
        );
        assert_eq!(body["Code"], "Success");
        assert_eq!(body["AccessKeySecret"], "agent-secret");
        let expiration = body["Expiration"].as_str().expect("string");
        assert_eq!(expiration.len(), 20, "{expiration}");
        assert!(expiration.ends_with('Z'), "{expiration}");
        assert_eq!(
            akless_core::timefmt::parse_iso8601(expiration),
            Some(creds.expiration)
        );
    }

    #[test]
    fn host_header_rules() {
        let check = |h: &str| host_allowed(Some(&HeaderValue::from_str(h).expect("header")), 8080);
        assert!(check("127.0.0.1:8080"));
        assert!(check("localhost:8080"));
        assert!(check("LOCALHOST"));
        assert!(check("[::1]:8080"));
        assert!(check("127.0.0.1"));
        assert!(!check("127.0.0.1:9090"));
        assert!(!check("evil.example:8080"));
        assert!(!check("127.0.0.1.evil.example"));
        assert!(!host_allowed(None, 8080));
    }

    #[test]
    fn path_and_address_rules() {
        check_path("/v1/credentials").expect("default path");
        assert!(check_path("v1").is_err());
        assert!(check_path("/a b").is_err());
    }

    #[tokio::test]
    async fn non_loopback_listen_rejected() {
        let (_stop, shutdown) = watch::channel(false);
        let cache = CredentialsCache::default();
        let error = match start(
            "0.0.0.0:0".parse().expect("address"),
            DEFAULT_PATH,
            cache,
            shutdown,
        )
        .await
        {
            Ok(_) => panic!("0.0.0.0 must be rejected"),
            Err(error) => error,
        };
        assert!(matches!(error, ServerError::NotLoopback(_)), "{error:?}");
        assert!(error.to_string().contains("127.0.0.1:PORT"), "{error}");
    }

    #[tokio::test]
    async fn serves_cached_credentials() {
        let cache = CredentialsCache::default();
        let (server, stop) = serve(cache.clone()).await;
        let uri = server.uri();
        assert!(uri.starts_with("http://127.0.0.1:"), "{uri}");
        assert!(uri.ends_with("/v1/credentials"), "{uri}");

        let empty = http().get(&uri).send().await.expect("request");
        assert_eq!(empty.status(), 503);
        let body: Value = empty.json().await.expect("json");
        assert_eq!(body["Code"], "CredentialsUnavailable");

        *cache.write().expect("lock") = Some(credentials(time::Duration::hours(1)));
        let response = http().get(&uri).send().await.expect("request");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["Code"], "Success");
        assert_eq!(body["AccessKeyId"], "STS.agent");
        assert_eq!(body["SecurityToken"], "AKLS1.agent");

        stop.send_replace(true);
        tokio::time::timeout(Duration::from_secs(5), server.task)
            .await
            .expect("stops after shutdown")
            .expect("task ends cleanly");
    }

    #[tokio::test]
    async fn expired_credentials_not_served() {
        let cache: CredentialsCache =
            Arc::new(RwLock::new(Some(credentials(time::Duration::seconds(-1)))));
        let (server, _stop) = serve(cache).await;
        let response = http().get(server.uri()).send().await.expect("request");
        assert_eq!(response.status(), 503);
    }

    #[tokio::test]
    async fn wrong_path_method_and_host_rejected() {
        let cache: CredentialsCache =
            Arc::new(RwLock::new(Some(credentials(time::Duration::hours(1)))));
        let (server, _stop) = serve(cache).await;
        let base = format!("http://{}", server.local_addr);

        let other = http()
            .get(format!("{base}/latest/meta-data"))
            .send()
            .await
            .expect("request");
        assert_eq!(other.status(), 404);

        let post = http().post(server.uri()).send().await.expect("request");
        assert_eq!(post.status(), 405);

        let rebinding = http()
            .get(server.uri())
            .header(header::HOST, "attacker.example")
            .send()
            .await
            .expect("request");
        assert_eq!(rebinding.status(), 403);
        let body: Value = rebinding.json().await.expect("json");
        assert!(body.get("AccessKeySecret").is_none());
    }
}
