//! `/api/sms…` and `/api/batches/{id}`: send, send a batch, list, show, cancel.

use super::caller::ClientCaller;
use super::dto::{time_field, BatchBody, SendBody};
use super::error::{ApiError, AppJson};
use super::views::{BatchJson, MessageDetailJson, MessageJson};
use super::AppState;
use crate::message::{MessageId, MessageStatus, SmsType};
use crate::service::ListFilter;
use crate::service::SendOutcome;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

/// Routes that send (scope `send`).
pub fn send_router() -> Router<AppState> {
    Router::new()
        .route("/api/sms/send", post(send))
        .route("/api/sms/send-batch", post(send_batch))
        .route("/api/sms/{id}/cancel", post(cancel))
}

/// Routes that read (scope `read`).
pub fn read_router() -> Router<AppState> {
    Router::new()
        .route("/api/sms", get(list))
        .route("/api/sms/{id}", get(show))
        .route("/api/batches/{id}", get(batch))
}

pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => match v.to_str() {
            Ok(s) if !s.trim().is_empty() && s.len() <= 255 => Ok(Some(s.trim().to_string())),
            _ => Err(ApiError::invalid(
                "Idempotency-Key",
                "1–255 visible characters",
            )),
        },
    }
}

/// The answer to an accepted send: `200 OK`, because the seed's clients (`shared/seeds/004`)
/// check `status_code == 200`; the message is durably queued, not yet sent (its `status`
/// says so). The Twilio-compatible API keeps Twilio's own `201`.
fn accepted(outcome: SendOutcome) -> Response {
    let mut body = json!({
        "batch_id": outcome.batch_id,
        "status": "accepted",
        "replayed": outcome.replayed,
        "total": outcome.messages.len(),
        "messages": outcome.messages,
    });
    if let (false, Some(map)) = (outcome.rejected.is_empty(), body.as_object_mut()) {
        map.insert("rejected".into(), json!(outcome.rejected));
    }
    if let (Some(fallback), Some(map)) = (&outcome.provider_fallback, body.as_object_mut()) {
        map.insert("provider_fallback".into(), json!(fallback));
    }
    (StatusCode::OK, Json(body)).into_response()
}

async fn send(
    State(state): State<AppState>,
    ClientCaller(caller): ClientCaller,
    headers: HeaderMap,
    AppJson(body): AppJson<SendBody>,
) -> Result<Response, ApiError> {
    let request = body.into_request(idempotency_key(&headers)?, caller.api_key)?;
    Ok(accepted(state.service.send(request).await?))
}

async fn send_batch(
    State(state): State<AppState>,
    ClientCaller(caller): ClientCaller,
    headers: HeaderMap,
    AppJson(body): AppJson<BatchBody>,
) -> Result<Response, ApiError> {
    let request = body.into_request(idempotency_key(&headers)?, caller.api_key)?;
    Ok(accepted(state.service.send(request).await?))
}

fn message_id(raw: &str) -> Result<MessageId, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(MessageId)
        .ok_or_else(|| ApiError::not_found(format!("message {raw}")))
}

async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<MessageDetailJson>, ApiError> {
    let detail = state.service.message(message_id(&id)?).await?;
    Ok(Json(MessageDetailJson::from(detail)))
}

async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = message_id(&id)?;
    let status: MessageStatus = state.service.cancel(id).await?;
    Ok(Json(json!({"id": id, "status": status})))
}

async fn batch(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<BatchJson>, ApiError> {
    let summary = state.service.batch(&id).await?;
    Ok(Json(BatchJson::from(summary)))
}

/// `GET /api/sms` query.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    sms_type: Option<String>,
    batch_id: Option<String>,
    /// Only messages to this number (normalised like a send's `to`).
    recipient: Option<String>,
    date_from: Option<String>,
    date_to: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
}

async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let status = q
        .status
        .as_deref()
        .map(|s| {
            MessageStatus::parse(s)
                .ok_or_else(|| ApiError::invalid("status", format!("unknown status {s:?}")))
        })
        .transpose()?;
    let sms_type = q
        .sms_type
        .as_deref()
        .map(|s| {
            SmsType::parse(s)
                .ok_or_else(|| ApiError::invalid("sms_type", format!("unknown sms_type {s:?}")))
        })
        .transpose()?;
    let limit = q.limit.unwrap_or(50);
    if limit == 0 || limit > 1000 {
        return Err(ApiError::invalid("limit", "1–1000"));
    }
    let recipient = q
        .recipient
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|number| {
            state
                .service
                .normalise(&crate::service::RecipientInput {
                    number: number.to_string(),
                    country_code: None,
                    name: None,
                })
                .map_err(|e| ApiError::invalid("recipient", e))
        })
        .transpose()?;
    let filter = ListFilter {
        status,
        sms_type,
        batch_id: q.batch_id,
        recipient,
        date_from: time_field("date_from", q.date_from.as_deref())?,
        date_to: time_field("date_to", q.date_to.as_deref())?,
        limit,
        offset: q.offset.unwrap_or(0),
        ..ListFilter::default()
    };
    // `total` counts every match (the seed's clients page with it); `count` is this page.
    let total = state.service.count(filter.clone()).await?;
    let messages: Vec<MessageJson> = state
        .service
        .list(filter)
        .await?
        .iter()
        .map(MessageJson::from)
        .collect();
    let count = messages.len();
    Ok(Json(json!({
        "messages": messages,
        "count": count,
        "total": total,
        "limit": limit,
        "offset": q.offset.unwrap_or(0),
    })))
}
