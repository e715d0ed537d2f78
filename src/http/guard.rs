//! The request guards the routes sit behind, outermost first: every error is answered in
//! the JSON shape of [`ApiError`] (whoever produced it — axum's method router, the body
//! limit, a timeout); a URI longer than [`MAX_URI_BYTES`] is 414; reads (`GET`, `HEAD`) are
//! bounded by the request timeout; and while the API is open (no API key) its routes serve
//! only loopback `Host` names, so a web page cannot read it through a DNS-rebinding name.
//!
//! Writes are never timed out once their handler runs: a `POST` whose messages were
//! committed must not answer 408, or the client retries into duplicates. Their request
//! *bodies* have a deadline instead (`RequestBodyDeadlineLayer`, mapped to 408 by
//! [`super::error::AppJson`]), and slow headers are the server's business
//! (`super::server`).

use super::error::ApiError;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;

/// The longest request URI answered, in bytes (hyper itself refuses URIs of 64 KiB).
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// The most of an error body read to carry its message into the JSON shape.
const ERROR_TEXT_MAX: usize = 4 * 1024;

/// Which `Host` header values an open API serves.
#[derive(Debug, Clone)]
pub struct HostRule {
    /// No API key is configured: only loopback names and `allowed` are served.
    pub open_api: bool,
    /// Names (with or without a port) served besides loopback.
    pub allowed: Vec<String>,
}

impl HostRule {
    /// Whether a request with this `Host` value is served.
    pub fn allows(&self, host: Option<&str>) -> bool {
        let Some(host) = host else {
            // HTTP/1.0 without Host, or an in-process call: no browser sends this.
            return true;
        };
        if !self.open_api {
            return true;
        }
        let host = host.trim().to_ascii_lowercase();
        let name = strip_port(&host);
        let loopback = name == "localhost"
            || name.ends_with(".localhost")
            || name
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        loopback
            || self
                .allowed
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&host) || a.eq_ignore_ascii_case(name))
    }
}

/// `"gw.lan:8080"` → `"gw.lan"`, `"[::1]:8080"` → `"[::1]"`.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split_once(']')
            .map_or(host, |(h, _)| host.get(..h.len() + 1).unwrap_or(host));
    }
    host.split_once(':').map_or(host, |(h, _)| h)
}

/// Refuses long URIs.
pub async fn check_uri(request: Request, next: Next) -> Response {
    if request.uri().to_string().len() > MAX_URI_BYTES {
        return error(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the request URI is longer than {MAX_URI_BYTES} bytes"),
        );
    }
    next.run(request).await
}

/// On an open API, refuses foreign `Host` names. (Not in front of the provider callbacks
/// and the Twilio-compatible API: they come through a public name, and each request is
/// authenticated by a signature or a token a web page does not have.)
pub async fn check_host(
    State(rule): State<Arc<HostRule>>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .map(|h| h.to_str().unwrap_or("\u{fffd}"));
    if !rule.allows(host) {
        return error(
            StatusCode::FORBIDDEN,
            "host_not_allowed",
            "this gateway has no API keys and serves only loopback host names; \
             add the name to [server] allowed_hosts or configure API keys"
                .into(),
        );
    }
    next.run(request).await
}

/// Bounds the time of reads; writes run to the end once started (see the module doc).
pub async fn bound_reads(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return next.run(request).await;
    }
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => error(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!(
                "the request took longer than {} ms; retry it",
                limit.as_millis()
            ),
        ),
    }
}

/// Rewrites an error answer that is not JSON (axum's 405, a 413 or 408 from a layer) into
/// the JSON error shape, keeping its status and headers (`Allow`, `Retry-After`).
pub async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(is_json_media_type);
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, ERROR_TEXT_MAX)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let (code, fallback) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "this endpoint does not take this method",
        ),
        StatusCode::REQUEST_TIMEOUT => ("request_timeout", "the request was not received in time"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the request body is too large"),
        StatusCode::URI_TOO_LONG => ("uri_too_long", "the request URI is too long"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("unsupported_media_type", "unsupported content type")
        }
        StatusCode::NOT_FOUND => ("not_found", "no such endpoint"),
        StatusCode::UNAUTHORIZED => ("unauthorized", "authentication is required"),
        StatusCode::FORBIDDEN => ("forbidden", "not allowed"),
        s if s.is_server_error() => ("internal", "internal error; the request may be retried"),
        _ => ("invalid_request", "the request is not valid"),
    };
    let message = if text.is_empty() || status.is_server_error() {
        fallback.to_string()
    } else {
        text
    };
    let fresh = error(status, code, message);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let (_, body) = fresh.into_parts();
    Response::from_parts(parts, body)
}

fn error(status: StatusCode, code: &'static str, message: String) -> Response {
    ApiError::new(status, code, message).into_response()
}

/// `application/json` or `application/…+json`, any case, with or without parameters.
pub fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types_are_recognised_exactly() {
        for ok in [
            "application/json",
            "APPLICATION/JSON",
            "application/json; charset=utf-8",
            "Application/Json;charset=UTF-8",
            "application/merge-patch+json",
        ] {
            assert!(is_json_media_type(ok), "{ok}");
        }
        for bad in [
            "application/jsonx",
            "text/json",
            "application/x-www-form-urlencoded",
            "",
            "json",
        ] {
            assert!(!is_json_media_type(bad), "{bad}");
        }
    }

    #[test]
    fn an_open_api_serves_only_loopback_names_and_listed_ones() {
        let rule = HostRule {
            open_api: true,
            allowed: vec!["gateway.lan".into()],
        };
        for ok in [
            None,
            Some("localhost"),
            Some("localhost:8080"),
            Some("127.0.0.1:8080"),
            Some("127.9.9.9"),
            Some("[::1]:8080"),
            Some("[::1]"),
            Some("gateway.lan:8080"),
            Some("GATEWAY.LAN"),
        ] {
            assert!(rule.allows(ok), "{ok:?}");
        }
        for bad in [
            Some("rebind.attacker.example"),
            Some("rebind.attacker.example:8080"),
            Some("127.0.0.1.nip.io"),
            Some("192.168.1.10:8080"),
            Some("[::2]:8080"),
            Some(""),
        ] {
            assert!(!rule.allows(bad), "{bad:?}");
        }
        let keyed = HostRule {
            open_api: false,
            allowed: Vec::new(),
        };
        assert!(keyed.allows(Some("anything.example")));
    }
}
