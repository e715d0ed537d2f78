//! Seed 003's conversation API: `GET /api/sms/conversations` (filters, keyset or offset
//! paging, `total`), `GET /api/sms/conversations/{id}` and `/{id}/history` and
//! `GET /api/sms/stats` (scope `read`); `POST /api/sms/conversations/{id}/close` and
//! `/{id}/reply` (scope `send`).
//!
//! Times are RFC 3339 in UTC, as everywhere in the API. A reply answers `202 Accepted` like
//! a send (it is queued, durably), and says which route it is pinned to and whether it
//! waits for that route to come back.

use super::caller::ClientCaller;
use super::dto::time_field;
use super::error::{ApiError, AppJson};
use super::AppState;
use crate::message::{format_millis, Millis};
use crate::service::{
    Conversation, ConversationQuery, ConversationStats, HistoryEntry, ReplyRequest,
};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Routes that read conversations (scope `read`).
pub fn read_router() -> Router<AppState> {
    Router::new()
        .route("/api/sms/conversations", get(list))
        .route("/api/sms/conversations/{id}", get(show))
        .route("/api/sms/conversations/{id}/history", get(history))
        .route("/api/sms/stats", get(stats))
}

/// Routes that change conversations (scope `send`).
pub fn send_router() -> Router<AppState> {
    Router::new()
        .route("/api/sms/conversations/{id}/close", post(close))
        .route("/api/sms/conversations/{id}/reply", post(reply))
}

fn time(ms: Millis) -> String {
    format_millis(ms)
}

fn conversation_json(c: &Conversation) -> Value {
    json!({
        "id": c.id,
        "remote_number": c.remote_number,
        "local_number": c.local_number,
        "route": c.route,
        "status": c.status,
        "created_at": time(c.created_at),
        "last_activity_at": time(c.updated_at),
        "closed_at": c.closed_at.map(time),
        "inbound_count": c.inbound_count,
        "outbound_count": c.outbound_count,
        "message_count": c.inbound_count + c.outbound_count,
        "purged": c.purged,
    })
}

fn history_json(e: &HistoryEntry) -> Value {
    json!({
        "direction": e.direction,
        "id": e.id,
        "from": e.from,
        "to": e.to,
        "text": e.text,
        "status": e.status,
        "route": e.route,
        "created_at": time(e.at),
        "sent_at": e.sent_at.map(time),
        "reply_to": e.reply_to,
    })
}

fn conversation_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::not_found(format!("conversation {raw}")))
}

/// `GET /api/sms/conversations` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    status: Option<String>,
    remote_number: Option<String>,
    local_number: Option<String>,
    /// The modem or provider (`modem` is the seed's word for it).
    #[serde(alias = "modem")]
    route: Option<String>,
    updated_since: Option<String>,
    cursor: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
}

/// A `+` left unencoded in a query string arrives as a space.
fn plus_restored(number: Option<String>) -> Option<String> {
    number.map(|n| match n.strip_prefix(' ') {
        Some(rest) if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) => {
            format!("+{rest}")
        }
        _ => n,
    })
}

async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let limit = q.limit.unwrap_or(50);
    let offset = q.offset.unwrap_or(0);
    let list = state
        .service
        .conversations(ConversationQuery {
            status: q.status,
            remote_number: plus_restored(q.remote_number),
            local_number: plus_restored(q.local_number),
            route: q.route,
            updated_since: time_field("updated_since", q.updated_since.as_deref())?,
            cursor: q.cursor,
            limit,
            offset,
        })
        .await?;
    let conversations: Vec<Value> = list
        .page
        .conversations
        .iter()
        .map(conversation_json)
        .collect();
    Ok(Json(json!({
        "conversations": conversations,
        "total": list.page.total,
        "limit": limit,
        "offset": offset,
        "next_cursor": list.next_cursor,
    })))
}

async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let c = state.service.conversation(conversation_id(&id)?).await?;
    Ok(Json(conversation_json(&c)))
}

/// `GET /api/sms/conversations/{id}/history` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryQuery {
    limit: Option<usize>,
}

async fn history(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<HistoryQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let id = conversation_id(&id)?;
    let conversation = state.service.conversation(id).await?;
    let entries = state
        .service
        .conversation_history(id, q.limit.unwrap_or(100))
        .await?;
    let messages: Vec<Value> = entries.iter().map(history_json).collect();
    Ok(Json(json!({
        "conversation": conversation_json(&conversation),
        "messages": messages,
    })))
}

async fn close(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = conversation_id(&id)?;
    let closed = state.service.close_conversation(id).await?;
    let c = state.service.conversation(id).await?;
    Ok(Json(json!({
        "closed": closed,
        "conversation": conversation_json(&c),
    })))
}

/// `POST /api/sms/conversations/{id}/reply` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyBody {
    #[serde(default)]
    message: String,
    template_id: Option<String>,
    #[serde(default)]
    template_variables: BTreeMap<String, String>,
}

async fn reply(
    State(state): State<AppState>,
    ClientCaller(caller): ClientCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
    AppJson(body): AppJson<ReplyBody>,
) -> Result<Response, ApiError> {
    // A client retrying after a timeout sends the same Idempotency-Key: one reply, not two.
    let idempotency_key = super::sms::idempotency_key(&headers)?;
    let id = conversation_id(&id)?;
    if body.message.trim().is_empty() && body.template_id.is_none() {
        return Err(ApiError::invalid(
            "message",
            "give a message or a template_id",
        ));
    }
    let outcome = state
        .service
        .reply(
            id,
            ReplyRequest {
                message: body.message,
                template_id: body.template_id,
                template_variables: body.template_variables,
                idempotency_key,
                api_key: caller.api_key,
            },
        )
        .await?;
    Ok((StatusCode::ACCEPTED, Json(json!(outcome))).into_response())
}

/// `GET /api/sms/stats` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatsQuery {
    date_from: Option<String>,
    date_to: Option<String>,
}

fn stats_json(s: &ConversationStats) -> Value {
    json!({
        "total_messages": s.inbound_messages + s.outbound_messages,
        "inbound_messages": s.inbound_messages,
        "outbound_messages": s.outbound_messages,
        "active_conversations": s.active_conversations,
        "conversations_in_range": s.conversations_in_range,
        "average_first_response_secs": s.average_first_response_secs,
        "responses": s.responses,
        "active_numbers_24h": s.active_numbers_24h,
        "active_numbers_7d": s.active_numbers_7d,
    })
}

async fn stats(
    State(state): State<AppState>,
    query: Result<Query<StatsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let from = time_field("date_from", q.date_from.as_deref())?;
    let to = time_field("date_to", q.date_to.as_deref())?;
    let s = state.service.conversation_stats(from, to).await?;
    Ok(Json(stats_json(&s)))
}
