//! The web console: the static files under `console/` (HTML, ES modules, CSS and the
//! vendored Preact/htm and uPlot), embedded in the binary with `rust-embed` (also in debug
//! builds, `debug-embed`) and served at `/ui/`; `/` and `/ui` redirect to `/ui/`. The
//! console is a client of the public JSON API with the user's key — it has no endpoint of
//! its own and no privilege the API does not give.
//!
//! Never imports the service: it serves files. Invariants:
//! - **Every response of these routes carries the security headers** ([`SECURITY_HEADERS`]:
//!   a strict CSP without `unsafe-inline`, `nosniff`, `no-referrer`, `DENY` framing) — the
//!   redirects, the files, 304s, 404s under `/ui/` and 405s alike (one layer over the
//!   router adds them).
//! - Files are revalidated on every use (`Cache-Control: no-cache` + a SHA-256 `ETag`): the
//!   names carry no hash, so a new binary must never meet a stale module in a browser cache.
//!
//! The routes are registered with `route_service`: they are not part of the JSON API and
//! are not rows of the OpenAPI document (`openapi::ROUTES`), which describes the API only.

use super::AppState;
use axum::body::Body;
use axum::extract::{Path, Request};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{from_fn, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use rust_embed::RustEmbed;

/// The console's files, from `console/` at build time.
#[derive(RustEmbed)]
#[folder = "console/"]
struct Assets;

/// The Content-Security-Policy of every console response: only our own origin's scripts,
/// styles and API; no inline script or style, no framing, no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The headers added to every console response.
pub const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
];

/// The console's routes (none when `enabled` is false: `/` and `/ui/` are then 404s of
/// the API).
pub fn router(enabled: bool) -> Router<AppState> {
    if !enabled {
        return Router::new();
    }
    Router::new()
        .route_service("/", get(to_console))
        .route_service("/ui", get(to_console))
        .route_service("/ui/", get(index))
        .route_service("/ui/{*path}", get(asset))
        .layer(from_fn(security_headers))
}

async fn to_console() -> Redirect {
    Redirect::temporary("/ui/")
}

async fn index(headers: HeaderMap) -> Response {
    file("index.html", &headers)
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    file(&path, &headers)
}

/// One embedded file, or 404; 304 when the browser holds this version.
fn file(path: &str, headers: &HeaderMap) -> Response {
    let Some(content) = Assets::get(path) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "no such file in the console",
        )
            .into_response();
    };
    let etag = format!("\"{}\"", hex::encode(content.metadata.sha256_hash()));
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = Response::new(Body::from(content.data.into_owned()));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_type(path)),
        );
        response
    };
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The media type of a console file, by its extension (the few kinds `console/` holds).
fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        Some("md") => "text/markdown; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    }
}

/// Adds [`SECURITY_HEADERS`] to whatever the console's routes answered.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    for (name, value) in SECURITY_HEADERS {
        response.headers_mut().insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_nothing_inline_and_no_framing() {
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
        assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
        assert!(CONTENT_SECURITY_POLICY.contains("script-src 'self';"));
    }

    #[test]
    fn the_console_files_are_embedded_with_their_media_types() {
        assert!(Assets::get("index.html").is_some());
        assert!(Assets::get("vendor/preact-htm.module.js").is_some());
        assert_eq!(content_type("app.js"), "text/javascript; charset=utf-8");
        assert_eq!(
            content_type("vendor/uPlot.min.css"),
            "text/css; charset=utf-8"
        );
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("LICENSE"), "text/plain; charset=utf-8");
    }
}
