//! The parsed form of one RPC-style OpenAPI request.
//!
//! The official clients spread a request over several places: Python's STS
//! client puts every parameter in the query string, the Go and Java credential
//! providers send a form body, and V3-signing clients carry `Action` and
//! `Version` only in the `x-acs-action` and `x-acs-version` headers. This
//! module merges all of them into one parameter map and keeps the raw parts
//! the signature checks need.

use std::collections::BTreeMap;
use std::net::IpAddr;

use akless_core::error::ApiError;
use bytes::Bytes;
use http::{HeaderMap, Method};

/// Maximum number of parameters in one request, query and body together.
pub const MAX_PARAMETERS: usize = 200;

/// Maximum length of a parameter name, in bytes.
pub const MAX_PARAMETER_NAME: usize = 128;

/// One request, decoded, with the parts that signature checks read.
#[derive(Debug)]
pub struct RpcRequest {
    /// HTTP method as sent.
    pub method: Method,
    /// URI path as sent, `/` when empty.
    pub path: String,
    /// Query pairs in the order sent, percent-decoded.
    pub query: Vec<(String, String)>,
    /// Form-body pairs in the order sent, percent-decoded (empty for other bodies).
    pub form: Vec<(String, String)>,
    /// Request headers.
    pub headers: HeaderMap,
    /// Raw body bytes, hashed by the V3 signature check.
    pub body: Bytes,
    /// Query and form parameters merged; a name may appear once only.
    pub params: BTreeMap<String, String>,
    /// The `Action`, from the parameters or the `x-acs-action` header.
    pub action: String,
    /// The `Version`, from the parameters or the `x-acs-version` header.
    pub version: String,
    /// Upper-case UUID that every response carries.
    pub request_id: String,
    /// Peer address of the TCP connection.
    pub source_ip: Option<IpAddr>,
    /// Whether the request arrived over TLS.
    pub secure_transport: bool,
}

impl RpcRequest {
    /// Builds the request from its raw parts, rejecting duplicate or oversized parameters.
    pub fn parse(
        method: Method,
        path: &str,
        raw_query: Option<&str>,
        headers: HeaderMap,
        body: Bytes,
        request_id: String,
        source_ip: Option<IpAddr>,
        secure_transport: bool,
    ) -> Result<Self, ApiError> {
        let query = decode_pairs(raw_query.unwrap_or("").as_bytes());
        let form = if is_form_body(&headers) { decode_pairs(&body) } else { Vec::new() };
        if query.len() + form.len() > MAX_PARAMETERS {
            return Err(ApiError::invalid_parameter(
                "Parameters",
                format!("a request may carry at most {MAX_PARAMETERS} parameters"),
            ));
        }

        let mut params = BTreeMap::new();
        for (name, value) in query.iter().chain(form.iter()) {
            if name.is_empty() || name.len() > MAX_PARAMETER_NAME {
                return Err(ApiError::invalid_parameter(
                    "Parameters",
                    format!("parameter names must be 1 to {MAX_PARAMETER_NAME} bytes long"),
                ));
            }
            if params.insert(name.clone(), value.clone()).is_some() {
                return Err(ApiError::invalid_parameter(
                    name,
                    "the parameter appears more than once; send it once, in the query or in the form body",
                ));
            }
        }

        let action = resolve(&params, &headers, "Action", "x-acs-action")?;
        let version = resolve(&params, &headers, "Version", "x-acs-version")?;
        if action.is_empty() {
            let mut error = ApiError::missing_parameter("Action");
            if !body.is_empty() && !is_form_body(&headers) {
                error.message.push_str(
                    " The body was not read for parameters because its Content-Type is not \
                     application/x-www-form-urlencoded; send the parameters in the query string or as a form body.",
                );
            }
            return Err(error);
        }
        if version.is_empty() {
            return Err(ApiError::missing_parameter("Version"));
        }
        if let Some(format) = params.get("Format") {
            if !format.eq_ignore_ascii_case("json") {
                return Err(ApiError::invalid_parameter("Format", "only JSON responses are served; send Format=JSON"));
            }
        }

        let path = if path.is_empty() { "/".to_owned() } else { path.to_owned() };
        Ok(Self {
            method,
            path,
            query,
            form,
            headers,
            body,
            params,
            action,
            version,
            request_id,
            source_ip,
            secure_transport,
        })
    }

    /// Returns a parameter, treating an empty value as absent.
    pub fn optional(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// Returns a parameter or `MissingParameter` naming it.
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.optional(name).ok_or_else(|| ApiError::missing_parameter(name))
    }

    /// Parses an optional unsigned integer parameter.
    pub fn optional_u32(&self, name: &str) -> Result<Option<u32>, ApiError> {
        match self.optional(name) {
            None => Ok(None),
            Some(raw) if !raw.bytes().all(|b| b.is_ascii_digit()) => Err(ApiError::invalid_parameter(
                name,
                "the value must be a whole number without sign or spaces",
            )),
            // Only digits are left here, so a parse failure means the value is too large.
            Some(raw) => raw.parse::<u32>().map(Some).map_err(|_| {
                ApiError::invalid_parameter(name, format!("the value is larger than {}; send a smaller number", u32::MAX))
            }),
        }
    }

    /// Returns a header value as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<String> {
        header_str(&self.headers, name)
    }
}

/// Reads `Action` or `Version` from the parameters or its `x-acs-*` header; both must agree when both are sent.
fn resolve(params: &BTreeMap<String, String>, headers: &HeaderMap, param: &str, header: &str) -> Result<String, ApiError> {
    let from_params = params.get(param).filter(|v| !v.is_empty()).cloned();
    let from_header = header_str(headers, header);
    match (from_params, from_header) {
        (Some(p), Some(h)) if p != h => Err(ApiError::invalid_parameter(
            param,
            format!("the {param} parameter and the {header} header differ; send one value"),
        )),
        (Some(value), _) | (None, Some(value)) => Ok(value),
        (None, None) => Ok(String::new()),
    }
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn is_form_body(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"))
        .unwrap_or(false)
}

/// Splits and decodes `application/x-www-form-urlencoded` pairs exactly as `form_urlencoded::parse`
/// does: `&` separates pairs, empty pairs are skipped, the first `=` splits name from value, `+` is a
/// space, `%XX` is a byte, and invalid UTF-8 becomes U+FFFD.
fn decode_pairs(raw: &[u8]) -> Vec<(String, String)> {
    raw.split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|b| *b == b'=') {
            Some(at) => (decode_component(&pair[..at]), decode_component(&pair[at + 1..])),
            None => (decode_component(pair), String::new()),
        })
        .collect()
}

/// Decodes one name or value. A component without `+` or `%`, such as a base64url token, is copied
/// after one UTF-8 check, which costs a fraction of the general path's three passes.
fn decode_component(raw: &[u8]) -> String {
    if !raw.iter().any(|b| *b == b'+' || *b == b'%') {
        return match std::str::from_utf8(raw) {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(raw).into_owned(),
        };
    }
    let spaced: Vec<u8> = raw.iter().map(|b| if *b == b'+' { b' ' } else { *b }).collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str, headers: HeaderMap, body: &str) -> Result<RpcRequest, ApiError> {
        RpcRequest::parse(
            Method::POST,
            "/",
            Some(query),
            headers,
            Bytes::from(body.to_owned()),
            "ID".into(),
            None,
            true,
        )
    }

    /// Decodes with the `form_urlencoded` crate, the reference for `decode_pairs`.
    fn reference(raw: &[u8]) -> Vec<(String, String)> {
        form_urlencoded::parse(raw).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
    }

    #[test]
    fn decoding_matches_form_urlencoded() {
        let cases: [&[u8]; 16] = [
            b"",
            b"&&",
            b"a",
            b"a=",
            b"=b",
            b"a=b=c",
            b"a+b=c+d&e=%41%42",
            b"x=%zz&y=%4&z=%",
            b"t=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_",
            b"u=%E2%82%AC&v=\xe2\x82\xac",
            b"bad=%FF%FE&raw=\xff",
            b"plus=%2B+%20",
            b"RoleArn=acs%3Aram%3A%3A1%3Arole%2Fr&OIDCToken=a.b.c",
            b"&a=1&&b=2&",
            b"k%3Dx=v%26y",
            "\u{e9}t\u{e9}=caf\u{e9}".as_bytes(),
        ];
        for case in cases {
            assert_eq!(decode_pairs(case), reference(case), "{:?}", String::from_utf8_lossy(case));
        }
        // Pseudo-random inputs over an alphabet dense in separators, escapes and invalid UTF-8.
        let alphabet: &[u8] = b"ab=&+%%2F4fZ\xff\xc3\xa9 ";
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..5_000 {
            let mut input = Vec::new();
            for _ in 0..(state % 24) {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                input.push(alphabet[(state >> 33) as usize % alphabet.len()]);
            }
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            assert_eq!(decode_pairs(&input), reference(&input), "{input:?}");
        }
    }

    #[test]
    fn merges_query_and_form() {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded; charset=utf-8".parse().unwrap());
        let req = parse("Action=AssumeRoleWithOIDC&Version=2015-04-01&Format=JSON", headers, "RoleArn=a%3Ab&OIDCToken=x+y")
            .unwrap();
        assert_eq!(req.action, "AssumeRoleWithOIDC");
        assert_eq!(req.params["RoleArn"], "a:b");
        assert_eq!(req.params["OIDCToken"], "x y");
    }

    #[test]
    fn action_from_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("x-acs-action", "GetCallerIdentity".parse().unwrap());
        headers.insert("x-acs-version", "2015-04-01".parse().unwrap());
        let req = parse("", headers, "").unwrap();
        assert_eq!(req.action, "GetCallerIdentity");
        assert_eq!(req.version, "2015-04-01");
    }

    #[test]
    fn duplicate_parameter_rejected() {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded".parse().unwrap());
        let err = parse("Action=A&Version=V&RoleArn=1", headers, "RoleArn=2").unwrap_err();
        assert_eq!(err.code, "InvalidParameter.RoleArn");
    }

    #[test]
    fn conflicting_action_rejected() {
        let mut headers = HeaderMap::new();
        headers.insert("x-acs-action", "GetCallerIdentity".parse().unwrap());
        let err = parse("Action=ListOIDCProviders&Version=V", headers, "").unwrap_err();
        assert_eq!(err.code, "InvalidParameter.Action");
    }

    #[test]
    fn signed_numbers_rejected() {
        let req = parse("Action=A&Version=V&DurationSeconds=%2B3600&MaxItems=10", HeaderMap::new(), "").unwrap();
        assert_eq!(req.optional_u32("DurationSeconds").unwrap_err().code, "InvalidParameter.DurationSeconds");
        assert_eq!(req.optional_u32("MaxItems").unwrap(), Some(10));
    }

    #[test]
    fn missing_action_and_bad_format() {
        assert_eq!(parse("Version=V", HeaderMap::new(), "").unwrap_err().code, "MissingParameter");
        let err = parse("Action=A&Version=V&Format=XML", HeaderMap::new(), "").unwrap_err();
        assert_eq!(err.code, "InvalidParameter.Format");
        assert!(parse("Action=A&Version=V&Format=json", HeaderMap::new(), "").is_ok());
    }

    #[test]
    fn oversized_number_names_the_limit() {
        let req = parse("Action=A&Version=V&DurationSeconds=99999999999999999999", HeaderMap::new(), "").unwrap();
        let err = req.optional_u32("DurationSeconds").unwrap_err();
        assert_eq!(err.code, "InvalidParameter.DurationSeconds");
        assert!(err.message.contains("larger than 4294967295"), "{}", err.message);
    }

    #[test]
    fn json_body_missing_action_names_content_type() {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_TYPE, "application/json".parse().unwrap());
        let err = parse("", headers, r#"{"Action":"GetCallerIdentity"}"#).unwrap_err();
        assert_eq!(err.code, "MissingParameter");
        assert!(err.message.contains("Content-Type"), "{}", err.message);

        let err = parse("Version=V", HeaderMap::new(), "").unwrap_err();
        assert!(!err.message.contains("Content-Type"), "an empty body needs no hint: {}", err.message);
    }
}
