//! Operations endpoints (scope `admin`): `POST /api/admin/reload` (re-read the config file
//! and apply what can change live), `GET /api/audit` (the audit log) and `GET /api/cluster`
//! (the nodes sharing the database, their routes and heartbeats).
//!
//! Knows only the service.

use super::auth::KeyName;
use super::dto::time_field;
use super::error::ApiError;
use super::AppState;
use crate::message::format_millis;
use crate::service::{AuditFilter, ReloadError, OPEN_API_ACTOR};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::json;

/// The admin routes of this file.
pub fn admin_router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/reload", post(reload))
        .route("/api/audit", get(audit))
        .route("/api/cluster", get(cluster))
}

/// The nodes sharing this node's database (one, `local`, with SQLite).
async fn cluster(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let status = state.service.cluster_status().await?;
    Ok(Json(serde_json::to_value(status).map_err(|e| {
        ApiError::from(crate::service::ServiceError::Internal(e.to_string()))
    })?))
}

/// 200 with what changed; 422 with `smsgate check-config`'s text when the new config is
/// invalid (nothing changed).
async fn reload(
    State(state): State<AppState>,
    key: Option<Extension<KeyName>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let actor = key.map_or_else(|| OPEN_API_ACTOR.to_string(), |Extension(k)| k.0);
    match state.service.reload(&actor).await {
        Ok(report) => Ok(Json(json!({
            "reloaded": true,
            "changed": report.changed,
            "needs_restart": report.needs_restart,
            "modems": report.modems,
            "modems_note": report.modems_note,
        }))),
        Err(ReloadError::Refused(text)) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "config_invalid",
            text,
        )),
        Err(e @ ReloadError::Unavailable) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            e.to_string(),
        )),
    }
}

/// `GET /api/audit` query.
#[derive(Debug, Deserialize)]
struct AuditQuery {
    action: Option<String>,
    actor: Option<String>,
    since: Option<String>,
    until: Option<String>,
    cursor: Option<String>,
    limit: Option<usize>,
}

async fn audit(
    State(state): State<AppState>,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let before_id = q
        .cursor
        .as_deref()
        .map(|c| {
            c.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| ApiError::invalid("cursor", "not a cursor this API returned"))
        })
        .transpose()?;
    let limit = q.limit.unwrap_or(50);
    let (entries, next) = state
        .service
        .audit_log(AuditFilter {
            action: q.action,
            actor: q.actor,
            since: time_field("since", q.since.as_deref())?,
            until: time_field("until", q.until.as_deref())?,
            before_id,
            limit,
        })
        .await?;
    let entries: Vec<serde_json::Value> = entries
        .into_iter()
        .map(|e| {
            json!({
                "id": e.id,
                "at": format_millis(e.at),
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
                "detail": e.detail,
            })
        })
        .collect();
    Ok(Json(json!({
        "entries": entries,
        "next_cursor": next.map(|n| n.to_string()),
        "limit": limit,
    })))
}
