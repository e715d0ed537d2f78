//! `GET /api/inbound` and `GET /api/inbound/{id}`: the inbox (scope `read`).

use super::dto::time_field;
use super::error::ApiError;
use super::views::{InboundDetailJson, InboundJson};
use super::AppState;
use crate::service::InboundQuery;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

/// Routes that read the inbox (scope `read`).
pub fn read_router() -> Router<AppState> {
    Router::new()
        .route("/api/inbound", get(list))
        .route("/api/inbound/{id}", get(show))
}

/// `GET /api/inbound` query.
#[derive(Debug, Deserialize)]
struct ListQuery {
    from: Option<String>,
    since: Option<String>,
    limit: Option<usize>,
    offset: Option<usize>,
}

/// A `+` left unencoded in a query string arrives as a space (form encoding): a value of a
/// space and digits is taken as the international number it was meant to be.
fn plus_restored(from: String) -> String {
    match from.strip_prefix(' ') {
        Some(rest) if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit() || b == b' ') => {
            format!("+{rest}")
        }
        _ => from,
    }
}

async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let limit = q.limit.unwrap_or(50);
    let offset = q.offset.unwrap_or(0);
    let page = state
        .service
        .inbound(InboundQuery {
            from: q.from.map(plus_restored),
            since: time_field("since", q.since.as_deref())?,
            limit,
            offset,
        })
        .await?;
    let messages: Vec<InboundJson> = page.messages.into_iter().map(InboundJson::from).collect();
    Ok(Json(json!({
        "messages": messages,
        "total": page.total,
        "limit": limit,
        "offset": offset,
    })))
}

async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<InboundDetailJson>, ApiError> {
    let id = id
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::not_found(format!("inbound message {id}")))?;
    let detail = state.service.inbound_message(id).await?;
    Ok(Json(InboundDetailJson::from(detail)))
}

#[cfg(test)]
mod tests {
    use super::plus_restored;

    #[test]
    fn an_unencoded_plus_is_restored() {
        assert_eq!(plus_restored(" 4915112345678".into()), "+4915112345678");
        assert_eq!(plus_restored("+4915112345678".into()), "+4915112345678");
        assert_eq!(plus_restored(" MyBank".into()), " MyBank");
        assert_eq!(plus_restored(" ".into()), " ");
    }
}
