//! `GET /metrics` (scope `metrics`, or no key with `[metrics] public = true`) and the
//! middleware counting every HTTP request by its matched path template.

use super::auth::{self, Auth};
use super::AppState;
use crate::config::Scope;
use crate::metrics::{Metrics, CONTENT_TYPE};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::time::Instant;

/// `/metrics`, behind the `metrics` scope unless `public`.
pub fn router(auth: Auth, public: bool) -> Router<AppState> {
    let route = Router::new().route("/metrics", get(scrape));
    if public {
        route
    } else {
        auth::require(route, auth, Scope::Metrics)
    }
}

async fn scrape(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        state.service.metrics_text().await,
    )
}

/// Counts a request by method, matched route template (`unmatched` for a 404 of no route:
/// never the raw URI, whose ids would make a series per message) and final status.
pub async fn count_requests(
    State(metrics): State<Metrics>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let response = next.run(request).await;
    metrics.http_request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}
