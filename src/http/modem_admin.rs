//! `/api/modems/{name}` (scope `read`) and its admin actions (scope `admin`): `disable`,
//! `enable`, `reset` (202) and `ussd`.
//!
//! Speaks to the service only. USSD errors map to 409 (busy), 503 (modem not ready),
//! 504 (no answer in time) and 502 (refused by the modem or network).

use super::error::{ApiError, AppJson};
use super::AppState;
use crate::service::ModemAdminError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

/// `GET /api/modems/{name}`.
pub fn read_router() -> Router<AppState> {
    Router::new().route("/api/modems/{name}", get(detail))
}

/// The admin actions.
pub fn admin_router() -> Router<AppState> {
    Router::new()
        .route("/api/modems/{name}/disable", post(disable))
        .route("/api/modems/{name}/enable", post(enable))
        .route("/api/modems/{name}/reset", post(reset))
        .route("/api/modems/{name}/ussd", post(ussd))
}

async fn detail(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(state.service.modem_detail(&name)?)))
}

async fn disable(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(
        state.service.set_modem_disabled(&name, true).await?
    )))
}

async fn enable(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(
        state.service.set_modem_disabled(&name, false).await?
    )))
}

async fn reset(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    state.service.reset_modem(&name)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "modem": name, "status": "resetting" })),
    ))
}

/// The body of `POST /api/modems/{name}/ussd`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UssdBody {
    /// The USSD code (`*100#`) or a session's reply (`1`).
    pub code: String,
    /// The session to continue (from an answer with `"more": true`).
    #[serde(default)]
    pub session_id: Option<String>,
}

async fn ussd(
    State(state): State<AppState>,
    Path(name): Path<String>,
    AppJson(body): AppJson<UssdBody>,
) -> Result<Json<Value>, ApiError> {
    let answer = state
        .service
        .ussd(&name, &body.code, body.session_id)
        .await
        .map_err(admin_error)?;
    Ok(Json(json!({
        "modem": name,
        "status": answer.status,
        "more": answer.more,
        "session_id": answer.session_id,
        "text": answer.text,
        "coding": answer.coding,
        "dcs": answer.dcs,
    })))
}

fn admin_error(e: ModemAdminError) -> ApiError {
    match e {
        ModemAdminError::Service(e) => e.into(),
        ModemAdminError::Busy(m) => ApiError::new(StatusCode::CONFLICT, "ussd_busy", m),
        ModemAdminError::Unavailable(m) => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "modem_not_ready", m)
        }
        ModemAdminError::Timeout(m) => {
            ApiError::new(StatusCode::GATEWAY_TIMEOUT, "ussd_timeout", m)
        }
        ModemAdminError::Upstream(m) => ApiError::new(StatusCode::BAD_GATEWAY, "ussd_refused", m),
    }
}
