//! Provider status callbacks coming in: `POST /webhooks/twilio/status`, `GET|POST
//! /webhooks/vonage/status`, `POST /webhooks/plivo/status` (outside the API-key groups,
//! each authenticated by its provider's signature), and the seed's generic
//! `POST /api/sms/{id}/webhook` (API-key scope `send`).
//!
//! Owns: reading each provider's callback (form, query or JSON), rebuilding the public URL
//! the provider called — `[providers] callback_base_url` + path + query as received, never
//! the `Host` header — and checking the signature with `crate::providers::signatures`.
//! Speaks only to the [`Service`] (which maps statuses and records them).
//!
//! Invariants: a provider's routes exist only when that provider is configured and
//! `callback_base_url` is set (otherwise 404, like any unknown path); the signature is
//! checked before anything else is read, and a request whose signature is missing or wrong
//! is answered 403 with a log line and records nothing; a Vonage receipt is checked only
//! when `signature_secret` is configured, and then its `timestamp` must be within
//! [`VONAGE_MAX_SKEW_SECS`] of now — signed or not, it must name its `messageId`, which must
//! be one of the message's own; logs never carry a secret or a signature.

use super::error::{ApiError, AppJson};
use super::AppState;
use crate::config::ProvidersConfig;
use crate::message::{MessageId, Millis};
use crate::providers::signatures::{self as sig, VonageMethod};
use crate::service::Recorded;
use crate::service::{CallbackSource, ProviderCallback, Service};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::routing::{any, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// How far a signed Vonage receipt's `timestamp` may be from our clock, in seconds.
pub const VONAGE_MAX_SKEW_SECS: i64 = 300;

/// The paths, below `callback_base_url`.
pub const TWILIO_PATH: &str = "/webhooks/twilio/status";
/// Vonage's path.
pub const VONAGE_PATH: &str = "/webhooks/vonage/status";
/// Plivo's path.
pub const PLIVO_PATH: &str = "/webhooks/plivo/status";

/// Vonage's signing settings.
#[derive(Clone)]
pub struct VonageSigning {
    /// `[providers.vonage] signature_secret` (none: receipts are not signed).
    pub secret: Option<String>,
    /// `[providers.vonage] signature_method`.
    pub method: VonageMethod,
}

/// What the callback routes need from `[providers]`.
#[derive(Clone, Default)]
pub struct CallbackSettings {
    /// `[providers] callback_base_url`: the public URL the providers call.
    pub public_base_url: Option<String>,
    /// `[providers.twilio] auth_token` (none: Twilio not configured).
    pub twilio_auth_token: Option<String>,
    /// `[providers.vonage]` signing (none: Vonage not configured).
    pub vonage: Option<VonageSigning>,
    /// `[providers.plivo] auth_token` (none: Plivo not configured).
    pub plivo_auth_token: Option<String>,
}

impl std::fmt::Debug for CallbackSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackSettings")
            .field("public_base_url", &self.public_base_url)
            .field("twilio", &self.twilio_auth_token.is_some())
            .field("vonage", &self.vonage.is_some())
            .field(
                "vonage_signed",
                &self.vonage.as_ref().is_some_and(|v| v.secret.is_some()),
            )
            .field("plivo", &self.plivo_auth_token.is_some())
            .finish()
    }
}

impl CallbackSettings {
    /// From the validated `[providers]` section.
    pub fn from_config(p: &ProvidersConfig) -> Self {
        Self {
            public_base_url: p
                .callback_base_url
                .as_ref()
                .map(|u| u.trim_end_matches('/').to_string()),
            twilio_auth_token: p.twilio.as_ref().map(|t| t.auth_token.expose().to_string()),
            vonage: p.vonage.as_ref().map(|v| VonageSigning {
                secret: v.signature_secret.as_ref().map(|s| s.expose().to_string()),
                method: VonageMethod::from_name(&v.signature_method).unwrap_or_default(),
            }),
            plivo_auth_token: p
                .plivo
                .as_ref()
                .map(|pl| pl.auth_token.expose().to_string()),
        }
    }
}

#[derive(Clone)]
struct CbState {
    service: Service,
    settings: Arc<CallbackSettings>,
    base: String,
}

/// The provider routes (none without `callback_base_url`; each only when its provider is
/// configured).
pub fn router(service: Service, settings: &CallbackSettings) -> Router {
    let Some(base) = settings.public_base_url.clone() else {
        return Router::new();
    };
    let state = CbState {
        service,
        settings: Arc::new(settings.clone()),
        base,
    };
    let mut r = Router::new();
    if settings.twilio_auth_token.is_some() {
        r = r.route(TWILIO_PATH, post(twilio));
    }
    if settings.vonage.is_some() {
        r = r.route(VONAGE_PATH, any(vonage));
    }
    if settings.plivo_auth_token.is_some() {
        r = r.route(PLIVO_PATH, post(plivo));
    }
    r.with_state(state)
}

/// The generic webhook (scope `send`).
pub fn webhook_router() -> Router<AppState> {
    Router::new().route("/api/sms/{id}/webhook", post(generic))
}

/// Admits one log line per interval, counting the ones it holds back.
pub struct LogThrottle {
    interval: std::time::Duration,
    state: std::sync::Mutex<(Option<std::time::Instant>, u64)>,
}

impl LogThrottle {
    /// At most one line per `interval`.
    pub const fn new(interval: std::time::Duration) -> Self {
        Self {
            interval,
            state: std::sync::Mutex::new((None, 0)),
        }
    }

    /// `Some(n)`: log now, `n` lines having been held back since the last one; `None`: not.
    pub fn admit(&self) -> Option<u64> {
        let now = std::time::Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (last, held) = &mut *state;
        if last.is_some_and(|t| now.duration_since(t) < self.interval) {
            *held = held.saturating_add(1);
            return None;
        }
        *last = Some(now);
        Some(std::mem::take(held))
    }
}

static FORGED_LOG: LogThrottle = LogThrottle::new(std::time::Duration::from_secs(1));

fn forbidden(provider: &str, why: &str, query: Option<&str>) -> ApiError {
    // Only our id from the query: a Vonage GET receipt carries its `sig` there too.
    let message_id = serde_urlencoded::from_str::<Vec<(String, String)>>(query.unwrap_or(""))
        .ok()
        .and_then(|q| first(&q, "message_id"))
        .unwrap_or_default();
    // Forged callbacks are an attacker's to send as fast as they like: one line a second
    // at most, saying how many were left unlogged.
    if let Some(suppressed) = FORGED_LOG.admit() {
        tracing::warn!(provider, %message_id, suppressed, "refused a status callback: {why}");
    }
    ApiError {
        status: StatusCode::FORBIDDEN,
        code: "invalid_signature",
        message: format!("the {provider} signature is missing or does not verify"),
        field: None,
        retry_after: None,
    }
}

pub(super) fn pairs(raw: &[u8], field: &str) -> Result<Vec<(String, String)>, ApiError> {
    serde_urlencoded::from_bytes(raw)
        .map_err(|e| ApiError::invalid(field, format!("unreadable form parameters: {e}")))
}

pub(super) fn first(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn required(pairs: &[(String, String)], name: &str) -> Result<String, ApiError> {
    first(pairs, name).ok_or_else(|| ApiError::invalid(name, "is required"))
}

/// Our id from the callback URL's `message_id` (absent: the provider id must find it).
fn our_id(query: &[(String, String)]) -> Result<Option<MessageId>, ApiError> {
    match first(query, "message_id") {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(|n| Some(MessageId(n)))
            .ok_or_else(|| ApiError::invalid("message_id", "a positive integer")),
    }
}

pub(super) fn public_url(base: &str, path: &str, query: Option<&str>) -> String {
    match query {
        Some(q) if !q.is_empty() => format!("{base}{path}?{q}"),
        _ => format!("{base}{path}"),
    }
}

fn answer(recorded: Recorded) -> (StatusCode, Json<Value>) {
    (
        StatusCode::OK,
        Json(json!({
            "message_id": recorded.message_id,
            "result": recorded.verdict,
            "status": recorded.status,
            "detail": recorded.detail,
        })),
    )
}

async fn twilio(
    State(state): State<CbState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let token = state.settings.twilio_auth_token.as_deref().unwrap_or("");
    let url = public_url(&state.base, TWILIO_PATH, query.as_deref());
    let header = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let params = pairs(&body, "body")
        .map_err(|_| forbidden("twilio", "unreadable body", query.as_deref()))?;
    if !sig::twilio_verify(token, &url, &params, header) {
        return Err(forbidden(
            "twilio",
            "bad X-Twilio-Signature",
            query.as_deref(),
        ));
    }
    let q = pairs(query.as_deref().unwrap_or("").as_bytes(), "message_id")?;
    let callback = ProviderCallback {
        source: CallbackSource::Twilio,
        message_id: our_id(&q)?,
        provider_id: first(&params, "MessageSid").or_else(|| first(&params, "SmsSid")),
        status: required(&params, "MessageStatus")?,
        error_code: first(&params, "ErrorCode"),
        price: first(&params, "Price"),
        reported_at: None,
    };
    Ok(answer(state.service.provider_callback(callback).await?))
}

/// Vonage's `message-timestamp` (`YYYY-MM-DD HH:MM:SS`, UTC).
pub(super) fn vonage_time(value: &str) -> Option<Millis> {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(value, &format)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp() * 1000)
}

/// A JSON object's scalar values as strings (Vonage's JSON receipts).
pub(super) fn json_pairs(body: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| ApiError::invalid("body", e.to_string()))?;
    let Value::Object(map) = value else {
        return Err(ApiError::invalid("body", "a JSON object"));
    };
    Ok(map
        .into_iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some((k, s)),
            Value::Number(n) => Some((k, n.to_string())),
            Value::Bool(b) => Some((k, b.to_string())),
            _ => None,
        })
        .collect())
}

async fn vonage(
    State(state): State<CbState>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let signing = state.settings.vonage.clone();
    let q = pairs(query.as_deref().unwrap_or("").as_bytes(), "query")?;
    let body_params = if method == Method::GET || body.is_empty() {
        Vec::new()
    } else if method == Method::POST {
        let is_json = headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json"));
        if is_json {
            json_pairs(&body)?
        } else {
            pairs(&body, "body")?
        }
    } else {
        return Err(ApiError {
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "method_not_allowed",
            message: "GET or POST".into(),
            field: None,
            retry_after: None,
        });
    };
    let mut params = q.clone();
    params.extend(body_params);
    if let Some(secret) = signing.as_ref().and_then(|s| s.secret.as_deref()) {
        let method = signing.as_ref().map(|s| s.method).unwrap_or_default();
        // Vonage signs the receipt's own parameters; our `message_id` in the callback URL
        // may or may not be among them (GET): either form verifies.
        let without_ours: Vec<(String, String)> = params
            .iter()
            .filter(|(k, _)| k != "message_id")
            .cloned()
            .collect();
        let signed = sig::vonage_verify(method, secret, &params)
            || sig::vonage_verify(method, secret, &without_ours);
        if !signed {
            return Err(forbidden("vonage", "bad or missing sig", query.as_deref()));
        }
        let now_secs = state.service.now().div_euclid(1000);
        let fresh = first(&params, "timestamp")
            .and_then(|t| t.parse::<i64>().ok())
            .is_some_and(|t| (t - now_secs).abs() <= VONAGE_MAX_SKEW_SECS);
        if !fresh {
            return Err(forbidden(
                "vonage",
                "stale or missing timestamp",
                query.as_deref(),
            ));
        }
    }
    let callback = ProviderCallback {
        source: CallbackSource::Vonage,
        message_id: our_id(&q)?,
        // Required: a receipt names the Vonage part it is about, and only a message whose
        // segments carry that (unguessable) id takes it — so an unsigned receipt, or a signed
        // one replayed against another of our ids, cannot move another message.
        provider_id: Some(required(&params, "messageId")?),
        status: required(&params, "status")?,
        error_code: first(&params, "err-code").filter(|c| c != "0"),
        price: first(&params, "price"),
        reported_at: first(&params, "message-timestamp").and_then(|t| vonage_time(&t)),
    };
    Ok(answer(state.service.provider_callback(callback).await?))
}

async fn plivo(
    State(state): State<CbState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let token = state.settings.plivo_auth_token.as_deref().unwrap_or("");
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let q = pairs(query.as_deref().unwrap_or("").as_bytes(), "query")
        .map_err(|_| forbidden("plivo", "unreadable query", query.as_deref()))?;
    let params = pairs(&body, "body")
        .map_err(|_| forbidden("plivo", "unreadable body", query.as_deref()))?;
    let base = sig::plivo_v3_base(&format!("{}{PLIVO_PATH}", state.base), &q, &params);
    let signed = sig::plivo_v3_verify(
        token,
        &base,
        &header("x-plivo-signature-v3-nonce"),
        &header("x-plivo-signature-v3"),
    );
    if !signed {
        return Err(forbidden(
            "plivo",
            "bad X-Plivo-Signature-V3",
            query.as_deref(),
        ));
    }
    let callback = ProviderCallback {
        source: CallbackSource::Plivo,
        message_id: our_id(&q)?,
        provider_id: first(&params, "MessageUUID"),
        status: required(&params, "Status")?,
        error_code: first(&params, "ErrorCode").filter(|c| !c.trim_start_matches('0').is_empty()),
        price: first(&params, "TotalAmount").or_else(|| first(&params, "TotalRate")),
        reported_at: None,
    };
    Ok(answer(state.service.provider_callback(callback).await?))
}

/// `POST /api/sms/{id}/webhook`: the seed's generic status callback.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    status: String,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    error_code: Option<Value>,
}

async fn generic(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AppJson(body): AppJson<WebhookBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let id = id
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(MessageId)
        .ok_or_else(|| ApiError::not_found(format!("message {id}")))?;
    let error_code = match body.error_code {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            return Err(ApiError::invalid(
                "error_code",
                "a string, a number or null",
            ))
        }
    };
    let callback = ProviderCallback {
        source: CallbackSource::Generic(body.provider),
        message_id: Some(id),
        provider_id: None,
        status: body.status,
        error_code,
        price: None,
        reported_at: super::dto::time_field("timestamp", body.timestamp.as_deref())?,
    };
    Ok(answer(state.service.provider_callback(callback).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_throttle_admits_one_line_per_interval_and_counts_the_rest() {
        let throttle = LogThrottle::new(std::time::Duration::from_secs(3600));
        assert_eq!(throttle.admit(), Some(0));
        for _ in 0..1000 {
            assert_eq!(throttle.admit(), None);
        }
        let open = LogThrottle::new(std::time::Duration::ZERO);
        assert_eq!(open.admit(), Some(0));
        assert_eq!(open.admit(), Some(0));
    }

    #[test]
    fn public_urls_come_from_the_configured_base() {
        assert_eq!(
            public_url("https://gw.example.com", TWILIO_PATH, Some("message_id=42")),
            "https://gw.example.com/webhooks/twilio/status?message_id=42"
        );
        assert_eq!(
            public_url("https://gw.example.com", PLIVO_PATH, None),
            "https://gw.example.com/webhooks/plivo/status"
        );
    }

    #[test]
    fn vonage_times() {
        assert_eq!(vonage_time("2020-01-01 12:00:00"), Some(1_577_880_000_000));
        assert_eq!(vonage_time("2020-01-01T12:00:00Z"), None);
    }

    #[test]
    fn message_ids() {
        let q = |v: &str| vec![("message_id".to_string(), v.to_string())];
        assert_eq!(our_id(&q("42")).unwrap(), Some(MessageId(42)));
        assert_eq!(our_id(&[]).unwrap(), None);
        for bad in ["0", "-1", "x", "1.5"] {
            let e = our_id(&q(bad)).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("message_id"), "{bad}");
        }
    }
}
