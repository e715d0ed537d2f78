//! Twilio Programmable Messaging as a [`Route`]: `POST
//! {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded `To`, `From`, `Body`
//! and (with `[providers] callback_base_url`) `StatusCallback` =
//! `{callback_base_url}/webhooks/twilio/status?message_id={our id}`; HTTP Basic auth
//! `AccountSid:AuthToken`. A 201 carries `sid`, `status` and maybe `price`/`price_unit`;
//! an error carries `{code, message, more_info, status}`, classified by [`classify`].
//!
//! Never imports modem/, store/, dispatch/ or anything above; never logs the body or the
//! token. Twilio answers with one `SM…` sid per message: every segment's receipt carries it.

pub mod wire;

use super::http::{self as common, Core};
use crate::config::{ConfigError, TwilioConfig};
use crate::route::{ErrorClass, OutboundMessage, Route, RouteSnapshot, SegmentReceipt, SendFuture};
use serde::Deserialize;

/// The Twilio route.
pub struct TwilioRoute {
    core: Core,
    url: String,
    account_sid: String,
    auth_token: String,
    from: String,
    callback_base: Option<String>,
}

/// The fields of a created message that matter here.
#[derive(Debug, Default, Deserialize, PartialEq)]
pub struct Created {
    /// `SM` + 32 hex.
    pub sid: Option<String>,
    /// `queued`, `accepted`, `failed`, …
    pub status: Option<String>,
    /// Negative for a charge (`"-0.00750"`), `null` until billed.
    pub price: Option<String>,
    /// ISO 4217.
    pub price_unit: Option<String>,
    /// Set when the message failed at once.
    pub error_code: Option<i64>,
}

/// Twilio's error body.
#[derive(Debug, Default, Deserialize, PartialEq)]
pub struct TwilioError {
    /// Twilio error code (21211, 20003, …).
    pub code: Option<i64>,
    /// What it means.
    pub message: Option<String>,
    /// The documentation page.
    pub more_info: Option<String>,
    /// The HTTP status again.
    pub status: Option<i64>,
}

/// The class of a Twilio error: the HTTP status and the error code (reference §6.3).
pub fn classify(http_status: u16, code: Option<i64>) -> ErrorClass {
    if let Some(class) = common::classify_status(http_status) {
        return class;
    }
    match code {
        Some(20003) => ErrorClass::RouteBroken,
        Some(20429) => ErrorClass::RetryHere,
        // Invalid To, recipient unsubscribed, not a mobile number, unknown destination,
        // landline or unreachable carrier: the same anywhere.
        Some(21211 | 21610 | 21614 | 30005 | 30006) => ErrorClass::Permanent,
        // The message itself is refused (empty, too long): the same anywhere.
        Some(21602 | 21617) => ErrorClass::Permanent,
        // Account, region permission, sender queue, suspension, 10DLC registration, carrier
        // filtering: a modem is a genuinely different path.
        Some(20404 | 21408 | 21611 | 30001 | 30002 | 30007 | 30034) => ErrorClass::RetryElsewhere,
        // Any other code proves Twilio answered and refused — but most of the codes not
        // listed concern the account or the sender (21212 invalid From, 21606 From not
        // SMS-capable…): another route may well succeed, and a modem that cannot will say so.
        Some(_) => ErrorClass::RetryElsewhere,
        // A 5xx without Twilio's error body may come from anything in between.
        None if http_status >= 500 => ErrorClass::Ambiguous,
        None => ErrorClass::Permanent,
    }
}

/// `"-0.00750"` → `0.0075` (a charge, as a positive cost).
pub fn parse_price(price: Option<&str>) -> Option<f64> {
    let p: f64 = price?.trim().parse().ok()?;
    p.is_finite().then_some(p.abs())
}

impl TwilioRoute {
    /// A route from its config.
    pub fn new(config: &TwilioConfig, callback_base: Option<&str>) -> Result<Self, ConfigError> {
        let core = Core::new("twilio", config.limits())?;
        let url = format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            config.base_url.trim_end_matches('/'),
            config.account_sid.trim()
        );
        reqwest::Url::parse(&url)
            .map_err(|e| ConfigError::new("providers.twilio.base_url", e.to_string()))?;
        Ok(Self {
            core,
            url,
            account_sid: config.account_sid.trim().to_string(),
            auth_token: config.auth_token.expose().to_string(),
            from: config.from.clone(),
            callback_base: callback_base.map(str::to_string),
        })
    }

    /// The form body for `message`.
    pub fn form(&self, message: &OutboundMessage) -> String {
        let callback = common::callback_url(
            self.callback_base.as_deref(),
            "/webhooks/twilio/status",
            message,
        );
        let mut pairs = vec![
            ("To", message.recipient.as_str()),
            ("From", self.from.as_str()),
            ("Body", message.body.as_str()),
        ];
        if let Some(cb) = &callback {
            pairs.push(("StatusCallback", cb.as_str()));
        }
        // Twilio must not deliver after our deadline (an OTP's expiry): its queue keeps a
        // message up to ValidityPeriod seconds (1–36000, default 36000).
        let validity = message.expire_at.map(|at| {
            ((at - crate::message::now_millis()) / 1000)
                .clamp(1, 36_000)
                .to_string()
        });
        if let Some(v) = &validity {
            pairs.push(("ValidityPeriod", v.as_str()));
        }
        common::form_encode(pairs)
    }

    async fn send_inner(
        &self,
        message: &OutboundMessage,
    ) -> Result<Vec<SegmentReceipt>, crate::route::RouteError> {
        let _in_flight = self.core.begin().await;
        let request = self
            .core
            .client()
            .post(&self.url)
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .header(reqwest::header::ACCEPT, "application/json")
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(self.form(message));
        let answer = self.core.execute(request).await?;
        if (200..300).contains(&answer.status) {
            let created: Created = serde_json::from_str(&answer.body).unwrap_or_default();
            if created.status.as_deref() == Some("failed") {
                let class = classify(400, created.error_code);
                return Err(self.core.error(
                    class,
                    format!(
                        "Twilio failed the message at once (error {:?})",
                        created.error_code
                    ),
                    None,
                ));
            }
            self.core.record_sent(message.segments.len());
            let cost = parse_price(created.price.as_deref()).or(self.core.cost_per_message());
            return Ok(common::receipts_for_message(
                message,
                created.sid.as_deref(),
                cost,
            ));
        }
        let error: TwilioError = serde_json::from_str(&answer.body).unwrap_or_default();
        let class = classify(answer.status, error.code);
        let text = match (error.code, error.message) {
            (Some(code), Some(m)) => format!("HTTP {}: Twilio error {code}: {m}", answer.status),
            (Some(code), None) => format!("HTTP {}: Twilio error {code}", answer.status),
            _ => format!("HTTP {} without a Twilio error body", answer.status),
        };
        Err(self.core.error(class, text, answer.retry_after))
    }
}

impl Route for TwilioRoute {
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

    fn route(callback: Option<&str>) -> TwilioRoute {
        TwilioRoute::new(
            &TwilioConfig {
                account_sid: "AC0123456789abcdef0123456789abcdef".into(),
                auth_token: Secret::new("tok"),
                from: "+15005550006".into(),
                base_url: "https://api.twilio.com/".into(),
                ..TwilioConfig::default()
            },
            callback,
        )
        .unwrap()
    }

    #[test]
    fn request_url_and_form() {
        let r = route(Some("https://gw.example.com"));
        assert_eq!(
            r.url,
            "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"
        );
        assert_eq!(
            r.form(&message(1)),
            "To=%2B15558675310&From=%2B15005550006&Body=Hi+%E2%9C%93&StatusCallback=https%3A%2F%2Fgw.example.com%2Fwebhooks%2Ftwilio%2Fstatus%3Fmessage_id%3D42"
        );
        assert!(!route(None).form(&message(1)).contains("StatusCallback"));
        // A deadline (an OTP's expiry) becomes ValidityPeriod, in 1..=36000 seconds.
        let mut otp = message(1);
        otp.expire_at = Some(crate::message::now_millis() + 300_000);
        let form = r.form(&otp);
        let validity: i64 = form
            .split("ValidityPeriod=")
            .nth(1)
            .and_then(|v| v.split('&').next())
            .unwrap()
            .parse()
            .unwrap();
        assert!((298..=300).contains(&validity), "{form}");
        otp.expire_at = Some(crate::message::now_millis() + 100 * 3_600_000);
        assert!(r.form(&otp).contains("ValidityPeriod=36000"));
    }

    #[test]
    fn answers_parse() {
        let created: Created = serde_json::from_str(
            r#"{"account_sid":"ACaaaa","api_version":"2010-04-01","body":"Hello! 👍","error_code":null,
                "num_segments":"1","price":"-0.00750","price_unit":"USD",
                "sid":"SM0123456789abcdef0123456789abcdef","status":"queued"}"#,
        )
        .unwrap();
        assert_eq!(
            created.sid.as_deref(),
            Some("SM0123456789abcdef0123456789abcdef")
        );
        assert_eq!(created.status.as_deref(), Some("queued"));
        assert_eq!(parse_price(created.price.as_deref()), Some(0.0075));
        assert_eq!(parse_price(None), None);
        assert_eq!(parse_price(Some("NaN")), None);
        let e: TwilioError = serde_json::from_str(
            r#"{"code": 21211, "message": "The 'To' number is not a valid phone number.",
                "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}"#,
        )
        .unwrap();
        assert_eq!(e.code, Some(21211));
        assert_eq!(e.status, Some(400));
    }

    #[test]
    fn errors_are_classified_by_the_reference_table() {
        use ErrorClass::*;
        for (status, code, class) in [
            (400, Some(21211), Permanent),
            (400, Some(21610), Permanent),
            (400, Some(21614), Permanent),
            (400, Some(21408), RetryElsewhere),
            (400, Some(21611), RetryElsewhere),
            (400, Some(30034), RetryElsewhere),
            (401, Some(20003), RouteBroken),
            (403, None, RouteBroken),
            (429, Some(20429), RetryHere),
            (400, Some(20429), RetryHere),
            (404, Some(20404), RetryElsewhere),
            (500, Some(20500), RetryElsewhere),
            (502, None, Ambiguous),
            (503, None, Ambiguous),
            (400, None, Permanent),
            (400, Some(21617), Permanent),
            // Codes not in the table (21212 invalid From): another route may succeed.
            (400, Some(21212), RetryElsewhere),
        ] {
            assert_eq!(classify(status, code), class, "{status} {code:?}");
        }
    }
}
