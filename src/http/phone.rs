//! `GET /api/phone/validate/{number}?country=DE`: what is known about a number.

use super::error::ApiError;
use super::AppState;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

/// Routes (scope `read`).
pub fn router() -> Router<AppState> {
    Router::new().route("/api/phone/validate/{number}", get(validate))
}

/// Other query parameters are ignored.
#[derive(Debug, Deserialize)]
struct ValidateQuery {
    country: Option<String>,
    country_code: Option<String>,
}

async fn validate(
    State(state): State<AppState>,
    Path(number): Path<String>,
    Query(query): Query<ValidateQuery>,
) -> Result<Json<crate::service::PhoneInfo>, ApiError> {
    if number.len() > 64 {
        return Err(ApiError::invalid("number", "at most 64 characters"));
    }
    let region = query.country.or(query.country_code);
    Ok(Json(state.service.phone_info(&number, region.as_deref())))
}
