//! `/api/auto-replies…` (scope `admin`): the automatic-reply rules. `GET` lists every rule
//! in the order the worker tries them — the config file's `[[auto_reply]]` rules too, with
//! `"source": "config"` and ids `config:<name>`, read-only (PUT/DELETE answer 409) — and
//! `POST`, `PUT /{id}` (a full replacement), `DELETE /{id}` edit the stored ones.

use super::error::{ApiError, AppJson};
use super::AppState;
use crate::service::AutoReplyRuleInput;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

/// The routes (scope `admin`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auto-replies", get(list).post(create))
        .route(
            "/api/auto-replies/{id}",
            get(show).put(replace).delete(remove),
        )
}

/// A rule as posted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleBody {
    name: String,
    #[serde(rename = "match")]
    match_kind: String,
    pattern: String,
    #[serde(default)]
    modem: Option<String>,
    #[serde(default)]
    local_number: Option<String>,
    #[serde(default)]
    template_id: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    priority: Option<i64>,
    #[serde(default)]
    enabled: Option<bool>,
}

impl From<RuleBody> for AutoReplyRuleInput {
    fn from(b: RuleBody) -> Self {
        Self {
            name: b.name,
            match_kind: b.match_kind,
            pattern: b.pattern,
            modem: b.modem,
            local_number: b.local_number,
            template_id: b.template_id,
            text: b.text,
            priority: b.priority,
            enabled: b.enabled,
        }
    }
}

async fn list(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let rules = state.service.auto_reply_rules().await?;
    Ok(Json(json!({ "total": rules.len(), "rules": rules })))
}

async fn create(
    State(state): State<AppState>,
    AppJson(body): AppJson<RuleBody>,
) -> Result<Response, ApiError> {
    let rule = state.service.create_auto_reply_rule(body.into()).await?;
    Ok((StatusCode::CREATED, Json(rule)).into_response())
}

async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    Ok(Json(state.service.auto_reply_rule(&id).await?).into_response())
}

async fn replace(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AppJson(body): AppJson<RuleBody>,
) -> Result<Response, ApiError> {
    let rule = state
        .service
        .update_auto_reply_rule(&id, body.into())
        .await?;
    Ok(Json(rule).into_response())
}

async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.service.delete_auto_reply_rule(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}
