//! The HTTP API (layer 5): axum routers, one file per resource, request/response shapes,
//! the one [`ApiError`], API-key auth and the middleware stack (body limit, timeout, CORS).
//!
//! The only module that knows axum or JSON DTOs; it speaks to the [`Service`] only —
//! never to the store, modems or AT.

pub mod auth;
mod caller;
mod dto;
pub mod error;
mod inbound;
mod optouts;
mod otp;
mod phone;
pub mod provider_callbacks;
mod sms;
mod system;
mod templates;
pub mod twilio_compat;
mod twofa;

pub use error::ApiError;

use crate::config::{ApiKey, Scope};
use crate::service::Service;
use axum::extract::DefaultBodyLimit;
use axum::Router;
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;

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
    /// Longest a request may take.
    pub request_timeout: Duration,
    /// Origins allowed by CORS (none: no CORS headers).
    pub cors_origins: Vec<String>,
    /// API keys (none: the API is open, and the daemon listens on loopback only).
    pub api_keys: Vec<ApiKey>,
    /// `[twilio_compat]`: serve the Twilio-compatible API (none: its paths are 404).
    pub twilio_compat: Option<twilio_compat::TwilioCompatSettings>,
    /// `[providers]`: the providers whose status callbacks are served, and the public URL
    /// their signatures cover (nothing configured: their paths are 404).
    pub provider_callbacks: provider_callbacks::CallbackSettings,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: 8 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            cors_origins: Vec::new(),
            api_keys: Vec::new(),
            twilio_compat: None,
            provider_callbacks: provider_callbacks::CallbackSettings::default(),
        }
    }
}

/// The API as a service other code can serve or call (`tower::ServiceExt::oneshot` in tests).
pub type App = Router;

/// Serves `app` on `listener` until `shutdown` resolves; requests in progress then finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // With the peer address in each request: the per-IP limits need it.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// The whole API.
pub fn router(state: AppState, settings: &HttpSettings) -> Router {
    let auth = auth::Auth::new(settings.api_keys.clone());
    // Twilio's routes have their own (Basic) auth, so they sit outside the API-key groups.
    let twilio = match &settings.twilio_compat {
        Some(t) => twilio_compat::router(state.service.clone(), t.clone()),
        None => Router::new(),
    };
    // Provider status callbacks are authenticated by their providers' signatures.
    let callbacks = provider_callbacks::router(state.service.clone(), &settings.provider_callbacks);
    let api = Router::new()
        .merge(auth::require(
            sms::send_router()
                .merge(templates::write_router())
                .merge(optouts::send_router())
                .merge(provider_callbacks::webhook_router()),
            auth.clone(),
            Scope::Send,
        ))
        .merge(auth::require(
            sms::read_router()
                .merge(system::read_router())
                .merge(templates::read_router())
                .merge(inbound::read_router())
                .merge(optouts::read_router()),
            auth.clone(),
            Scope::Read,
        ))
        .merge(auth::require(
            otp::router().merge(twofa::router()),
            auth.clone(),
            Scope::Otp,
        ))
        .merge(auth::require(phone::router(), auth.clone(), Scope::Read))
        .merge(auth::require(system::admin_router(), auth, Scope::Admin))
        .merge(system::probe_router())
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .with_state(state)
        .merge(twilio)
        .merge(callbacks)
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            settings.request_timeout,
        ));
    if settings.cors_origins.is_empty() {
        return api;
    }
    let origins: Vec<axum::http::HeaderValue> = settings
        .cors_origins
        .iter()
        .filter_map(|o| o.parse().ok())
        .collect();
    api.layer(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
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
