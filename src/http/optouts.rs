//! `/api/optouts…`: the opt-out list. Reading under scope `read`; adding and removing
//! under scope `send` (they decide who gets messages).

use super::error::ApiError;
use super::views::OptoutJson;
use super::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

/// Routes that change the list (scope `send`).
pub fn send_router() -> Router<AppState> {
    Router::new().route("/api/optouts/{number}", post(add).delete(remove))
}

/// Routes that read the list (scope `read`).
pub fn read_router() -> Router<AppState> {
    Router::new()
        .route("/api/optouts", get(list))
        .route("/api/optouts/{number}", get(show))
}

fn view(optout: crate::service::Optout) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(OptoutJson::from(optout)).map_err(ApiError::internal)
}

/// 201 when added, 200 when the number was already on the list (left as it was).
async fn add(
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    let (optout, added) = state.service.optout_add(&number).await?;
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view(optout)?)).into_response())
}

async fn remove(
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.service.optout_remove(&number).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn show(
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(view(state.service.optout(&number).await?)?))
}

/// `GET /api/optouts` query.
#[derive(Debug, Deserialize)]
struct ListQuery {
    limit: Option<usize>,
    offset: Option<usize>,
}

async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let limit = q.limit.unwrap_or(50);
    let offset = q.offset.unwrap_or(0);
    let page = state.service.optouts(limit, offset).await?;
    let optouts: Vec<OptoutJson> = page.optouts.into_iter().map(OptoutJson::from).collect();
    Ok(Json(json!({
        "optouts": optouts,
        "total": page.total,
        "limit": limit,
        "offset": offset,
    })))
}
