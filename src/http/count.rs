//! `POST /api/sms/count` (scope `send` or `read`): the segment calculator of the send path
//! and of `smsgate pdu count` — encoding, segments, characters, units per segment and free
//! units — for a text, so a form can show the count live as the user types. Nothing is
//! stored or sent.

use super::error::{ApiError, AppJson};
use super::AppState;
use crate::message::MessageType;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

/// The route (the caller wraps it in its scope check).
pub fn router() -> Router<AppState> {
    Router::new().route("/api/sms/count", post(count))
}

/// `{"text": "...", "message_type": "text" | "unicode" | "flash"}`.
#[derive(Debug, Deserialize)]
struct CountBody {
    /// The text to count (`message` is accepted too, as in the send body).
    #[serde(alias = "message")]
    text: String,
    /// As in the send body; `binary` is not counted here (its length is its octets).
    #[serde(default)]
    message_type: MessageType,
}

async fn count(
    State(state): State<AppState>,
    AppJson(body): AppJson<CountBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if body.message_type == MessageType::Binary {
        return Err(ApiError::invalid(
            "message_type",
            "binary data is counted by its octets; give text, unicode or flash",
        ));
    }
    let info = state.service.segments(&body.text, body.message_type)?;
    let max_segments = state.service.max_segments();
    let mut value = json!(info);
    if let Some(map) = value.as_object_mut() {
        map.insert("max_segments".into(), max_segments.into());
        map.insert("too_long".into(), (info.segments > max_segments).into());
    }
    Ok(Json(value))
}
