//! `/api/templates…`: create, list, show, update, delete, version history and preview of
//! SMS templates. Reads need scope `read`; writes and preview need `send`.
//!
//! Bodies refuse unknown fields (a typo in `is_active` must not silently create an active
//! template); every error names its field. Talks to the `Service` only.

use super::dto::template_variables;
use super::error::{ApiError, AppJson};
use super::views::{TemplateHistoryJson, TemplateJson};
use super::AppState;
use crate::message::{MessageType, SmsType};
use crate::service::{NewTemplate, TemplateChange, TemplateFilter};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};

/// Routes that change templates or render them (scope `send`).
pub fn write_router() -> Router<AppState> {
    Router::new()
        .route("/api/templates", post(create))
        .route("/api/templates/{id}", put(update).delete(remove))
        .route("/api/templates/{id}/preview", post(preview))
}

/// Routes that read templates (scope `read`).
pub fn read_router() -> Router<AppState> {
    Router::new()
        .route("/api/templates", get(list))
        .route("/api/templates/{id}", get(show))
        .route("/api/templates/{id}/versions", get(versions))
}

/// One of the views as a JSON value (a failure is ours: 500).
fn to_json(value: impl Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(ApiError::internal)
}

/// `POST /api/templates`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    #[serde(default)]
    id: Option<String>,
    name: String,
    content: String,
    #[serde(default)]
    variables: Option<Vec<String>>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    sms_type: SmsType,
    #[serde(default)]
    is_active: Option<bool>,
}

/// A field that may be absent (keep), `null` (clear) or a value.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// `PUT /api/templates/{id}`: every field optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    variables: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    category: Option<Option<String>>,
    #[serde(default)]
    sms_type: Option<SmsType>,
    #[serde(default)]
    is_active: Option<bool>,
}

/// `POST /api/templates/{id}/preview`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewBody {
    #[serde(default)]
    variables: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    template_variables: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    message_type: MessageType,
}

async fn create(
    State(state): State<AppState>,
    AppJson(body): AppJson<CreateBody>,
) -> Result<Response, ApiError> {
    let template = state
        .service
        .create_template(NewTemplate {
            id: body.id,
            name: body.name,
            content: body.content,
            variables: body.variables,
            category: body.category,
            sms_type: body.sms_type,
            is_active: body.is_active.unwrap_or(true),
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(to_json(TemplateJson::from(template))?),
    )
        .into_response())
}

async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(to_json(TemplateJson::from(
        state.service.template(&id).await?,
    ))?))
}

async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AppJson(body): AppJson<UpdateBody>,
) -> Result<Json<Value>, ApiError> {
    let change = TemplateChange {
        name: body.name,
        content: body.content,
        variables: body.variables,
        category: body.category,
        sms_type: body.sms_type,
        is_active: body.is_active,
    };
    Ok(Json(to_json(TemplateJson::from(
        state.service.update_template(&id, change).await?,
    ))?))
}

async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.service.delete_template(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn versions(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(to_json(TemplateHistoryJson::from(
        state.service.template_versions(&id).await?,
    ))?))
}

async fn preview(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AppJson(body): AppJson<PreviewBody>,
) -> Result<Json<Value>, ApiError> {
    let (field, values) = match (body.variables, body.template_variables) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "template_variables",
                "give variables or template_variables, not both",
            ))
        }
        (None, Some(values)) => ("template_variables", Some(values)),
        (values, None) => ("variables", values),
    };
    let values = template_variables(field, values)?;
    let preview = state
        .service
        .preview_template(&id, &values, body.message_type)
        .await
        .map_err(ApiError::from)
        .map_err(|mut e| {
            // The service names `variables.<name>`; answer with the name the caller used.
            if let Some(name) = e.field.as_deref().and_then(|f| f.strip_prefix("variables")) {
                e.field = Some(format!("{field}{name}"));
            }
            e
        })?;
    Ok(Json(to_json(preview)?))
}

/// `GET /api/templates` query; parsed by hand so each error names its parameter.
#[derive(Debug, Deserialize)]
struct ListQuery {
    category: Option<String>,
    sms_type: Option<String>,
    is_active: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let sms_type = q
        .sms_type
        .as_deref()
        .map(|s| {
            SmsType::parse(s)
                .ok_or_else(|| ApiError::invalid("sms_type", format!("unknown sms_type {s:?}")))
        })
        .transpose()?;
    let is_active = q
        .is_active
        .as_deref()
        .map(|s| match s {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(ApiError::invalid("is_active", "true or false")),
        })
        .transpose()?;
    let number = |field: &'static str, raw: Option<&str>, default: usize| {
        raw.map_or(Ok(default), |s| {
            s.parse::<usize>()
                .map_err(|_| ApiError::invalid(field, format!("{s:?} is not a whole number")))
        })
    };
    let limit = number("limit", q.limit.as_deref(), 50)?;
    let offset = number("offset", q.offset.as_deref(), 0)?;
    let page = state
        .service
        .templates(TemplateFilter {
            category: q.category,
            sms_type,
            is_active,
            limit,
            offset,
        })
        .await?;
    Ok(Json(json!({
        "templates": to_json(
            page.templates
                .into_iter()
                .map(TemplateJson::from)
                .collect::<Vec<_>>()
        )?,
        "total": page.total,
        "limit": limit,
        "offset": offset,
    })))
}
