//! `/api/otp/*`: generate, verify, resend, show a session — in the seed API's shapes
//! (`004`: `phone_number`, `otp_code`, `session_id`) and the short ones of `001`
//! (`POST /api/otp/send {phoneNumber}`, `POST /api/otp/verify {phoneNumber, code}`).
//!
//! Never answers with a code. `verify` answers 200 with `valid: false` for a wrong code in
//! the seed's shape; in the short shape a wrong code is a 400 (as `001`'s clients expect).

use super::caller::ClientCaller;
use super::dto::RecipientDto;
use super::error::{ApiError, AppJson};
use super::views::{OtpIssuedJson, OtpSessionJson};
use super::AppState;
use crate::service::{OtpCheck, OtpIssued, OtpRequest, RecipientInput};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

/// Routes (scope `otp`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/otp/generate", post(generate))
        .route("/api/otp/send", post(send_short))
        .route("/api/otp/verify", post(verify))
        .route("/api/otp/resend/{session_id}", post(resend))
        .route("/api/otp/{session_id}", get(show))
}

/// `POST /api/otp/generate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GenerateBody {
    phone_number: RecipientDto,
    length: Option<usize>,
    expiry_minutes: Option<u32>,
    #[serde(default)]
    alphanumeric: bool,
    custom_message: Option<String>,
    template_id: Option<String>,
    metadata: Option<serde_json::Value>,
}

/// `POST /api/otp/send` (short form).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SendShortBody {
    #[serde(rename = "phoneNumber")]
    phone_number: String,
}

/// `POST /api/otp/verify`, either shape.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    phone_number: Option<RecipientDto>,
    #[serde(rename = "phoneNumber")]
    phone_number_short: Option<String>,
    otp_code: Option<String>,
    code: Option<String>,
    session_id: Option<String>,
}

pub(super) fn issued_json(issued: &OtpIssued) -> Result<serde_json::Value, ApiError> {
    let mut value =
        serde_json::to_value(OtpIssuedJson::from(issued)).map_err(ApiError::internal)?;
    if let Some(map) = value.as_object_mut() {
        map.insert("success".into(), true.into());
        // The code is queued; verification is pending (Twilio Verify says the same).
        map.insert("status".into(), "pending".into());
    }
    Ok(value)
}

async fn generate(
    State(state): State<AppState>,
    ClientCaller(caller): ClientCaller,
    AppJson(body): AppJson<GenerateBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let request = OtpRequest {
        phone: RecipientInput::from(body.phone_number),
        length: body.length,
        expiry_minutes: body.expiry_minutes,
        alphanumeric: body.alphanumeric,
        custom_message: body.custom_message,
        template_id: body.template_id,
        metadata: body.metadata,
    };
    let issued = state.service.otp_generate(request, &caller).await?;
    Ok(Json(issued_json(&issued)?))
}

async fn send_short(
    State(state): State<AppState>,
    ClientCaller(caller): ClientCaller,
    AppJson(body): AppJson<SendShortBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let request = OtpRequest {
        phone: RecipientInput {
            number: body.phone_number,
            ..RecipientInput::default()
        },
        ..OtpRequest::default()
    };
    let issued = state
        .service
        .otp_generate(request, &caller)
        .await
        .map_err(|e| rename_field(e.into(), "phone_number", "phoneNumber"))?;
    let mut value = issued_json(&issued)?;
    if let Some(map) = value.as_object_mut() {
        let expires = map.get("expires_at").cloned().unwrap_or_default();
        map.insert("expiresAt".into(), expires);
        map.insert("sessionId".into(), issued.session_id.clone().into());
    }
    Ok(Json(value))
}

fn rename_field(mut e: ApiError, from: &str, to: &str) -> ApiError {
    if e.field.as_deref() == Some(from) {
        e.field = Some(to.to_string());
    }
    e
}

async fn verify(
    State(state): State<AppState>,
    ClientCaller(caller): ClientCaller,
    AppJson(body): AppJson<VerifyBody>,
) -> Result<Response, ApiError> {
    let short = body.phone_number_short.is_some() || body.code.is_some();
    let phone = match (body.phone_number, body.phone_number_short) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "phoneNumber",
                "give phone_number or phoneNumber, not both",
            ))
        }
        (Some(p), None) => Some(RecipientInput::from(p)),
        (None, Some(number)) => Some(RecipientInput {
            number,
            ..RecipientInput::default()
        }),
        (None, None) => None,
    };
    let code_field = if body.code.is_some() {
        "code"
    } else {
        "otp_code"
    };
    let code = match (body.otp_code, body.code) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid("code", "give otp_code or code, not both"))
        }
        (Some(c), None) | (None, Some(c)) => c,
        (None, None) => return Err(ApiError::invalid("otp_code", "is required")),
    };
    let verdict = state
        .service
        .otp_verify(
            OtpCheck {
                phone,
                session_id: body.session_id,
                code,
            },
            &caller,
        )
        .await
        .map_err(|e| {
            let e = rename_field(e.into(), "otp_code", code_field);
            if short {
                rename_field(e, "phone_number", "phoneNumber")
            } else {
                e
            }
        })?;
    let mut value = serde_json::to_value(&verdict)
        .map_err(|e| ApiError::from(crate::service::ServiceError::Internal(e.to_string())))?;
    if let Some(map) = value.as_object_mut() {
        map.insert("success".into(), verdict.valid.into());
    }
    let status = if short && !verdict.valid {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok((status, Json(value)).into_response())
}

async fn resend(
    State(state): State<AppState>,
    ClientCaller(caller): ClientCaller,
    Path(session_id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let issued = state.service.otp_resend(&session_id, &caller).await?;
    Ok(Json(issued_json(&issued)?))
}

async fn show(
    State(state): State<AppState>,
    ClientCaller(caller): ClientCaller,
    Path(session_id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let view = state.service.otp_session(&session_id, &caller).await?;
    let value = serde_json::to_value(OtpSessionJson::from(view)).map_err(ApiError::internal)?;
    Ok(Json(value))
}

/// `{"success": false, …}` bodies of refused checks.
pub(super) fn refused(value: serde_json::Value) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!(value))).into_response()
}
