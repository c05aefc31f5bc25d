//! OAuth 2.0 client credentials grant (RFC 6749 section 4.4) against an OIDC issuer, with discovery
//! of the token endpoint (OpenID Connect Discovery 1.0).
//!
//! Error messages carry the endpoint, the HTTP status and the issuer's `error` code and description,
//! never the client secret or a token.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;
use time::OffsetDateTime;
use url::Url;

use crate::client::error_chain;
use crate::secret::Secret;

/// Path of the discovery document below the issuer URL.
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// Maximum size of a discovery document or token response, in bytes.
const MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// Client authentication method at the token endpoint (RFC 6749 section 2.3.1).
// TODO: the issuer also accepts client_secret_jwt and private_key_jwt assertions; the CLI cannot send them yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMethod {
    /// HTTP Basic with the form-encoded client ID and secret.
    #[value(name = "client_secret_basic")]
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    #[value(name = "client_secret_post")]
    ClientSecretPost,
}

/// Errors of discovery and token requests.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("invalid {what} {url:?}: {reason}")]
    InvalidUrl {
        what: &'static str,
        url: String,
        reason: &'static str,
    },

    #[error("request to {url} failed: {detail}. Check the URL, and pass --ca-file if the issuer's certificate comes from a private CA")]
    Connection { url: String, detail: String },

    #[error("request to {url} timed out; check the URL or raise --timeout")]
    Timeout { url: String },

    #[error("the issuer rejected the token request (HTTP {status}): {error}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Rejected {
        status: u16,
        error: String,
        description: Option<String>,
    },

    #[error("unexpected response from {url} (HTTP {status}): {detail}")]
    InvalidResponse {
        url: String,
        status: u16,
        detail: String,
    },
}

impl OAuthError {
    /// Returns true for failures that a later attempt may not repeat: transport errors, timeouts,
    /// HTTP 5xx and 429. A rejected client or scope needs a configuration change instead.
    pub fn is_transient(&self) -> bool {
        match self {
            OAuthError::Connection { .. } | OAuthError::Timeout { .. } => true,
            OAuthError::Rejected { status, .. } | OAuthError::InvalidResponse { status, .. } => {
                *status >= 500 || *status == 429
            }
            OAuthError::InvalidUrl { .. } => false,
        }
    }
}

/// The fields of a discovery document that the CLI uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    pub issuer: String,
    pub token_endpoint: Url,
    pub jwks_uri: Option<String>,
}

/// Settings of a client credentials request.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: Secret,
    pub auth_method: AuthMethod,
    /// Requested scopes, sent space-separated; empty sends no `scope` parameter.
    pub scopes: Vec<String>,
}

/// An access token and when it expires. `Debug` hides the token and the body that contains it.
#[derive(Clone)]
pub struct AccessToken {
    pub access_token: Secret,
    pub token_type: String,
    /// Lifetime in seconds, as the issuer stated it or as derived from `expires_at`.
    pub expires_in: u64,
    pub expires_at: OffsetDateTime,
    pub scope: Option<String>,
    /// The whole response body, token included, for `akless token --output json`.
    pub body: Value,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// Checks a URL the client sends secrets to: https, or http on a loopback address for local tests,
/// with a host and without user info or fragment.
pub fn check_url(what: &'static str, text: &str) -> Result<Url, OAuthError> {
    let invalid = |reason| OAuthError::InvalidUrl {
        what,
        url: text.to_owned(),
        reason,
    };
    let url = Url::parse(text).map_err(|_| invalid("not a URL"))?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => return Err(invalid("the URL has no host")),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(invalid(
                "plain http is allowed only on loopback addresses; use https",
            ))
        }
        _ => return Err(invalid("the scheme must be https")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("user info is not allowed"));
    }
    if url.fragment().is_some() {
        return Err(invalid("a fragment is not allowed"));
    }
    Ok(url)
}

/// Returns `{issuer}/.well-known/openid-configuration`, removing one trailing slash of the issuer.
pub fn discovery_url(issuer: &str) -> Result<Url, OAuthError> {
    let issuer_url = check_url("issuer URL", issuer)?;
    if issuer_url.query().is_some() {
        return Err(OAuthError::InvalidUrl {
            what: "issuer URL",
            url: issuer.to_owned(),
            reason: "an issuer URL must not contain a query",
        });
    }
    let base = issuer.strip_suffix('/').unwrap_or(issuer);
    check_url("discovery URL", &format!("{base}{DISCOVERY_PATH}"))
}

/// Fetches the issuer's discovery document. Its `issuer` must equal `issuer` exactly (OpenID Connect
/// Discovery 1.0 section 4.3), so a document served for another issuer is not used.
pub async fn discover(http: &reqwest::Client, issuer: &str) -> Result<Discovery, OAuthError> {
    let url = discovery_url(issuer)?;
    let (status, body) = send(http.get(url.clone()), &url).await?;
    let invalid = |detail: String| OAuthError::InvalidResponse {
        url: url.to_string(),
        status,
        detail,
    };
    if status != 200 {
        return Err(invalid("expected HTTP 200".into()));
    }
    let document: Value =
        serde_json::from_slice(&body).map_err(|_| invalid("the body is not JSON".into()))?;
    let text = |name: &str| document[name].as_str().map(str::to_owned);
    let stated = text("issuer").ok_or_else(|| invalid("the document has no issuer".into()))?;
    if stated != issuer {
        return Err(invalid(format!(
            "the document names the issuer {stated:?}, not {issuer:?}; pass the issuer URL exactly as the tokens' iss claim"
        )));
    }
    let endpoint = text("token_endpoint")
        .ok_or_else(|| invalid("the document has no token_endpoint".into()))?;
    Ok(Discovery {
        issuer: stated,
        token_endpoint: check_url("token_endpoint", &endpoint)?,
        jwks_uri: text("jwks_uri"),
    })
}

/// Requests a token with the client credentials grant.
pub async fn request_token(
    http: &reqwest::Client,
    token_endpoint: &Url,
    client: &ClientCredentials,
) -> Result<AccessToken, OAuthError> {
    let scope = client.scopes.join(" ");
    let mut form: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
    if !scope.is_empty() {
        form.push(("scope", &scope));
    }
    let mut request = http
        .post(token_endpoint.clone())
        .header("accept", "application/json");
    match client.auth_method {
        AuthMethod::ClientSecretBasic => {
            request = request.header(
                "authorization",
                basic_authorization(&client.client_id, &client.client_secret),
            );
        }
        AuthMethod::ClientSecretPost => {
            form.push(("client_id", &client.client_id));
            form.push(("client_secret", client.client_secret.expose()));
        }
    }
    let obtained_at = OffsetDateTime::now_utc();
    let (status, body) = send(request.form(&form), token_endpoint).await?;
    parse_token_response(token_endpoint.as_str(), status, &body, obtained_at)
}

/// Builds `Basic base64(urlencode(id) ":" urlencode(secret))` as RFC 6749 section 2.3.1 requires.
pub fn basic_authorization(client_id: &str, secret: &Secret) -> String {
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", encode(client_id), encode(secret.expose()));
    format!("Basic {}", STANDARD.encode(pair))
}

/// Interprets a token endpoint response: the token of a 200, or the `error` of a failure.
pub fn parse_token_response(
    url: &str,
    status: u16,
    body: &[u8],
    obtained_at: OffsetDateTime,
) -> Result<AccessToken, OAuthError> {
    let invalid = |detail: String| OAuthError::InvalidResponse {
        url: url.to_owned(),
        status,
        detail,
    };
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        let preview: String = String::from_utf8_lossy(body).chars().take(200).collect();
        invalid(format!("the body is not JSON: {preview:?}"))
    })?;
    let text = |upper: &str, lower: &str| {
        value
            .get(lower)
            .or_else(|| value.get(upper))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    if status != 200 {
        // RFC 6749 section 5.2 names the fields error and error_description; some issuers use Code and Message.
        let error = text("Code", "error")
            .ok_or_else(|| invalid("the error body has no error field".into()))?;
        return Err(OAuthError::Rejected {
            status,
            error,
            description: text("Message", "error_description"),
        });
    }
    let access_token = text("AccessToken", "access_token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid("the response has no access_token".into()))?;
    let token_type = text("TokenType", "token_type").unwrap_or_else(|| "Bearer".to_owned());
    let expires_in = match value["expires_in"].as_u64() {
        Some(seconds) => seconds,
        None => match value["expires_at"].as_i64() {
            Some(at) => u64::try_from(at - obtained_at.unix_timestamp()).unwrap_or(0),
            None => jwt_lifetime(&access_token, obtained_at)
                .ok_or_else(|| invalid("the response has neither expires_in nor expires_at, and the token is not a JWT with exp".into()))?,
        },
    };
    if expires_in == 0 {
        return Err(invalid(
            "the token has already expired (expires_in is 0)".into(),
        ));
    }
    let lifetime = time::Duration::seconds(i64::try_from(expires_in).unwrap_or(i64::MAX / 2));
    Ok(AccessToken {
        access_token: Secret::new(access_token),
        token_type,
        expires_in,
        expires_at: obtained_at + lifetime,
        scope: text("Scope", "scope"),
        body: value,
    })
}

/// Returns the seconds until the `exp` claim of a JWT, read without checking the signature: the value
/// only schedules refreshes and is never trusted for access decisions.
fn jwt_lifetime(token: &str, now: OffsetDateTime) -> Option<u64> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = token.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    let exp = claims["exp"].as_i64()?;
    u64::try_from(exp - now.unix_timestamp()).ok()
}

/// Sends a request and reads at most [`MAX_RESPONSE_BYTES`] of the body.
async fn send(request: reqwest::RequestBuilder, url: &Url) -> Result<(u16, Vec<u8>), OAuthError> {
    let transport = |error: reqwest::Error| {
        if error.is_timeout() {
            OAuthError::Timeout {
                url: url.to_string(),
            }
        } else {
            OAuthError::Connection {
                url: url.to_string(),
                detail: error_chain(&error),
            }
        }
    };
    let mut response = request.send().await.map_err(transport)?;
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(OAuthError::InvalidResponse {
                url: url.to_string(),
                status,
                detail: format!("the body exceeds {MAX_RESPONSE_BYTES} bytes"),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2030-01-01 00:00:00 UTC);

    #[test]
    fn basic_auth_form_encodes_first() {
        let header = basic_authorization("app:1", &Secret::new("p@ss word".into()));
        let decoded = STANDARD
            .decode(header.strip_prefix("Basic ").expect("Basic prefix"))
            .expect("base64");
        assert_eq!(
            String::from_utf8(decoded).expect("utf8"),
            "app%3A1:p%40ss+word"
        );
    }

    #[test]
    fn token_response_with_expires_in() {
        let body =
            br#"{"token_type":"Bearer","access_token":"eyJ.a.b","expires_in":3600,"expires_at":1}"#;
        let token = parse_token_response("https://i/token", 200, body, NOW).expect("parses");
        assert_eq!(token.access_token.expose(), "eyJ.a.b");
        assert_eq!(token.expires_in, 3600);
        assert_eq!(token.expires_at, datetime!(2030-01-01 01:00:00 UTC));
        assert!(!format!("{token:?}").contains("eyJ.a.b"));
    }

    #[test]
    fn token_response_with_expires_at_only() {
        let at = NOW.unix_timestamp() + 600;
        let body = format!(r#"{{"access_token":"t0k3n","expires_at":{at}}}"#);
        let token =
            parse_token_response("https://i/token", 200, body.as_bytes(), NOW).expect("parses");
        assert_eq!(token.expires_in, 600);
        assert_eq!(token.token_type, "Bearer");
    }

    #[test]
    fn token_response_lifetime_from_jwt_exp() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!(r#"{{"exp":{}}}"#, NOW.unix_timestamp() + 120));
        let body = format!(r#"{{"access_token":"h.{payload}.s"}}"#);
        let token =
            parse_token_response("https://i/token", 200, body.as_bytes(), NOW).expect("parses");
        assert_eq!(token.expires_in, 120);
    }

    #[test]
    fn token_response_without_lifetime_rejected() {
        let error =
            parse_token_response("https://i/token", 200, br#"{"access_token":"opaque"}"#, NOW)
                .expect_err("no lifetime");
        assert!(error.to_string().contains("expires_in"), "{error}");
    }

    #[test]
    fn error_response_names_code_not_secret() {
        let body =
            br#"{"error":"invalid_client","error_description":"client authentication failed"}"#;
        let error = parse_token_response("https://i/token", 401, body, NOW).expect_err("rejected");
        assert_eq!(
            error.to_string(),
            "the issuer rejected the token request (HTTP 401): invalid_client: client authentication failed"
        );
        assert!(!error.is_transient());
        let throttled = parse_token_response(
            "https://i/token",
            503,
            br#"{"error":"temporarily_unavailable"}"#,
            NOW,
        )
        .expect_err("5xx");
        assert!(throttled.is_transient());
    }

    #[test]
    fn check_url_allows_http_only_on_loopback() {
        check_url("issuer URL", "https://issuer.example/api").expect("https");
        check_url("issuer URL", "http://127.0.0.1:8080/x").expect("loopback v4");
        check_url("issuer URL", "http://[::1]:8080/x").expect("loopback v6");
        check_url("issuer URL", "http://localhost:8080/x").expect("localhost");
        let error = check_url("issuer URL", "http://issuer.example/").expect_err("plain http");
        assert!(error.to_string().contains("loopback"), "{error}");
        assert!(check_url("issuer URL", "https://u:p@issuer.example/").is_err());
        assert!(check_url("issuer URL", "ftp://issuer.example/").is_err());
    }

    #[test]
    fn discovery_url_drops_one_slash() {
        assert_eq!(
            discovery_url("https://h/api/v2/iauths_system/oauth2/")
                .expect("valid")
                .as_str(),
            "https://h/api/v2/iauths_system/oauth2/.well-known/openid-configuration"
        );
        assert!(discovery_url("https://h/x?y=1").is_err());
    }
}
