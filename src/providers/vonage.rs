//! The Vonage (Nexmo) SMS API as a [`Route`]: a form POST to `{base}/sms/json` with
//! `api_key`, `api_secret`, `from`, `to` (E.164 without `+`), `text`, `type=unicode` when
//! the text is not GSM-7 (default alphabet and extension table), `client-ref` (our message
//! id) and, with `[providers] callback_base_url`, `callback` =
//! `{callback_base_url}/webhooks/vonage/status?message_id={our id}`.
//!
//! Vonage answers **HTTP 200 even on failure**: each part has its own `status`, and any part
//! whose status is not `"0"` makes the send fail, classified by [`classify`]. Vonage splits
//! the text itself (153 GSM-7 / 67 UCS-2 characters per part, where our segments hold 152 /
//! 66 with 16-bit references), so its part count can differ from ours: part *i*'s
//! `message-id` and `message-price` go on our segment *i*; extra parts are joined onto our
//! last segment, and our segments beyond Vonage's count carry no id
//! ([`common::receipts_for_parts`]).
//!
//! Never imports modem/, store/, dispatch/ or anything above; never logs the text or secret.

use super::http::{self as common, Core};
use crate::config::{ConfigError, VonageConfig};
use crate::pdu::Charset;
use crate::route::{
    ErrorClass, OutboundMessage, Route, RouteError, RouteSnapshot, SegmentReceipt, SendFuture,
};
use serde::Deserialize;

/// The Vonage route.
pub struct VonageRoute {
    core: Core,
    url: String,
    api_key: String,
    api_secret: String,
    from: String,
    callback_base: Option<String>,
}

/// The answer of `/sms/json`.
#[derive(Debug, Default, Deserialize, PartialEq)]
pub struct Answer {
    /// Number of parts, as a string.
    #[serde(rename = "message-count")]
    pub message_count: Option<String>,
    /// One entry per part.
    #[serde(default)]
    pub messages: Vec<Part>,
}

/// One part of the answer.
#[derive(Debug, Default, Deserialize, PartialEq)]
pub struct Part {
    /// `"0"` = accepted.
    pub status: Option<String>,
    /// The part's id.
    #[serde(rename = "message-id")]
    pub message_id: Option<String>,
    /// Price of the part, as a decimal string.
    #[serde(rename = "message-price")]
    pub message_price: Option<String>,
    /// Why it failed.
    #[serde(rename = "error-text")]
    pub error_text: Option<String>,
}

/// The class of a Vonage part status (reference §4.1 and §6.3).
pub fn classify(status: &str) -> ErrorClass {
    match status {
        "1" => ErrorClass::RetryHere,
        // Missing/invalid parameters, invalid message, number barred, message too long,
        // number deactivated: the same anywhere.
        "2" | "3" | "6" | "7" | "12" | "33" => ErrorClass::Permanent,
        // Invalid credentials or signature.
        "4" | "14" | "32" => ErrorClass::RouteBroken,
        // Internal error, account barred, no credit, binds, not enabled, sender, network
        // code, callback URL, non-whitelisted destination: another route may do it.
        _ => ErrorClass::RetryElsewhere,
    }
}

impl VonageRoute {
    /// A route from its config.
    pub fn new(config: &VonageConfig, callback_base: Option<&str>) -> Result<Self, ConfigError> {
        let core = Core::new("vonage", config.limits())?;
        let url = format!("{}/sms/json", config.base_url.trim_end_matches('/'));
        reqwest::Url::parse(&url)
            .map_err(|e| ConfigError::new("providers.vonage.base_url", e.to_string()))?;
        Ok(Self {
            core,
            url,
            api_key: config.api_key.clone(),
            api_secret: config.api_secret.expose().to_string(),
            from: config.from.clone(),
            callback_base: callback_base.map(str::to_string),
        })
    }

    /// The form body for `message`.
    pub fn form(&self, message: &OutboundMessage) -> String {
        let callback = common::callback_url(
            self.callback_base.as_deref(),
            "/webhooks/vonage/status",
            message,
        );
        let client_ref = message.id.to_string();
        let mut pairs = vec![
            ("api_key", self.api_key.as_str()),
            ("api_secret", self.api_secret.as_str()),
            ("from", self.from.as_str()),
            ("to", common::without_plus(&message.recipient)),
            ("text", message.body.as_str()),
        ];
        if !Charset::default().can_encode(&message.body) {
            pairs.push(("type", "unicode"));
        }
        pairs.push(("client-ref", client_ref.as_str()));
        if let Some(cb) = &callback {
            pairs.push(("callback", cb.as_str()));
        }
        // Vonage must not deliver after our deadline (an OTP's expiry): `ttl` in
        // milliseconds, 20000–604800000 (a deadline under 20 s gets the minimum).
        let ttl = message.expire_at.map(|at| {
            (at - crate::message::now_millis())
                .clamp(20_000, 604_800_000)
                .to_string()
        });
        if let Some(ttl) = &ttl {
            pairs.push(("ttl", ttl.as_str()));
        }
        common::form_encode(pairs)
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
            .header(reqwest::header::ACCEPT, "application/json")
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(self.form(message));
        let answer = self.core.execute(request).await?;
        if !(200..300).contains(&answer.status) {
            let class = common::classify_status(answer.status).unwrap_or(if answer.status >= 500 {
                ErrorClass::Ambiguous
            } else {
                ErrorClass::RetryElsewhere
            });
            return Err(self.core.error(
                class,
                format!("HTTP {} from Vonage", answer.status),
                answer.retry_after,
            ));
        }
        let parsed: Answer = match serde_json::from_str(&answer.body) {
            Ok(a) => a,
            Err(_) => return Err(self.core.error(
                ErrorClass::Ambiguous,
                "HTTP 200 from Vonage with an unreadable answer: the message may have been sent",
                None,
            )),
        };
        if parsed.messages.is_empty() {
            return Err(self.core.error(
                ErrorClass::Ambiguous,
                "HTTP 200 from Vonage without parts: the message may have been sent",
                None,
            ));
        }
        let accepted = parsed
            .messages
            .iter()
            .filter(|p| p.status.as_deref() == Some("0"))
            .count();
        if let Some(failed) = parsed
            .messages
            .iter()
            .find(|p| p.status.as_deref() != Some("0"))
        {
            let status = failed.status.as_deref().unwrap_or("?");
            let class = classify(status);
            let text = format!(
                "Vonage status {status}: {} ({accepted} of {} parts accepted)",
                failed.error_text.as_deref().unwrap_or("no error text"),
                parsed.messages.len()
            );
            let accepted = accepted.min(message.segments.len());
            self.core.record_sent(accepted);
            self.core.record_fragment(accepted);
            let mut error = self.core.error(class, text, answer.retry_after);
            error.sent_segments = accepted;
            return Err(error);
        }
        self.core.record_sent(parsed.messages.len());
        let parts: Vec<(String, Option<f64>)> = parsed
            .messages
            .iter()
            .filter_map(|p| {
                let id = p.message_id.clone()?;
                let price = p
                    .message_price
                    .as_deref()
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .filter(|c| c.is_finite() && *c >= 0.0);
                Some((id, price))
            })
            .collect();
        let mut receipts = common::receipts_for_parts(message, &parts);
        if parts.iter().all(|(_, c)| c.is_none()) {
            if let Some(first) = receipts.first_mut() {
                first.cost = self.core.cost_per_message();
            }
        }
        Ok(receipts)
    }
}

impl Route for VonageRoute {
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

    fn route() -> VonageRoute {
        VonageRoute::new(
            &VonageConfig {
                api_key: "abcd1234".into(),
                api_secret: Secret::new("s3cret"),
                from: "AcmeInc".into(),
                ..VonageConfig::default()
            },
            Some("https://gw.example.com"),
        )
        .unwrap()
    }

    #[test]
    fn form_says_unicode_only_when_needed() {
        let r = route();
        assert_eq!(r.url, "https://rest.nexmo.com/sms/json");
        assert_eq!(
            r.form(&message(1)),
            "api_key=abcd1234&api_secret=s3cret&from=AcmeInc&to=15558675310&text=Hi+%E2%9C%93&type=unicode&client-ref=42&callback=https%3A%2F%2Fgw.example.com%2Fwebhooks%2Fvonage%2Fstatus%3Fmessage_id%3D42"
        );
        let mut gsm = message(1);
        gsm.body = "Price: 5€ {ok}".into();
        assert!(!r.form(&gsm).contains("type=unicode"));
    }

    #[test]
    fn answers_parse() {
        let a: Answer = serde_json::from_str(
            r#"{"message-count":"1","messages":[{"to":"447700900000","message-id":"0A0000000123ABCD1","status":"0",
                "remaining-balance":"3.14159265","message-price":"0.03330000","network":"12345"}]}"#,
        )
        .unwrap();
        assert_eq!(
            a.messages[0].message_id.as_deref(),
            Some("0A0000000123ABCD1")
        );
        assert_eq!(a.messages[0].status.as_deref(), Some("0"));
        let e: Answer = serde_json::from_str(
            r#"{"message-count":"1","messages":[{"status":"2","error-text":"Missing to param"}]}"#,
        )
        .unwrap();
        assert_eq!(
            e.messages[0].error_text.as_deref(),
            Some("Missing to param")
        );
    }

    #[test]
    fn part_statuses_are_classified() {
        use ErrorClass::*;
        for (status, class) in [
            ("1", RetryHere),
            ("2", Permanent),
            ("3", Permanent),
            ("6", Permanent),
            ("7", Permanent),
            ("12", Permanent),
            ("4", RouteBroken),
            ("14", RouteBroken),
            ("5", RetryElsewhere),
            ("8", RetryElsewhere),
            ("9", RetryElsewhere),
            ("15", RetryElsewhere),
            ("29", RetryElsewhere),
        ] {
            assert_eq!(classify(status), class, "{status}");
        }
    }
}
