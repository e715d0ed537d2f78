//! `/api/analytics/…` (scope `read`): the seed's statistics, costs by country, the
//! timeline, route health and the dashboard. Thin: the query string in, the service's
//! answer out as JSON; every rule (dates, filters, ranges) is the service's.
//!
//! Never imports the store. Bad query strings are 400s naming the field.

use super::error::ApiError;
use super::AppState;
use crate::service::AnalyticsQuery;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// Routes (scope `read`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/analytics/stats", get(stats))
        .route("/api/analytics/countries", get(countries))
        .route("/api/analytics/timeline", get(timeline))
        .route("/api/analytics/routes", get(routes))
        .route("/api/analytics/dashboard", get(dashboard))
}

/// The query string of every analytics call (each uses the keys it knows).
#[derive(Debug, Default, Deserialize)]
struct Params {
    date_from: Option<String>,
    date_to: Option<String>,
    sms_type: Option<String>,
    route: Option<String>,
    interval: Option<String>,
    limit: Option<String>,
}

impl Params {
    fn read(query: Result<Query<Params>, QueryRejection>) -> Result<Params, ApiError> {
        let Query(params) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
        Ok(params)
    }

    fn query(&self) -> AnalyticsQuery {
        AnalyticsQuery {
            date_from: self.date_from.clone(),
            date_to: self.date_to.clone(),
            sms_type: self.sms_type.clone(),
            route: self.route.clone(),
        }
    }

    fn limit(&self) -> Result<Option<usize>, ApiError> {
        self.limit
            .as_deref()
            .map(|text| {
                text.trim()
                    .parse::<usize>()
                    .map_err(|_| ApiError::invalid("limit", "not a whole number"))
            })
            .transpose()
    }
}

fn json<T: Serialize>(value: T) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(
        serde_json::to_value(value).map_err(ApiError::internal)?,
    ))
}

async fn stats(
    State(state): State<AppState>,
    query: Result<Query<Params>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = Params::read(query)?;
    json(state.service.analytics_stats(&p.query()).await?)
}

async fn countries(
    State(state): State<AppState>,
    query: Result<Query<Params>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = Params::read(query)?;
    let limit = p.limit()?;
    json(state.service.analytics_countries(&p.query(), limit).await?)
}

async fn timeline(
    State(state): State<AppState>,
    query: Result<Query<Params>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = Params::read(query)?;
    json(
        state
            .service
            .analytics_timeline(&p.query(), p.interval.as_deref())
            .await?,
    )
}

async fn routes(
    State(state): State<AppState>,
    query: Result<Query<Params>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = Params::read(query)?;
    json(state.service.analytics_routes(&p.query()).await?)
}

async fn dashboard(
    State(state): State<AppState>,
    query: Result<Query<Params>, QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = Params::read(query)?;
    json(state.service.analytics_dashboard(&p.query()).await?)
}
