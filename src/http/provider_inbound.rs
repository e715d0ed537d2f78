//! Inbound messages from cloud providers: `POST|GET /webhooks/twilio/sms` (Twilio's
//! incoming-message webhook, answered with empty TwiML), `GET|POST /webhooks/vonage/inbound`
//! (Vonage inbound SMS, query, form or JSON) and `POST /webhooks/plivo/sms` (Plivo's message
//! URL, answered with an empty Plivo XML `<Response>`) — outside the API-key groups, each
//! authenticated by its provider's signature exactly as its status callback is
//! ([`super::provider_callbacks`]: same settings, same public URL rule, same checks).
//!
//! Owns: reading each provider's inbound parameters and handing them to the [`Service`]
//! as a [`ProviderMessage`]. Never imports the store, a modem or the inbox.
//!
//! Invariants: a provider's route exists only when that provider is configured and
//! `[providers] callback_base_url` is set (otherwise 404); the signature is checked before
//! any parameter is read, and a missing or wrong one is answered 403 and stores nothing
//! (a Vonage message is checked when `signature_secret` is set, and then its `timestamp`
//! must be within [`VONAGE_MAX_SKEW_SECS`] of now); the same provider id posted again
//! answers success and stores nothing (providers retry); bodies are bounded by
//! [`MAX_INBOUND_BODY_BYTES`]; logs never carry a secret, a signature or a message text.

use super::error::ApiError;
use super::provider_callbacks::{
    first, json_pairs, pairs, public_url, vonage_time, CallbackSettings, LogThrottle,
    VONAGE_MAX_SKEW_SECS,
};
use crate::providers::signatures as sig;
use crate::service::{
    InboundFields, InboundTextKind, ProviderInboundOutcome, ProviderMessage, Service,
};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use std::sync::Arc;

/// Twilio's incoming-message path, below `callback_base_url`.
pub const TWILIO_SMS_PATH: &str = "/webhooks/twilio/sms";
/// Vonage's inbound-SMS path.
pub const VONAGE_INBOUND_PATH: &str = "/webhooks/vonage/inbound";
/// Plivo's message-URL path.
pub const PLIVO_SMS_PATH: &str = "/webhooks/plivo/sms";
/// Largest inbound webhook body (a long message with every optional field is a few KiB).
pub const MAX_INBOUND_BODY_BYTES: usize = 64 * 1024;
/// What Twilio gets back: no reply.
pub const EMPTY_TWIML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#;

#[derive(Clone)]
struct InState {
    service: Service,
    settings: Arc<CallbackSettings>,
    base: String,
}

/// The inbound routes (none without `callback_base_url`; each only when its provider is
/// configured), their bodies bounded by `max_body_bytes` or [`MAX_INBOUND_BODY_BYTES`],
/// whichever is smaller.
pub fn router(service: Service, settings: &CallbackSettings, max_body_bytes: usize) -> Router {
    let Some(base) = settings.public_base_url.clone() else {
        return Router::new();
    };
    let state = InState {
        service,
        settings: Arc::new(settings.clone()),
        base,
    };
    let mut r = Router::new();
    if settings.twilio_auth_token.is_some() {
        r = r.route(TWILIO_SMS_PATH, post(twilio).get(twilio));
    }
    // Only signed: an unsigned inbound route on a public URL would let anyone post STOP or
    // START for any number, or make automatic replies send paid SMS to numbers of their
    // choosing. Without `signature_secret` Vonage's inbound messages are refused (404).
    if settings.vonage.as_ref().is_some_and(|v| v.secret.is_some()) {
        r = r.route(VONAGE_INBOUND_PATH, get(vonage).post(vonage));
    } else if settings.vonage.is_some() {
        tracing::warn!(
            "[providers.vonage] has no signature_secret: Vonage inbound messages are not \
             accepted (set it, and signed webhooks in the Vonage dashboard)"
        );
    }
    if settings.plivo_auth_token.is_some() {
        r = r.route(PLIVO_SMS_PATH, post(plivo));
    }
    r.with_state(state).layer(DefaultBodyLimit::max(
        max_body_bytes.min(MAX_INBOUND_BODY_BYTES),
    ))
}

static FORGED_LOG: LogThrottle = LogThrottle::new(std::time::Duration::from_secs(1));

fn forbidden(provider: &str, why: &str) -> ApiError {
    // Forged webhooks are an attacker's to send as fast as they like: one line a second.
    if let Some(suppressed) = FORGED_LOG.admit() {
        tracing::warn!(
            provider,
            suppressed,
            "refused an inbound message webhook: {why}"
        );
    }
    ApiError {
        status: StatusCode::FORBIDDEN,
        code: "invalid_signature",
        message: format!("the {provider} signature is missing or does not verify"),
        field: None,
        retry_after: None,
    }
}

fn header_value(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// A parameter as sent (not trimmed: a text's spaces are its own), absent → empty.
fn text_of(params: &[(String, String)], name: &str) -> String {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// An optional count of 1–255 (`NumSegments`, `Units`, `concat-total`, `concat-part`).
fn count(params: &[(String, String)], name: &str) -> Result<Option<u8>, ApiError> {
    match first(params, name) {
        None => Ok(None),
        Some(v) => v
            .parse::<u8>()
            .ok()
            .filter(|n| *n >= 1)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(name, "a whole number from 1 to 255")),
    }
}

fn xml(body: &'static str) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

const TWILIO_FIELDS: InboundFields = InboundFields {
    id: "MessageSid",
    from: "From",
    to: "To",
    text: "Body",
};

async fn twilio(
    State(state): State<InState>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let token = state.settings.twilio_auth_token.as_deref().unwrap_or("");
    let url = public_url(&state.base, TWILIO_SMS_PATH, query.as_deref());
    // A GET carries its parameters in the (signed) URL; a POST's form is signed after it.
    let signed = if method == Method::GET {
        Vec::new()
    } else {
        pairs(&body, "body").map_err(|_| forbidden("twilio", "unreadable body"))?
    };
    let signature = header_value(&headers, "x-twilio-signature");
    if !sig::twilio_verify(token, &url, &signed, &signature) {
        return Err(forbidden("twilio", "bad X-Twilio-Signature"));
    }
    let params = if method == Method::GET {
        pairs(query.as_deref().unwrap_or("").as_bytes(), "query")?
    } else {
        signed
    };
    let id = first(&params, "MessageSid")
        .or_else(|| first(&params, "SmsMessageSid"))
        .or_else(|| first(&params, "SmsSid"))
        .unwrap_or_default();
    let message = ProviderMessage {
        provider: "twilio",
        provider_message_id: id,
        from: text_of(&params, "From"),
        to: text_of(&params, "To"),
        text: text_of(&params, "Body"),
        kind: InboundTextKind::Text,
        segments: count(&params, "NumSegments")?,
        sent_at: None,
        concat: None,
    };
    state
        .service
        .provider_inbound(message, TWILIO_FIELDS)
        .await?;
    Ok(xml(EMPTY_TWIML))
}

const VONAGE_FIELDS: InboundFields = InboundFields {
    id: "messageId",
    from: "msisdn",
    to: "to",
    text: "text",
};

async fn vonage(
    State(state): State<InState>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut params = pairs(query.as_deref().unwrap_or("").as_bytes(), "query")?;
    if method == Method::POST && !body.is_empty() {
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json"));
        params.extend(if is_json {
            json_pairs(&body)?
        } else {
            pairs(&body, "body")?
        });
    }
    if let Some(signing) = &state.settings.vonage {
        if let Some(secret) = signing.secret.as_deref() {
            if !sig::vonage_verify(signing.method, secret, &params) {
                return Err(forbidden("vonage", "bad or missing sig"));
            }
            let now_secs = state.service.now().div_euclid(1000);
            let fresh = first(&params, "timestamp")
                .and_then(|t| t.parse::<i64>().ok())
                .is_some_and(|t| (t - now_secs).abs() <= VONAGE_MAX_SKEW_SECS);
            if !fresh {
                return Err(forbidden("vonage", "stale or missing timestamp"));
            }
        }
    }
    let kind = match first(&params, "type").as_deref() {
        Some("unicode") => InboundTextKind::Unicode,
        Some("binary") => InboundTextKind::Binary,
        _ => InboundTextKind::Text,
    };
    let text = match kind {
        InboundTextKind::Binary => text_of(&params, "data"),
        _ => text_of(&params, "text"),
    };
    let concat = if first(&params, "concat").as_deref() == Some("true") {
        let reference = first(&params, "concat-ref")
            .ok_or_else(|| ApiError::invalid("concat-ref", "is required with concat=true"))?;
        let total = count(&params, "concat-total")?
            .ok_or_else(|| ApiError::invalid("concat-total", "is required with concat=true"))?;
        let part = count(&params, "concat-part")?
            .ok_or_else(|| ApiError::invalid("concat-part", "is required with concat=true"))?;
        Some((reference, total, part))
    } else {
        None
    };
    let message = ProviderMessage {
        provider: "vonage",
        provider_message_id: text_of(&params, "messageId"),
        from: text_of(&params, "msisdn"),
        to: text_of(&params, "to"),
        text,
        kind,
        segments: None,
        sent_at: first(&params, "message-timestamp").and_then(|t| vonage_time(&t)),
        concat,
    };
    let outcome = state
        .service
        .provider_inbound(message, VONAGE_FIELDS)
        .await?;
    Ok(outcome_json(outcome))
}

fn outcome_json(outcome: ProviderInboundOutcome) -> Response {
    let body = match outcome {
        ProviderInboundOutcome::Stored { id } => json!({"result": "stored", "inbound_id": id}),
        ProviderInboundOutcome::PartStored { received, total } => {
            json!({"result": "part_stored", "parts_received": received, "parts": total})
        }
        ProviderInboundOutcome::Duplicate => json!({"result": "duplicate"}),
    };
    (StatusCode::OK, Json(body)).into_response()
}

const PLIVO_FIELDS: InboundFields = InboundFields {
    id: "MessageUUID",
    from: "From",
    to: "To",
    text: "Text",
};

async fn plivo(
    State(state): State<InState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let token = state.settings.plivo_auth_token.as_deref().unwrap_or("");
    let q = pairs(query.as_deref().unwrap_or("").as_bytes(), "query")
        .map_err(|_| forbidden("plivo", "unreadable query"))?;
    let params = pairs(&body, "body").map_err(|_| forbidden("plivo", "unreadable body"))?;
    let base = sig::plivo_v3_base(&format!("{}{PLIVO_SMS_PATH}", state.base), &q, &params);
    let signed = sig::plivo_v3_verify(
        token,
        &base,
        &header_value(&headers, "x-plivo-signature-v3-nonce"),
        &header_value(&headers, "x-plivo-signature-v3"),
    );
    if !signed {
        return Err(forbidden("plivo", "bad X-Plivo-Signature-V3"));
    }
    let message = ProviderMessage {
        provider: "plivo",
        provider_message_id: text_of(&params, "MessageUUID"),
        from: text_of(&params, "From"),
        to: text_of(&params, "To"),
        text: text_of(&params, "Text"),
        kind: InboundTextKind::Text,
        segments: count(&params, "Units")?,
        sent_at: None,
        concat: None,
    };
    state
        .service
        .provider_inbound(message, PLIVO_FIELDS)
        .await?;
    Ok(xml("<Response></Response>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn counts_are_1_to_255_and_name_their_field() {
        assert_eq!(count(&p(&[("Units", "3")]), "Units").unwrap(), Some(3));
        assert_eq!(count(&p(&[]), "Units").unwrap(), None);
        for bad in ["0", "256", "-1", "x"] {
            let e = count(&p(&[("NumSegments", bad)]), "NumSegments").unwrap_err();
            assert_eq!(e.field.as_deref(), Some("NumSegments"), "{bad}");
        }
    }

    #[test]
    fn texts_keep_their_spaces() {
        assert_eq!(text_of(&p(&[("Body", " hi ")]), "Body"), " hi ");
        assert_eq!(text_of(&p(&[]), "Body"), "");
    }
}
