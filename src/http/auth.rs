//! API keys: `Authorization: Bearer <key>` or `X-API-Key: <key>`, checked against the
//! configured SHA-256 hashes in constant time, with a scope per route group (`send`, `otp`,
//! `read`; `admin` implies all). With no key configured the API is open — the daemon then
//! only listens on loopback (the configuration refuses anything else).

use super::error::ApiError;
use super::AppState;
use crate::config::{ApiKey, Scope};
use axum::extract::Request;
use axum::http::HeaderMap;
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::Router;
use std::sync::Arc;

/// The name of the API key a request was authorised with (a request extension), for the
/// per-key rate limits and the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyName(pub String);

/// What the auth layer let through (a response extension, for the audit layer outside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorized {
    /// The scope the route group requires.
    pub scope: Scope,
    /// The key's name (none: the API is open).
    pub key: Option<KeyName>,
}

/// The configured keys: a snapshot read per request, replaced whole by a reload.
#[derive(Clone, Default)]
pub struct Auth {
    keys: Arc<std::sync::RwLock<Arc<Vec<ApiKey>>>>,
}

impl Auth {
    /// From the configuration.
    pub fn new(keys: Vec<ApiKey>) -> Self {
        Self {
            keys: Arc::new(std::sync::RwLock::new(Arc::new(keys))),
        }
    }

    /// Replaces the keys (a reload): every request from now on is checked against `keys`.
    pub fn replace(&self, keys: Vec<ApiKey>) {
        let keys = Arc::new(keys);
        match self.keys.write() {
            Ok(mut k) => *k = keys,
            Err(poisoned) => *poisoned.into_inner() = keys,
        }
    }

    fn snapshot(&self) -> Arc<Vec<ApiKey>> {
        match self.keys.read() {
            Ok(k) => k.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Whether `headers` carry a key with `scope` (always, when no key is configured); the
    /// key's name when one was used.
    pub fn check(&self, headers: &HeaderMap, scope: Scope) -> Result<Option<KeyName>, ApiError> {
        let keys = self.snapshot();
        if keys.is_empty() {
            return Ok(None);
        }
        let presented = presented_key(headers).ok_or_else(ApiError::unauthorized)?;
        let key = keys
            .iter()
            .find(|k| k.matches(presented))
            .ok_or_else(ApiError::unauthorized)?;
        if key.allows(scope) {
            Ok(Some(KeyName(key.name.clone())))
        } else {
            Err(ApiError::forbidden(scope_name(scope)))
        }
    }
}

impl Auth {
    /// Whether no key is configured (the API is open, on loopback only).
    pub fn is_open(&self) -> bool {
        self.snapshot().is_empty()
    }

    /// The key `headers` carry: `Ok(None)` on an open API, 401 when a key is needed and
    /// none or an unknown one was presented.
    pub fn identify(&self, headers: &HeaderMap) -> Result<Option<ApiKey>, ApiError> {
        let keys = self.snapshot();
        if keys.is_empty() {
            return Ok(None);
        }
        let presented = presented_key(headers).ok_or_else(ApiError::unauthorized)?;
        keys.iter()
            .find(|k| k.matches(presented))
            .cloned()
            .map(Some)
            .ok_or_else(ApiError::unauthorized)
    }
}

fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::Send => "send",
        Scope::Otp => "otp",
        Scope::Read => "read",
        Scope::Admin => "admin",
        Scope::Metrics => "metrics",
    }
}

fn presented_key(headers: &HeaderMap) -> Option<&str> {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    bearer
        .or_else(|| {
            headers
                .get("x-api-key")
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        })
        .filter(|k| !k.is_empty())
}

/// Requires `scope` on every route of `router`.
pub fn require(router: Router<AppState>, auth: Auth, scope: Scope) -> Router<AppState> {
    router.route_layer(middleware::from_fn(move |request: Request, next: Next| {
        let auth = auth.clone();
        async move {
            match auth.check(request.headers(), scope) {
                Ok(name) => {
                    let mut request = request;
                    if let Some(name) = &name {
                        request.extensions_mut().insert(name.clone());
                    }
                    let mut response = next.run(request).await;
                    response
                        .extensions_mut()
                        .insert(Authorized { scope, key: name });
                    response
                }
                Err(e) => e.into_response(),
            }
        }
    }))
}

/// Requires any one of `scopes` on every route of `router` (403 names the first).
pub fn require_any(
    router: Router<AppState>,
    auth: Auth,
    scopes: &'static [Scope],
) -> Router<AppState> {
    router.route_layer(middleware::from_fn(move |request: Request, next: Next| {
        let auth = auth.clone();
        async move {
            let mut last = Err(ApiError::unauthorized());
            for scope in scopes {
                last = auth.check(request.headers(), *scope);
                if last.is_ok() {
                    break;
                }
            }
            match last {
                Ok(name) => {
                    let mut request = request;
                    if let Some(name) = name {
                        request.extensions_mut().insert(name);
                    }
                    next.run(request).await
                }
                Err(e) => e.into_response(),
            }
        }
    }))
}
