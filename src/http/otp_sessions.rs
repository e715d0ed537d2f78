//! `GET /api/otp/sessions` (scope `read`): the newest OTP sessions — never a code, the
//! number masked, as `GET /api/otp/{session_id}` shows one — and how the sessions of the
//! last `hours` ended (the verification success rate), for dashboards and the console.

use super::error::ApiError;
use super::views::{OtpSessionJson, Time};
use super::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// The route (scope `read`).
pub fn read_router() -> Router<AppState> {
    Router::new().route("/api/otp/sessions", get(sessions))
}

#[derive(Debug, Deserialize)]
struct Params {
    /// Sessions listed, 1–500 (50).
    limit: Option<String>,
    /// The window of the summary in hours, 1–8760 (24).
    hours: Option<String>,
}

fn bounded(field: &str, text: Option<&str>, default: u64, max: u64) -> Result<u64, ApiError> {
    let Some(text) = text else {
        return Ok(default);
    };
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::invalid(field, format!("a whole number, 1–{max}"))),
    }
}

async fn sessions(
    State(state): State<AppState>,
    query: Result<Query<Params>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(params) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let limit = bounded("limit", params.limit.as_deref(), 50, 500)?;
    let hours = bounded("hours", params.hours.as_deref(), 24, 8760)?;
    let (sessions, outcomes) = state
        .service
        .otp_recent(
            usize::try_from(limit).unwrap_or(500),
            Duration::from_secs(hours * 3600),
        )
        .await?;
    let sessions: Vec<OtpSessionJson> = sessions.into_iter().map(OtpSessionJson::from).collect();
    Ok(Json(json!({
        "sessions": sessions,
        "summary": {
            "since": Time(outcomes.since),
            "hours": hours,
            "total": outcomes.total,
            "verified": outcomes.verified,
            "success_rate": outcomes.success_rate,
            "by_status": outcomes.by_status,
        },
    })))
}
