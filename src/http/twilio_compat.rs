//! The Twilio-compatible Messages API: `/2010-04-01/Accounts/{AccountSid}/Messages.json`
//! (create, list) and `…/Messages/{Sid}.json` (fetch, delete), so applications written for
//! Twilio's SDKs can send through smsgate by changing only their base URL.
//!
//! Owns: HTTP Basic auth with `[twilio_compat]` (outside the API-key middleware), Twilio's
//! form bodies, resource JSON, paging and error JSON (`{code, message, more_info, status}`).
//! Speaks only to the [`Service`]; the wire vocabulary (sids, statuses, dates) is
//! `crate::twilio`; the signed status callbacks are sent by `crate::webhooks`.
//!
//! Invariants: nothing is served unless `[twilio_compat]` is configured (the router is not
//! mounted); every request is authenticated before anything else is read, comparing user and
//! password in constant time; a sid smsgate did not hand out is a 404, never another
//! message; form values are decoded as `application/x-www-form-urlencoded` (`+` and `%20`
//! are spaces), and a phone number whose unencoded leading `+` became a space is repaired.

use crate::message::{MessageId, MessageStatus, RawJson};
use crate::providers::twilio::wire as twilio;
use crate::service::{CallbackFormat, RecipientInput, SendRequest, Service, ServiceError};
use crate::service::{ListFilter, MessageDetail};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};
use std::sync::Arc;
use subtle::ConstantTimeEq;
use tokio::sync::OnceCell;

/// Longest body Twilio accepts, in characters.
pub const MAX_BODY_CHARS: usize = 1600;
/// Default and largest `PageSize`.
pub const PAGE_SIZE_DEFAULT: usize = 50;
/// Largest `Page` (with the largest `PageSize`, an offset of a billion messages: the
/// arithmetic on it can never overflow).
const PAGE_MAX: usize = 1_000_000;

/// Largest `PageSize`.
pub const PAGE_SIZE_MAX: usize = 1000;

/// What the routes need from `[twilio_compat]`.
#[derive(Clone)]
pub struct TwilioCompatSettings {
    /// `AC…`: the Basic-auth user and the path's account.
    pub account_sid: String,
    /// The Basic-auth password.
    pub auth_token: String,
}

impl std::fmt::Debug for TwilioCompatSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioCompatSettings")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .finish()
    }
}

#[derive(Clone)]
struct TwState {
    service: Service,
    settings: Arc<TwilioCompatSettings>,
    sid_key: Arc<OnceCell<Vec<u8>>>,
}

/// The routes, with their own state and auth.
pub fn router(service: Service, settings: TwilioCompatSettings) -> Router {
    let state = TwState {
        service,
        settings: Arc::new(settings),
        sid_key: Arc::new(OnceCell::new()),
    };
    Router::new()
        .route(
            "/2010-04-01/Accounts/{account}/Messages.json",
            get(list).post(create),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Messages/{file}",
            get(fetch).delete(remove),
        )
        .with_state(state)
}

/// A Twilio error: `{code, message, more_info, status}` with the matching HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwError {
    status: StatusCode,
    code: u32,
    message: String,
    retry_after: Option<u64>,
}

impl TwError {
    fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    fn bad(code: u32, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    fn not_found(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            20404,
            format!("The requested resource {path} was not found"),
        )
    }

    fn from_service(e: ServiceError, path: &str) -> Self {
        match e {
            ServiceError::Invalid { field, reason } if field.starts_with("to") => Self::bad(
                21211,
                format!("The 'To' number is not a valid phone number: {reason}"),
            ),
            ServiceError::Invalid { field, reason } if field == "message" => {
                Self::bad(21617, format!("The message body cannot be sent: {reason}"))
            }
            ServiceError::Invalid { field, reason } => {
                Self::bad(20001, format!("Invalid parameter {field}: {reason}"))
            }
            ServiceError::NotFound(_) => Self::not_found(path),
            ServiceError::Conflict(why) => Self::new(StatusCode::CONFLICT, 20009, why),
            ServiceError::RateLimited { retry_after, .. } => {
                let secs = u64::try_from(retry_after.as_millis().div_ceil(1000))
                    .unwrap_or(u64::MAX)
                    .max(1);
                Self {
                    retry_after: Some(secs),
                    ..Self::new(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests")
                }
            }
            ServiceError::Refused {
                code: "opted_out",
                reason,
                ..
            } => Self::bad(
                21610,
                format!("Attempt to send to unsubscribed recipient: {reason}"),
            ),
            ServiceError::Refused { reason, .. } => Self::bad(20001, reason),
            ServiceError::Unavailable(detail) => {
                tracing::debug!(%detail, "refused a Twilio-compatible request: database unavailable");
                Self {
                    retry_after: Some(1),
                    ..Self::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        20503,
                        "Service Unavailable: the database is unavailable; retry shortly",
                    )
                }
            }
            ServiceError::Internal(detail) => {
                tracing::error!(%detail, "internal error answering a Twilio-compatible request");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    20500,
                    "An internal server error has occurred",
                )
            }
        }
    }
}

impl IntoResponse for TwError {
    fn into_response(self) -> Response {
        let body = json!({
            "code": self.code,
            "message": self.message,
            "more_info": twilio::more_info(self.code),
            "status": self.status.as_u16(),
        });
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

fn authenticate(state: &TwState, headers: &HeaderMap, account: &str) -> Result<(), TwError> {
    let unauthorized = || TwError::new(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    let encoded = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
        .ok_or_else(unauthorized)?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| unauthorized())?;
    let text = String::from_utf8(decoded).map_err(|_| unauthorized())?;
    let (user, password) = text.split_once(':').ok_or_else(unauthorized)?;
    let settings = &state.settings;
    let user_ok = user.as_bytes().ct_eq(settings.account_sid.as_bytes());
    let password_ok = password.as_bytes().ct_eq(settings.auth_token.as_bytes());
    if !bool::from(user_ok & password_ok) {
        return Err(unauthorized());
    }
    if account != settings.account_sid {
        return Err(TwError::new(
            StatusCode::FORBIDDEN,
            20003,
            "The AccountSid in the URL does not match the credentials",
        ));
    }
    Ok(())
}

async fn sid_key(state: &TwState) -> Result<&[u8], TwError> {
    let key = state
        .sid_key
        .get_or_try_init(|| state.service.twilio_sid_key())
        .await
        .map_err(|e| TwError::from_service(e, ""))?;
    Ok(key.as_slice())
}

/// Decodes a form body or query string into its pairs, in order.
pub fn parse_form(raw: &[u8]) -> Result<Vec<(String, String)>, TwError> {
    serde_urlencoded::from_bytes(raw)
        .map_err(|e| TwError::bad(20001, format!("Unreadable form parameters: {e}")))
}

/// A phone number whose leading `+` was sent unencoded (and so decoded as a space): the
/// space is put back as `+`. Anything else is returned trimmed.
pub fn repair_number(value: &str) -> String {
    let starts_with_digit = value.trim_start().starts_with(|c: char| c.is_ascii_digit());
    if value.starts_with(' ') && starts_with_digit {
        format!("+{}", value.trim())
    } else {
        value.trim().to_string()
    }
}

fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn base_path(account: &str) -> String {
    format!("/2010-04-01/Accounts/{account}/Messages")
}

/// The Message resource of `detail`.
fn resource(detail: &MessageDetail, key: &[u8], account: &str) -> Value {
    let s = &detail.summary;
    let sid = twilio::message_sid(key, s.id);
    let base = base_path(account);
    let error = twilio::status_error(s.status);
    let metadata: Option<Value> = detail
        .metadata
        .as_ref()
        .and_then(|m| serde_json::from_str(m.as_str()).ok());
    let from = metadata
        .as_ref()
        .and_then(|m| m.get("twilio_from"))
        .and_then(Value::as_str);
    json!({
        "account_sid": account,
        "api_version": twilio::API_VERSION,
        "body": detail.body,
        "date_created": twilio::rfc2822(s.created_at),
        "date_updated": twilio::rfc2822(s.updated_at),
        "date_sent": s.sent_at.map(twilio::rfc2822),
        "direction": "outbound-api",
        "error_code": error.map(|(code, _)| code),
        "error_message": error.map(|(_, message)| message),
        "from": from,
        "messaging_service_sid": null,
        "num_media": "0",
        "num_segments": s.segments.to_string(),
        "price": null,
        "price_unit": null,
        "sid": sid,
        "status": twilio::status_name(s.status),
        "subresource_uris": {"media": format!("{base}/{sid}/Media.json")},
        "to": s.recipient,
        "uri": format!("{base}/{sid}.json"),
    })
}

async fn create(
    State(state): State<TwState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, TwError> {
    authenticate(&state, &headers, &account)?;
    let form = parse_form(&body)?;
    let to = first(&form, "To")
        .map(repair_number)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| TwError::bad(21604, "A 'To' phone number is required."))?;
    let text = first(&form, "Body").unwrap_or_default();
    if text.is_empty() {
        return Err(TwError::bad(21602, "Message body is required."));
    }
    if text.chars().count() > MAX_BODY_CHARS {
        return Err(TwError::bad(
            21617,
            format!("The concatenated message body exceeds the {MAX_BODY_CHARS} character limit."),
        ));
    }
    let callback = first(&form, "StatusCallback")
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    if let Some(url) = &callback {
        if let Err(why) = state.service.check_callback_url(url) {
            return Err(TwError::bad(
                21609,
                format!("The StatusCallback URL is not valid: {why}."),
            ));
        }
    }
    let expire_at = match first(&form, "ValidityPeriod") {
        None | Some("") => None,
        Some(v) => {
            let secs: i64 = v
                .trim()
                .parse()
                .ok()
                .filter(|s| (1..=36_000).contains(s))
                .ok_or_else(|| TwError::bad(21624, "ValidityPeriod must be 1 to 36000 seconds."))?;
            Some(crate::message::now_millis() + secs * 1000)
        }
    };
    let from = first(&form, "From")
        .map(repair_number)
        .filter(|f| !f.is_empty());
    let request = SendRequest {
        to: vec![RecipientInput {
            number: to.clone(),
            ..RecipientInput::default()
        }],
        message: text.to_string(),
        expire_at,
        callback_url: callback,
        callback_format: CallbackFormat::Twilio,
        reply: None,
        metadata: from.and_then(|f| RawJson::parse(&json!({ "twilio_from": f }).to_string()).ok()),
        ..SendRequest::default()
    };
    let path = format!("{}.json", base_path(&account));
    let outcome = state
        .service
        .send(request)
        .await
        .map_err(|e| TwError::from_service(e, &path))?;
    let Some(accepted) = outcome.messages.first() else {
        let reason = outcome
            .rejected
            .first()
            .map(|r| format!("{r:?}"))
            .unwrap_or_default();
        return Err(TwError::bad(
            21610,
            format!("The message to {to} was refused: {reason}"),
        ));
    };
    let detail = state
        .service
        .message(accepted.id)
        .await
        .map_err(|e| TwError::from_service(e, &path))?;
    let key = sid_key(&state).await?;
    let mut created = resource(&detail, key, &account);
    // Twilio answers a create with the status at acceptance (`queued`); the dispatcher may
    // already have moved the message on by the time it was read back.
    if let Some(status) = created.get_mut("status") {
        *status = json!(crate::providers::twilio::wire::status_name(accepted.status));
    }
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn message_for(state: &TwState, account: &str, file: &str) -> Result<MessageDetail, TwError> {
    let path = format!("{}/{file}", base_path(account));
    let key = sid_key(state).await?;
    let id = file
        .strip_suffix(".json")
        .and_then(|sid| twilio::message_id(key, sid))
        .ok_or_else(|| TwError::not_found(&path))?;
    state
        .service
        .message(id)
        .await
        .map_err(|e| TwError::from_service(e, &path))
}

async fn fetch(
    State(state): State<TwState>,
    Path((account, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, TwError> {
    authenticate(&state, &headers, &account)?;
    let detail = message_for(&state, &account, &file).await?;
    let key = sid_key(&state).await?;
    Ok(Json(resource(&detail, key, &account)))
}

/// `DELETE`: a message not yet sent is cancelled (then `canceled`); a finished one is left
/// as it is (smsgate keeps its history) and the answer is 204 as well; one being sent or
/// waiting for its status report is a 409 with Twilio's 20009.
async fn remove(
    State(state): State<TwState>,
    Path((account, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, TwError> {
    authenticate(&state, &headers, &account)?;
    let detail = message_for(&state, &account, &file).await?;
    let path = format!("{}/{file}", base_path(&account));
    let in_progress = || {
        TwError::new(
            StatusCode::CONFLICT,
            20009,
            "Cannot delete this message: it is being sent and not yet complete",
        )
    };
    match detail.summary.status {
        MessageStatus::Queued | MessageStatus::Scheduled => {
            match state.service.cancel(detail.summary.id).await {
                Ok(_) => Ok(StatusCode::NO_CONTENT),
                Err(ServiceError::Conflict(_)) => Err(in_progress()),
                Err(e) => Err(TwError::from_service(e, &path)),
            }
        }
        MessageStatus::Sending | MessageStatus::Sent => Err(in_progress()),
        MessageStatus::Delivered
        | MessageStatus::Undelivered
        | MessageStatus::Failed
        | MessageStatus::Expired
        | MessageStatus::Cancelled => Ok(StatusCode::NO_CONTENT),
    }
}

/// Unix milliseconds of the start of day `YYYY-MM-DD` (UTC).
fn day_start(field: &str, value: &str) -> Result<i64, TwError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    // The SDKs send a date (`2024-01-15`) or, given a datetime, `2024-01-15T10:00:00Z`:
    // Twilio filters by the UTC day either way.
    let value = value.trim();
    let day = match crate::message::parse_rfc3339(value) {
        Some(millis) => time::OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000))
            .map(|t| t.date())
            .map_err(|_| ()),
        None => time::Date::parse(value, &format).map_err(|_| ()),
    };
    day.map(|d| d.midnight().assume_utc().unix_timestamp() * 1000)
        .map_err(|()| {
            TwError::bad(
                20001,
                format!("{field} must be a date YYYY-MM-DD (or an RFC 3339 time)"),
            )
        })
}

const DAY_MS: i64 = 86_400_000;

async fn list(
    State(state): State<TwState>,
    Path(account): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, TwError> {
    authenticate(&state, &headers, &account)?;
    let pairs = parse_form(query.unwrap_or_default().as_bytes())?;
    let page_size = match first(&pairs, "PageSize") {
        None => PAGE_SIZE_DEFAULT,
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=PAGE_SIZE_MAX).contains(n))
            .ok_or_else(|| TwError::bad(20001, "PageSize must be 1 to 1000"))?,
    };
    let page = match first(&pairs, "Page") {
        None => 0,
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|p| *p <= PAGE_MAX)
            .ok_or_else(|| TwError::bad(20001, "Page must be a number from 0 to 1000000"))?,
    };
    let token = match first(&pairs, "PageToken") {
        None | Some("") => None,
        Some(v) => Some(
            v.strip_prefix("PT")
                .and_then(|n| n.parse::<i64>().ok())
                .filter(|n| *n > 0)
                .map(MessageId)
                .ok_or_else(|| TwError::bad(20001, "PageToken is not one this API issued"))?,
        ),
    };
    // The filters, kept to be repeated in the page URIs.
    let mut filters: Vec<(String, String)> = Vec::new();
    let mut filter = ListFilter {
        limit: page_size + 1,
        offset: if token.is_some() {
            0
        } else {
            page.saturating_mul(page_size)
        },
        before_id: token,
        ..ListFilter::default()
    };
    if let Some(to) = first(&pairs, "To")
        .map(repair_number)
        .filter(|t| !t.is_empty())
    {
        filter.recipient = Some(to.clone());
        filters.push(("To".into(), to));
    }
    for (name, value) in &pairs {
        match name.as_str() {
            "DateSent" => {
                let start = day_start(name, value)?;
                filter.date_from = Some(start);
                filter.date_to = Some(start + DAY_MS - 1);
            }
            "DateSent>" => filter.date_from = Some(day_start(name, value)?),
            "DateSent<" => filter.date_to = Some(day_start(name, value)? + DAY_MS - 1),
            _ => continue,
        }
        filters.push((name.clone(), value.clone()));
    }
    let mut summaries = state
        .service
        .list(filter)
        .await
        .map_err(|e| TwError::from_service(e, ""))?;
    let more = summaries.len() > page_size;
    summaries.truncate(page_size);
    let key = sid_key(&state).await?;
    let mut messages = Vec::with_capacity(summaries.len());
    for s in &summaries {
        // A message removed between the two reads is simply left out.
        if let Ok(detail) = state.service.message(s.id).await {
            messages.push(resource(&detail, key, &account));
        }
    }
    let base = format!("{}.json", base_path(&account));
    let page_uri = |page: usize, token: Option<MessageId>| {
        let mut q = filters.clone();
        q.push(("PageSize".into(), page_size.to_string()));
        q.push(("Page".into(), page.to_string()));
        if let Some(t) = token {
            q.push(("PageToken".into(), format!("PT{}", t.0)));
        }
        format!(
            "{base}?{}",
            serde_urlencoded::to_string(&q).unwrap_or_default()
        )
    };
    let next = match (more, summaries.last()) {
        (true, Some(last)) => page
            .checked_add(1)
            .map(|next| page_uri(next, Some(last.id))),
        _ => None,
    };
    let previous = page.checked_sub(1).map(|p| page_uri(p, None));
    let start = page.saturating_mul(page_size);
    let end = start
        .saturating_add(messages.len())
        .saturating_sub(1)
        .max(start);
    Ok(Json(json!({
        "messages": messages,
        "page": page,
        "page_size": page_size,
        "start": start,
        "end": end,
        "uri": page_uri(page, token),
        "first_page_uri": page_uri(0, None),
        "next_page_uri": next,
        "previous_page_uri": previous,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_accept_plus_and_percent_20_for_spaces() {
        let plus = parse_form(b"To=%2B14155550100&Body=Hello+there+%F0%9F%91%8D").unwrap();
        let pct = parse_form(b"To=%2B14155550100&Body=Hello%20there%20%F0%9F%91%8D").unwrap();
        assert_eq!(plus, pct);
        assert_eq!(first(&plus, "Body"), Some("Hello there 👍"));
        // An encoded plus stays a plus.
        assert_eq!(
            first(&plus, "To").map(repair_number).as_deref(),
            Some("+14155550100")
        );
        // A literal plus in the body (%2B) is kept.
        let body = parse_form(b"Body=1%2B1%3D2").unwrap();
        assert_eq!(first(&body, "Body"), Some("1+1=2"));
    }

    #[test]
    fn an_unencoded_plus_in_a_number_is_repaired_but_not_in_the_body() {
        let form = parse_form(b"To=+14155550100&Body=a+b").unwrap();
        assert_eq!(first(&form, "To"), Some(" 14155550100"));
        assert_eq!(
            first(&form, "To").map(repair_number).as_deref(),
            Some("+14155550100")
        );
        assert_eq!(first(&form, "Body"), Some("a b"));
        assert_eq!(repair_number("4155550100"), "4155550100");
        assert_eq!(repair_number(" whatsapp:+1"), "whatsapp:+1");
    }

    #[test]
    fn errors_have_twilios_shape() {
        let e = TwError::bad(21211, "bad");
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        let mapped = TwError::from_service(
            ServiceError::Invalid {
                field: "to[0].number".into(),
                reason: "x".into(),
            },
            "/p",
        );
        assert_eq!(mapped.code, 21211);
        let limited = TwError::from_service(
            ServiceError::RateLimited {
                scope: "global".into(),
                retry_after: std::time::Duration::from_millis(1500),
            },
            "/p",
        );
        assert_eq!((limited.code, limited.retry_after), (20429, Some(2)));
    }

    #[test]
    fn dates_of_date_sent_are_utc_days() {
        assert_eq!(
            day_start("DateSent", "2023-08-24").unwrap(),
            1_692_835_200_000
        );
        assert!(day_start("DateSent", "24/08/2023").is_err());
        // What the SDKs send for a datetime: the UTC day of it.
        assert_eq!(
            day_start("DateSent", "2023-08-24T23:30:00Z").unwrap(),
            1_692_835_200_000
        );
        assert_eq!(
            day_start("DateSent", "2023-08-25T01:30:00+02:00").unwrap(),
            1_692_835_200_000
        );
    }
}
