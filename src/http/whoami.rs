//! `GET /api/auth/whoami` (any valid key): the caller's key name and what it may do, so a
//! client (the web console) shows only the buttons the key can use. Never the key or its
//! hash. On an open API (no key configured, loopback only): every scope, `open: true`.

use super::auth::Auth;
use super::error::ApiError;
use super::AppState;
use crate::config::Scope;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::json;

/// The route; `auth` decides who the caller is.
pub fn router(auth: Auth) -> Router<AppState> {
    Router::new()
        .route("/api/auth/whoami", get(whoami))
        .layer(Extension(auth))
}

async fn whoami(
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    let open = auth.is_open();
    let key = auth.identify(&headers)?;
    // The scopes the key is granted, `admin` expanded (it implies every other one).
    let scopes: Vec<&str> = Scope::ALL
        .into_iter()
        .filter(|s| key.as_ref().is_none_or(|k| k.allows(*s)))
        .map(Scope::as_str)
        .collect();
    Ok(Json(json!({
        "name": key.as_ref().map(|k| k.name.as_str()),
        "scopes": scopes,
        "open": open,
    })))
}
