//! The Plivo Message API as a [`Route`]: a JSON POST to
//! `{base}/v1/Account/{auth_id}/Message/` (trailing slash) with HTTP Basic
//! `auth_id:auth_token`, body `{"src", "dst" (E.164 without +), "text", "url", "method"}` —
//! `url` = `{callback_base_url}/webhooks/plivo/status?message_id={our id}` when
//! `[providers] callback_base_url` is set. A 202 carries `message_uuid` (a list: one uuid
//! per destination — one here — mapped onto our segments in order like Vonage's parts);
//! errors carry `{"api_id", "error"}`.
//!
//! Never imports modem/, store/, dispatch/ or anything above; never logs the text or token.
//! Plivo's answer has no price: the configured `cost_per_message` is recorded.

use super::http::{self as common, Core};
use crate::config::{ConfigError, PlivoConfig};
use crate::route::{
    ErrorClass, OutboundMessage, Route, RouteError, RouteSnapshot, SegmentReceipt, SendFuture,
};
use serde::{Deserialize, Serialize};

/// The Plivo route.
pub struct PlivoRoute {
    core: Core,
    url: String,
    auth_id: String,
    auth_token: String,
    from: String,
    callback_base: Option<String>,
}

/// The request body.
#[derive(Debug, Serialize, PartialEq)]
pub struct Request<'a> {
    /// The sender Plivo shows (`src`): a number of the account or a sender id.
    pub src: &'a str,
    /// Destination, without `+`.
    pub dst: &'a str,
    /// The text.
    pub text: &'a str,
    /// Status callback URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Callback method (`POST`), with `url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<&'static str>,
}

/// The answer (success or error).
#[derive(Debug, Default, Deserialize, PartialEq)]
pub struct Answer {
    /// Request id.
    pub api_id: Option<String>,
    /// `"message(s) queued"`.
    pub message: Option<String>,
    /// The message uuids.
    #[serde(default)]
    pub message_uuid: Vec<String>,
    /// The error, on failure.
    pub error: Option<serde_json::Value>,
}

/// The class of a Plivo error answer by HTTP status.
pub fn classify(http_status: u16, has_error_body: bool) -> ErrorClass {
    if let Some(class) = common::classify_status(http_status) {
        return class;
    }
    match http_status {
        // Invalid parameter (a bad number, an empty text): the same anywhere.
        400 => ErrorClass::Permanent,
        // Unknown account in the path, method not allowed: our configuration.
        404 | 405 => ErrorClass::RouteBroken,
        s if s >= 500 && has_error_body => ErrorClass::RetryElsewhere,
        s if s >= 500 => ErrorClass::Ambiguous,
        _ => ErrorClass::RetryElsewhere,
    }
}

/// The class of a Plivo error answer with its `error` body: a 400 about our sender
/// (`src`, the powerpack) is our configuration, not the recipient's — another route may well
/// send it (reference §6.3, Plivo 40); other 400s are about the message or its number.
pub fn classify_answer(http_status: u16, error: Option<&String>) -> ErrorClass {
    let about_sender = error.is_some_and(|e| {
        let text = e.to_ascii_lowercase();
        text.contains("src") || text.contains("powerpack")
    });
    if http_status == 400 && about_sender {
        return ErrorClass::RetryElsewhere;
    }
    classify(http_status, error.is_some())
}

impl PlivoRoute {
    /// A route from its config.
    pub fn new(config: &PlivoConfig, callback_base: Option<&str>) -> Result<Self, ConfigError> {
        let core = Core::new("plivo", config.limits())?;
        let url = format!(
            "{}/v1/Account/{}/Message/",
            config.base_url.trim_end_matches('/'),
            config.auth_id
        );
        reqwest::Url::parse(&url)
            .map_err(|e| ConfigError::new("providers.plivo.base_url", e.to_string()))?;
        Ok(Self {
            core,
            url,
            auth_id: config.auth_id.clone(),
            auth_token: config.auth_token.expose().to_string(),
            from: config.from.clone(),
            callback_base: callback_base.map(str::to_string),
        })
    }

    /// The JSON body for `message`.
    pub fn body<'a>(&'a self, message: &'a OutboundMessage) -> Request<'a> {
        let url = common::callback_url(
            self.callback_base.as_deref(),
            "/webhooks/plivo/status",
            message,
        );
        Request {
            src: &self.from,
            dst: common::without_plus(&message.recipient),
            text: &message.body,
            method: url.as_ref().map(|_| "POST"),
            url,
        }
    }

    async fn send_inner(
        &self,
        message: &OutboundMessage,
    ) -> Result<Vec<SegmentReceipt>, RouteError> {
        let _in_flight = self.core.begin().await;
        let request = self
            .core
            .client()
            .post(&self.url)
            .basic_auth(&self.auth_id, Some(&self.auth_token))
            .json(&self.body(message));
        let answer = self.core.execute(request).await?;
        let parsed: Option<Answer> = serde_json::from_str(&answer.body).ok();
        if (200..300).contains(&answer.status) {
            self.core.record_sent(message.segments.len());
            let uuids = parsed.map(|a| a.message_uuid).unwrap_or_default();
            let parts: Vec<(String, Option<f64>)> = uuids.into_iter().map(|u| (u, None)).collect();
            let mut receipts = common::receipts_for_parts(message, &parts);
            if let Some(first) = receipts.first_mut() {
                first.cost = self.core.cost_per_message();
            }
            return Ok(receipts);
        }
        let error = parsed.and_then(|a| a.error).map(|e| match e {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        });
        let class = classify_answer(answer.status, error.as_ref());
        let text = match error {
            Some(e) => format!("HTTP {}: Plivo: {e}", answer.status),
            None => format!("HTTP {} without a Plivo error body", answer.status),
        };
        Err(self.core.error(class, text, answer.retry_after))
    }
}

impl Route for PlivoRoute {
    fn name(&self) -> &str {
        self.core.name()
    }

    fn snapshot(&self) -> RouteSnapshot {
        self.core.snapshot()
    }

    fn send<'a>(&'a self, message: &'a OutboundMessage) -> SendFuture<'a> {
        Box::pin(self.send_inner(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use crate::providers::http::tests::message;

    fn route(callback: Option<&str>) -> PlivoRoute {
        PlivoRoute::new(
            &PlivoConfig {
                auth_id: "MAXXXXXXXXXXXXXXXXXX".into(),
                auth_token: Secret::new("ptok"),
                from: "14155550100".into(),
                ..PlivoConfig::default()
            },
            callback,
        )
        .unwrap()
    }

    #[test]
    fn request_url_and_body() {
        let r = route(Some("https://gw.example.com"));
        assert_eq!(
            r.url,
            "https://api.plivo.com/v1/Account/MAXXXXXXXXXXXXXXXXXX/Message/"
        );
        let m = message(1);
        assert_eq!(
            serde_json::to_value(r.body(&m)).unwrap(),
            serde_json::json!({"src": "14155550100", "dst": "15558675310", "text": "Hi ✓",
                "url": "https://gw.example.com/webhooks/plivo/status?message_id=42", "method": "POST"})
        );
        let r = route(None);
        assert_eq!(
            serde_json::to_value(r.body(&m)).unwrap(),
            serde_json::json!({"src": "14155550100", "dst": "15558675310", "text": "Hi ✓"})
        );
    }

    #[test]
    fn answers_parse_and_errors_are_classified() {
        let a: Answer = serde_json::from_str(
            r#"{"api_id":"db342550-7f1d-11e1-8ea7-1231380bc196","message":"message(s) queued",
                "message_uuid":["db3ce55a-7f1d-11e1-8ea7-1231380bc196"]}"#,
        )
        .unwrap();
        assert_eq!(a.message_uuid, ["db3ce55a-7f1d-11e1-8ea7-1231380bc196"]);
        use ErrorClass::*;
        for (status, body, class) in [
            (400, true, Permanent),
            (401, true, RouteBroken),
            (404, true, RouteBroken),
            (429, true, RetryHere),
            (500, true, RetryElsewhere),
            (502, false, Ambiguous),
        ] {
            assert_eq!(classify(status, body), class, "{status}");
        }
        let err = |text: &str| text.to_string();
        assert_eq!(
            classify_answer(400, Some(&err("invalid 'src' parameter"))),
            ErrorClass::RetryElsewhere
        );
        assert_eq!(
            classify_answer(400, Some(&err("invalid 'dst' parameter"))),
            ErrorClass::Permanent
        );
    }
}
