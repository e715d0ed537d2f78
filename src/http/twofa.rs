//! `/api/2fa/*`: two-factor authentication keyed by the application's `user_id` — enrol,
//! confirm (answers the backup codes once), challenge, verify, disable, state.
//!
//! A wrong code is 400 with `{"success": false, "valid": false, "reason"}`; the flows of
//! `000`/`001` treat it so.

use super::caller::ClientCaller;
use super::dto::RecipientDto;
use super::error::{ApiError, AppJson};
use super::otp::refused;
use super::views::{TwoFaCodeSentJson, TwoFaStateJson};
use super::AppState;
use crate::service::{RecipientInput, ServiceError, TwoFaVerdict};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// Routes (scope `otp`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/2fa/enroll", post(enroll))
        .route("/api/2fa/confirm", post(confirm))
        .route("/api/2fa/challenge", post(challenge))
        .route("/api/2fa/verify", post(verify))
        .route("/api/2fa/disable", post(disable))
        .route("/api/2fa/{user_id}", get(state_of))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnrollBody {
    user_id: String,
    phone_number: RecipientDto,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserBody {
    user_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    user_id: String,
    code: String,
}

fn json_of(value: impl Serialize) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ServiceError::Internal(e.to_string()).into())
}

fn with_success(mut value: serde_json::Value, success: bool) -> serde_json::Value {
    if let Some(map) = value.as_object_mut() {
        map.insert("success".into(), success.into());
    }
    value
}

fn verdict_response(verdict: TwoFaVerdict) -> Result<Response, ApiError> {
    let valid = verdict.valid;
    let value = with_success(json_of(verdict)?, valid);
    Ok(if valid {
        Json(value).into_response()
    } else {
        refused(value)
    })
}

async fn enroll(
    State(state): State<AppState>,
    ClientCaller(caller): ClientCaller,
    AppJson(body): AppJson<EnrollBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let phone = RecipientInput::from(body.phone_number);
    let sent = state
        .service
        .twofa_enroll(&body.user_id, &phone, &caller)
        .await?;
    Ok(Json(with_success(
        json_of(TwoFaCodeSentJson::from(sent))?,
        true,
    )))
}

async fn confirm(
    State(state): State<AppState>,
    ClientCaller(caller): ClientCaller,
    AppJson(body): AppJson<CodeBody>,
) -> Result<Response, ApiError> {
    match state
        .service
        .twofa_confirm(&body.user_id, &body.code, &caller)
        .await?
    {
        Ok(activated) => Ok(Json(with_success(json_of(activated)?, true)).into_response()),
        Err(verdict) => verdict_response(verdict),
    }
}

async fn challenge(
    State(state): State<AppState>,
    ClientCaller(caller): ClientCaller,
    AppJson(body): AppJson<UserBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let sent = state
        .service
        .twofa_challenge(&body.user_id, &caller)
        .await?;
    Ok(Json(with_success(
        json_of(TwoFaCodeSentJson::from(sent))?,
        true,
    )))
}

async fn verify(
    State(state): State<AppState>,
    ClientCaller(caller): ClientCaller,
    AppJson(body): AppJson<CodeBody>,
) -> Result<Response, ApiError> {
    let verdict = state
        .service
        .twofa_verify(&body.user_id, &body.code, &caller)
        .await?;
    verdict_response(verdict)
}

async fn disable(
    State(state): State<AppState>,
    ClientCaller(caller): ClientCaller,
    AppJson(body): AppJson<CodeBody>,
) -> Result<Response, ApiError> {
    let verdict = state
        .service
        .twofa_disable(&body.user_id, &body.code, &caller)
        .await?;
    if verdict.valid {
        let mut value = with_success(json_of(verdict)?, true);
        if let Some(map) = value.as_object_mut() {
            map.insert("status".into(), "disabled".into());
            map.insert("user_id".into(), body.user_id.into());
        }
        return Ok(Json(value).into_response());
    }
    verdict_response(verdict)
}

async fn state_of(
    State(state): State<AppState>,
    ClientCaller(caller): ClientCaller,
    Path(user_id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(json_of(TwoFaStateJson::from(
        state.service.twofa_state(&user_id, &caller).await?,
    ))?))
}
