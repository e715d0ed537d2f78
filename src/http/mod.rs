//! The HTTP API (layer 5): axum routers, one file per resource, request/response shapes,
//! the one [`ApiError`], API-key auth and the middleware stack (body limit, timeout, CORS).
//!
//! The only module that knows axum or JSON DTOs; it speaks to the [`Service`] only —
//! never to the store, modems or AT (`.ci/layers` checks). The JSON the endpoints answer
//! with is written down in `views.rs`, field by field.

mod analytics;
mod audit;
pub mod auth;
mod auto_replies;
mod caller;
mod console;
mod conversations;
mod count;
mod dto;
pub mod error;
pub mod guard;
mod inbound;
mod metrics;
mod modem_admin;
pub mod openapi;
mod ops;
mod optouts;
mod otp;
mod otp_sessions;
mod phone;
pub mod provider_callbacks;
pub mod provider_inbound;
pub mod server;
mod sms;
mod system;
mod templates;
pub mod twilio_compat;
mod twofa;
mod views;
mod webhooks;
mod whoami;

pub use error::ApiError;
pub use server::{serve, ServeLimits};

use crate::config::{ApiKey, Scope};
use crate::service::Service;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::Router;
use std::sync::Arc;
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::RequestBodyDeadlineLayer;

/// What every handler sees.
#[derive(Clone)]
pub struct AppState {
    /// The application façade.
    pub service: Service,
}

/// HTTP settings.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Longest a read may take, and a request body may take to arrive.
    pub request_timeout: Duration,
    /// Origins allowed by CORS (none: no CORS headers; `"*"`: any).
    pub cors_origins: Vec<String>,
    /// `Host` names an open API serves besides loopback ones.
    pub allowed_hosts: Vec<String>,
    /// API keys (none: the API is open, and the daemon listens on loopback only).
    pub api_keys: Vec<ApiKey>,
    /// `[twilio_compat]`: serve the Twilio-compatible API (none: its paths are 404).
    pub twilio_compat: Option<twilio_compat::TwilioCompatSettings>,
    /// `[providers]`: the providers whose status callbacks are served, and the public URL
    /// their signatures cover (nothing configured: their paths are 404).
    pub provider_callbacks: provider_callbacks::CallbackSettings,
    /// `[metrics] public`: `/metrics` is served without a key.
    pub metrics_public: bool,
    /// `[console] enabled`: serve the web console at `/ui/` (false: no such routes).
    pub console: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: 8 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            cors_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            api_keys: Vec::new(),
            twilio_compat: None,
            provider_callbacks: provider_callbacks::CallbackSettings::default(),
            metrics_public: false,
            console: true,
        }
    }
}

/// The API as a service other code can serve or call (`tower::ServiceExt::oneshot` in tests).
pub type App = Router;

/// The whole API.
pub fn router(state: AppState, settings: &HttpSettings) -> Router {
    let auth = auth::Auth::new(settings.api_keys.clone());
    router_with_auth(state, settings, auth)
}

/// The whole API, checking keys with `auth` (whose keys a reload may replace).
pub fn router_with_auth(state: AppState, settings: &HttpSettings, auth: auth::Auth) -> Router {
    let counted = state.service.metrics().clone();
    let audited = state.service.clone();
    // Twilio's routes have their own (Basic) auth, so they sit outside the API-key groups.
    let twilio = match &settings.twilio_compat {
        Some(t) => twilio_compat::router(state.service.clone(), t.clone()),
        None => Router::new(),
    };
    // Provider status callbacks are authenticated by their providers' signatures.
    let callbacks = provider_callbacks::router(state.service.clone(), &settings.provider_callbacks);
    // So are their incoming-message webhooks (same settings, same public URL).
    let inbound_webhooks = provider_inbound::router(
        state.service.clone(),
        &settings.provider_callbacks,
        settings.max_body_bytes,
    );
    let api = Router::new()
        .merge(auth::require(
            sms::send_router()
                .merge(conversations::send_router())
                .merge(templates::write_router())
                .merge(optouts::send_router())
                .merge(provider_callbacks::webhook_router()),
            auth.clone(),
            Scope::Send,
        ))
        .merge(auth::require(
            sms::read_router()
                .merge(conversations::read_router())
                .merge(system::read_router())
                .merge(modem_admin::read_router())
                .merge(templates::read_router())
                .merge(inbound::read_router())
                .merge(optouts::read_router())
                .merge(analytics::router())
                .merge(otp_sessions::read_router()),
            auth.clone(),
            Scope::Read,
        ))
        .merge(auth::require(
            otp::router().merge(twofa::router()),
            auth.clone(),
            Scope::Otp,
        ))
        .merge(auth::require(phone::router(), auth.clone(), Scope::Read))
        .merge(auth::require(
            system::admin_router()
                .merge(modem_admin::admin_router())
                .merge(webhooks::admin_router())
                .merge(auto_replies::router())
                .merge(ops::admin_router()),
            auth.clone(),
            Scope::Admin,
        ))
        .merge(metrics::router(auth.clone(), settings.metrics_public))
        .merge(auth::require_any(
            count::router(),
            auth.clone(),
            &[Scope::Send, Scope::Read],
        ))
        .merge(whoami::router(auth.clone()))
        .merge(console::router(settings.console))
        .merge(system::probe_router())
        .merge(openapi::router())
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .layer(from_fn_with_state(audited, audit::record))
        .with_state(state)
        .layer(from_fn_with_state(
            settings.request_timeout,
            guard::bound_reads,
        ))
        .layer(from_fn_with_state(
            Arc::new(guard::HostRule {
                open_api: settings.api_keys.is_empty(),
                allowed: settings.allowed_hosts.clone(),
            }),
            guard::check_host,
        ))
        // Provider callbacks are not bounded as reads: a Vonage receipt comes as a GET and
        // writes.
        .merge(twilio.layer(from_fn_with_state(
            settings.request_timeout,
            guard::bound_reads,
        )))
        .merge(callbacks)
        .merge(inbound_webhooks)
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        .layer(RequestBodyDeadlineLayer::new(settings.request_timeout))
        .layer(from_fn(guard::check_uri));
    let api = match cors(&settings.cors_origins) {
        Some(cors) => api.layer(cors),
        None => api,
    };
    // Outermost: whatever answered with an error, the client gets the JSON shape; then
    // every request is counted with the status the client got.
    api.layer(from_fn(guard::json_errors))
        .layer(from_fn_with_state(counted, metrics::count_requests))
}

/// The CORS layer for the configured origins (none: no CORS headers at all). `"*"` allows
/// any origin (never with credentials: the API key is a header the page must hold itself).
fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        // Validation refused anything that is not a header value; skip rather than panic.
        AllowOrigin::list(origins.iter().filter_map(|o| o.parse().ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([
                axum::http::Method::GET,
                axum::http::Method::POST,
                axum::http::Method::PUT,
                axum::http::Method::DELETE,
            ])
            .allow_headers([
                axum::http::header::CONTENT_TYPE,
                axum::http::header::AUTHORIZATION,
                axum::http::HeaderName::from_static("x-api-key"),
                axum::http::HeaderName::from_static("idempotency-key"),
            ]),
    )
}
