//! `/api/modems`, `/healthz`, `/readyz`.

use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

/// `/api/modems` (scope `read`).
pub fn read_router() -> Router<AppState> {
    Router::new()
        .route("/api/modems", get(modems))
        .route("/api/routes", get(routes))
}

/// Every route the dispatcher uses — the modems and the configured cloud providers — as
/// the balancer sees it now.
async fn routes(State(state): State<AppState>) -> Json<serde_json::Value> {
    let routes: Vec<serde_json::Value> = state
        .service
        .routes()
        .into_iter()
        .map(|snapshot| {
            let kind = if crate::config::PROVIDER_NAMES.contains(&snapshot.name.as_str()) {
                "provider"
            } else {
                "modem"
            };
            let mut value = json!(snapshot);
            if let Some(map) = value.as_object_mut() {
                map.insert("kind".into(), kind.into());
            }
            value
        })
        .collect();
    Json(json!({ "routes": routes }))
}

/// `/api/webhooks/secret` (scope `admin`): the key status callbacks are signed with.
pub fn admin_router() -> Router<AppState> {
    Router::new().route("/api/webhooks/secret", get(webhook_secret))
}

async fn webhook_secret(
    State(state): State<AppState>,
) -> Result<Json<serde_json::Value>, super::ApiError> {
    let secret = state.service.webhook_secret().await?;
    Ok(Json(json!({
        "secret": secret,
        "scheme": "X-Smsgate-Signature: sha256=hex(HMAC-SHA256(secret, X-Smsgate-Timestamp + \".\" + body))",
    })))
}

/// `/healthz` and `/readyz` (no key needed: load balancers and systemd probe them).
pub fn probe_router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn modems(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({ "modems": state.service.modems() }))
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// Ready when at least one route can send and the database answers.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let ready = state.service.ready();
    let database = state.service.database_reachable();
    // No database round trip while it is away: the answer must come at once.
    let depth = if database {
        state.service.queue_depth().await.ok()
    } else {
        None
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({"ready": ready, "database": database, "queue_depth": depth})),
    )
}
