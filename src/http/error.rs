//! The one error type of the HTTP API and its JSON shape:
//! `{"error": {"code": "invalid_request", "message": "…", "field": "to[0].number"}}`.
//!
//! The caller's mistakes are 4xx with the field named; internal failures are 500 with a
//! generic message (the detail goes to the log, not to the client).

use crate::service::ServiceError;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::json;

/// An API error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Machine-readable code.
    pub code: &'static str,
    /// For people.
    pub message: String,
    /// The request field concerned, if any.
    pub field: Option<String>,
    /// For 429: seconds until a retry would pass (sent as `Retry-After`).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error that names no field.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// 400 naming `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_request",
            message: message.into(),
            field: Some(field.into()),
            retry_after: None,
        }
    }

    /// 500 for a failure on our side; the detail goes to the log, not to the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        ServiceError::Internal(detail.to_string()).into()
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// 401.
    pub fn unauthorized() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: "a valid API key is required (Authorization: Bearer … or X-API-Key)".into(),
            field: None,
            retry_after: None,
        }
    }

    /// 403.
    pub fn forbidden(scope: &str) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
            message: format!("this API key lacks the {scope:?} scope"),
            field: None,
            retry_after: None,
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid { field, reason } => ApiError::invalid(field, reason),
            ServiceError::NotFound(what) => ApiError::not_found(format!("{what} not found")),
            ServiceError::Conflict(why) => ApiError {
                status: StatusCode::CONFLICT,
                code: "conflict",
                message: why,
                field: None,
                retry_after: None,
            },
            ServiceError::RateLimited { scope, retry_after } => {
                let secs = retry_after.as_millis().div_ceil(1000);
                ApiError {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    code: "rate_limited",
                    message: format!("too many requests ({scope} limit); retry after {secs} s"),
                    field: None,
                    retry_after: Some(u64::try_from(secs).unwrap_or(u64::MAX).max(1)),
                }
            }
            ServiceError::Refused {
                field,
                code,
                reason,
            } => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code,
                message: reason,
                field: Some(field),
                retry_after: None,
            },
            ServiceError::Unavailable(detail) => {
                // One line per outage comes from the cluster heartbeat, not one per request.
                tracing::debug!(%detail, "refused a request: the database is unavailable");
                ApiError {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    code: "database_unavailable",
                    message: "the database is unavailable; nothing was stored — retry shortly"
                        .into(),
                    field: None,
                    retry_after: Some(1),
                }
            }
            ServiceError::Internal(detail) => {
                tracing::error!(%detail, "internal error answering a request");
                ApiError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    code: "internal",
                    message: "internal error; the request may be retried".into(),
                    field: None,
                    retry_after: None,
                }
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message, "field": self.field});
        if let (Some(secs), Some(map)) = (self.retry_after, error.as_object_mut()) {
            map.insert("retry_after".into(), secs.into());
        }
        let mut response = (self.status, Json(json!({ "error": error }))).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

/// A JSON body whose errors come back in our shape, naming the field (`to[2].number`).
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(super::guard::is_json_media_type);
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send a JSON body with Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                let (status, code, message) = if timed_out(&e) {
                    (
                        StatusCode::REQUEST_TIMEOUT,
                        "request_timeout",
                        "the request body did not arrive in time; nothing was stored".into(),
                    )
                } else if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    (e.status(), "payload_too_large", e.body_text())
                } else {
                    (e.status(), "invalid_request", e.body_text())
                };
                ApiError::new(status, code, message)
            })?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(&mut de)
            .map(AppJson)
            .map_err(|e| {
                let path = e.path().to_string();
                let message = e.into_inner().to_string();
                // serde reports a missing field at its parent: name the field itself.
                let missing = message
                    .strip_prefix("missing field `")
                    .and_then(|rest| rest.split_once('`'))
                    .map(|(name, _)| name.to_string());
                let field = match (missing, path.as_str()) {
                    (Some(name), ".") => name,
                    (Some(name), parent) => format!("{parent}.{name}"),
                    (None, ".") => "body".to_string(),
                    (None, _) => path,
                };
                ApiError::invalid(field, message)
            })
    }
}

/// Whether reading a body failed because its deadline passed (`RequestBodyDeadlineLayer`).
fn timed_out(rejection: &axum::extract::rejection::BytesRejection) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(rejection);
    while let Some(e) = source {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        source = e.source();
    }
    false
}
