//! `/api/webhooks…` (scope `admin`): webhook subscriptions — create (the secret shown
//! once), list, show, delete, rotate the secret (the new one shown once), and one
//! subscription's deliveries. `GET /api/webhooks/secret` (the status callbacks' key) stays
//! in `system.rs`; a static path wins over `{id}`.
//!
//! Bodies refuse unknown fields; every error names its field. Talks to the `Service` only;
//! no answer but create and rotate-secret ever carries a secret.

use super::error::{ApiError, AppJson};
use super::AppState;
use crate::message::format_millis;
use crate::service::{
    NewWebhook, WebhookDelivery as Delivery, WebhookSubscription as Subscription,
};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

/// The subscription routes (scope `admin`).
pub fn admin_router() -> Router<AppState> {
    Router::new()
        .route("/api/webhooks", post(create).get(list))
        .route("/api/webhooks/{id}", get(show).delete(remove))
        .route("/api/webhooks/{id}/rotate-secret", post(rotate))
        .route("/api/webhooks/{id}/deliveries", get(deliveries))
}

/// `POST /api/webhooks` (no `Debug`: it carries the secret).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    url: String,
    events: Vec<String>,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

fn subscription_json(s: &Subscription) -> Value {
    json!({
        "id": s.id,
        "url": s.url,
        "events": s.events,
        "description": s.description,
        "created_at": format_millis(s.created_at),
        "updated_at": format_millis(s.updated_at),
        "pending_deliveries": s.pending,
    })
}

fn delivery_json(d: &Delivery) -> Value {
    let status = if d.delivered_at.is_some() {
        "delivered"
    } else if d.gave_up_at.is_some() {
        "given_up"
    } else {
        "pending"
    };
    json!({
        "id": d.id,
        "event_id": d.event_id,
        "type": d.event_type,
        "status": status,
        "attempts": d.attempts,
        "last_status": d.last_status,
        "last_error": d.last_error,
        "created_at": format_millis(d.created_at),
        "next_attempt_at": (status == "pending").then(|| format_millis(d.next_attempt_at)),
        "delivered_at": d.delivered_at.map(format_millis),
        "gave_up_at": d.gave_up_at.map(format_millis),
    })
}

async fn create(
    State(state): State<AppState>,
    AppJson(body): AppJson<CreateBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let created = state
        .service
        .create_webhook(NewWebhook {
            url: body.url,
            events: body.events,
            secret: body.secret,
            description: body.description,
        })
        .await?;
    let mut view = subscription_json(&created.subscription);
    if let Some(map) = view.as_object_mut() {
        map.insert("secret".into(), Value::String(created.secret));
    }
    Ok((StatusCode::CREATED, Json(view)))
}

async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let all = state.service.webhooks().await?;
    let views: Vec<Value> = all.iter().map(subscription_json).collect();
    Ok(Json(json!({ "total": views.len(), "webhooks": views })))
}

async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(subscription_json(&state.service.webhook(&id).await?)))
}

async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.service.delete_webhook(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn rotate(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let secret = state.service.rotate_webhook_secret(&id).await?;
    Ok(Json(json!({ "id": id, "secret": secret })))
}

/// `GET /api/webhooks/{id}/deliveries` query.
#[derive(Debug, Deserialize)]
struct PageQuery {
    limit: Option<usize>,
    offset: Option<usize>,
}

async fn deliveries(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let (rows, total) = state
        .service
        .webhook_deliveries(&id, q.limit.unwrap_or(50), q.offset.unwrap_or(0))
        .await?;
    let views: Vec<Value> = rows.iter().map(delivery_json).collect();
    Ok(Json(json!({ "total": total, "deliveries": views })))
}
