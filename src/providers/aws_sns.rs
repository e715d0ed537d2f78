//! AWS SNS `Publish` to a phone number as a [`Route`]: a form POST (query protocol,
//! `Version=2010-03-31`) to `{endpoint}/` (default `https://sns.{region}.amazonaws.com/`)
//! with `PhoneNumber`, `Message` and the message attributes `AWS.SNS.SMS.SenderID` (when
//! configured) and `AWS.SNS.SMS.SMSType` (`Promotional` for promotional messages,
//! `Transactional` otherwise), signed with SigV4 by the official `aws-sigv4` crate over
//! `content-type;host;x-amz-date`. The answer is XML: `MessageId` on success, `Code` in an
//! `ErrorResponse`, read by a small extractor that never panics on garbage.
//!
//! Never imports modem/, store/, dispatch/ or anything above; never logs the message or
//! the secret key. SNS has no delivery callback and no price in its answer: the configured
//! `cost_per_message` is recorded; the one `MessageId` goes on every segment's receipt.

use super::http::{self as common, Core};
use crate::config::{AwsSnsConfig, ConfigError};
use crate::message::SmsType;
use crate::route::{
    ErrorClass, OutboundMessage, Route, RouteError, RouteSnapshot, SegmentReceipt, SendFuture,
};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use std::time::SystemTime;

/// The content type SNS requests are sent (and signed) with.
pub const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// The SNS route.
pub struct AwsSnsRoute {
    core: Core,
    url: String,
    region: String,
    access_key_id: String,
    secret_access_key: String,
    sender_id: Option<String>,
}

/// The headers a signature adds (`X-Amz-Date`, `Authorization`) and the hex signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// Headers to set on the request.
    pub headers: Vec<(String, String)>,
    /// The hex signature.
    pub signature: String,
}

/// Signs a POST of `body` to `url` with SigV4 for service `sns` at `time`.
pub fn sign_request(
    url: &str,
    body: &[u8],
    region: &str,
    access_key_id: &str,
    secret_access_key: &str,
    time: SystemTime,
) -> Result<Signed, String> {
    // aws-sigv4 needs a host in the URL; check rather than let it fail inside.
    let parsed = reqwest::Url::parse(url).map_err(|e| e.to_string())?;
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("the endpoint has no host".into());
    }
    let identity = Credentials::new(access_key_id, secret_access_key, None, None, "smsgate").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sns")
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let request = SignableRequest::new(
        "POST",
        url,
        [("content-type", CONTENT_TYPE)].into_iter(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, signature) = sign(request, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    let headers = instructions
        .headers()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Ok(Signed { headers, signature })
}

/// The text of the first `<tag>…</tag>` in `xml`, with the five XML entities and numeric
/// character references decoded; `None` when absent or malformed.
pub fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let rest = xml.get(start..)?;
    let end = rest.find(&close)?;
    let raw = rest.get(..end)?;
    if raw.contains('<') {
        return None;
    }
    unescape(raw)
}

fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp)?);
        let after = rest.get(amp + 1..)?;
        let semi = after.find(';')?;
        let entity = after.get(..semi)?;
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(hex) = entity.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()?
                } else {
                    entity.strip_prefix('#')?.parse().ok()?
                };
                char::from_u32(code)?
            }
        };
        out.push(c);
        rest = after.get(semi + 1..)?;
    }
    out.push_str(rest);
    Some(out)
}

/// The class of an SNS error: the HTTP status and the error `Code`.
pub fn classify(http_status: u16, code: Option<&str>) -> ErrorClass {
    match code {
        Some("Throttling" | "ThrottlingException" | "ThrottledException") => ErrorClass::RetryHere,
        Some(
            "SignatureDoesNotMatch"
            | "InvalidClientTokenId"
            | "AuthorizationError"
            | "AccessDenied"
            | "AccessDeniedException"
            | "ExpiredToken"
            | "InvalidSecurity"
            | "IncompleteSignature"
            | "MissingAuthenticationToken",
        ) => ErrorClass::RouteBroken,
        // The number is not valid (or has opted out of SMS from this account).
        Some(
            "InvalidParameter" | "InvalidParameterValue" | "ParameterValueInvalid" | "OptedOut",
        ) => ErrorClass::Permanent,
        Some(_) if http_status == 429 => ErrorClass::RetryHere,
        Some(_) if http_status == 401 || http_status == 403 => ErrorClass::RouteBroken,
        // SNS answered with an error of its own (InternalError, KMS…, quota): it refused.
        Some(_) if http_status >= 500 => ErrorClass::RetryElsewhere,
        Some(_) => ErrorClass::RetryElsewhere,
        None => match common::classify_status(http_status) {
            Some(class) => class,
            None if http_status >= 500 => ErrorClass::Ambiguous,
            None => ErrorClass::RetryElsewhere,
        },
    }
}

impl AwsSnsRoute {
    /// A route from its config.
    pub fn new(config: &AwsSnsConfig) -> Result<Self, ConfigError> {
        let core = Core::new("aws_sns", config.limits())?;
        let endpoint = config
            .endpoint
            .clone()
            .unwrap_or_else(|| format!("https://sns.{}.amazonaws.com", config.region));
        let key = if config.endpoint.is_some() {
            "providers.aws_sns.endpoint"
        } else {
            "providers.aws_sns.region"
        };
        let mut url =
            reqwest::Url::parse(&endpoint).map_err(|e| ConfigError::new(key, e.to_string()))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(ConfigError::new(key, "the endpoint has no host"));
        }
        if url.path().is_empty() {
            url.set_path("/");
        }
        Ok(Self {
            core,
            url: url.to_string(),
            region: config.region.clone(),
            access_key_id: config.access_key_id.clone(),
            secret_access_key: config.secret_access_key.expose().to_string(),
            sender_id: config.sender_id.clone(),
        })
    }

    /// The form body of the `Publish` for `message`.
    pub fn form(&self, message: &OutboundMessage) -> String {
        let sms_type = match message.sms_type {
            SmsType::Promotional => "Promotional",
            SmsType::Transactional | SmsType::Otp | SmsType::Alert => "Transactional",
        };
        let mut attributes: Vec<(&str, &str)> = Vec::new();
        if let Some(id) = &self.sender_id {
            attributes.push(("AWS.SNS.SMS.SenderID", id));
        }
        attributes.push(("AWS.SNS.SMS.SMSType", sms_type));
        let mut pairs: Vec<(String, String)> = vec![
            ("Action".into(), "Publish".into()),
            ("Version".into(), "2010-03-31".into()),
            ("PhoneNumber".into(), message.recipient.clone()),
            ("Message".into(), message.body.clone()),
        ];
        for (i, (name, value)) in attributes.into_iter().enumerate() {
            let n = i + 1;
            pairs.push((format!("MessageAttributes.entry.{n}.Name"), name.into()));
            pairs.push((
                format!("MessageAttributes.entry.{n}.Value.DataType"),
                "String".into(),
            ));
            pairs.push((
                format!("MessageAttributes.entry.{n}.Value.StringValue"),
                value.into(),
            ));
        }
        common::form_encode(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    async fn send_inner(
        &self,
        message: &OutboundMessage,
    ) -> Result<Vec<SegmentReceipt>, RouteError> {
        let _in_flight = self.core.begin().await;
        let body = self.form(message);
        let signed = sign_request(
            &self.url,
            body.as_bytes(),
            &self.region,
            &self.access_key_id,
            &self.secret_access_key,
            SystemTime::now(),
        )
        .map_err(|e| {
            self.core.error(
                ErrorClass::RetryElsewhere,
                format!("could not sign the request, nothing was sent: {e}"),
                None,
            )
        })?;
        let mut request = self
            .core
            .client()
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE);
        for (name, value) in &signed.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let answer = self.core.execute(request.body(body)).await?;
        if (200..300).contains(&answer.status) {
            self.core.record_sent(message.segments.len());
            let id = xml_text(&answer.body, "MessageId");
            return Ok(common::receipts_for_message(
                message,
                id.as_deref(),
                self.core.cost_per_message(),
            ));
        }
        let code = xml_text(&answer.body, "Code");
        let class = classify(answer.status, code.as_deref());
        let text = match (&code, xml_text(&answer.body, "Message")) {
            (Some(c), Some(m)) => format!("HTTP {}: SNS {c}: {m}", answer.status),
            (Some(c), None) => format!("HTTP {}: SNS {c}", answer.status),
            _ => format!("HTTP {} without an SNS error body", answer.status),
        };
        Err(self.core.error(class, text, answer.retry_after))
    }
}

impl Route for AwsSnsRoute {
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
    use std::time::Duration;

    /// The body of the reference's SigV4 vector (providers.md §3.2), 536 bytes.
    const VECTOR_BODY: &str = "Action=Publish&Version=2010-03-31&PhoneNumber=%2B15558675310&Message=Hi+%E2%9C%93&MessageAttributes.entry.1.Name=AWS.SNS.SMS.SenderID&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=ACME&MessageAttributes.entry.2.Name=AWS.SNS.SMS.SMSType&MessageAttributes.entry.2.Value.DataType=String&MessageAttributes.entry.2.Value.StringValue=Transactional&MessageAttributes.entry.3.Name=AWS.SNS.SMS.MaxPrice&MessageAttributes.entry.3.Value.DataType=Number&MessageAttributes.entry.3.Value.StringValue=0.50";

    /// 2026-11-21T09:03:17Z.
    fn vector_time() -> SystemTime {
        let t = time::macros::datetime!(2026-11-21 09:03:17 UTC);
        SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(t.unix_timestamp()).unwrap())
    }

    #[test]
    fn sigv4_matches_the_reference_vector() {
        assert_eq!(VECTOR_BODY.len(), 536);
        let signed = sign_request(
            "http://127.0.0.1:8765/",
            VECTOR_BODY.as_bytes(),
            "eu-west-1",
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            vector_time(),
        )
        .unwrap();
        assert_eq!(
            signed.signature,
            "b2e4b0e8098938b9b32eda557925f4bba85abcf1a9fcd765a1ee2dddbdb74067"
        );
        let header = |name: &str| {
            signed
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        assert_eq!(header("x-amz-date").as_deref(), Some("20261121T090317Z"));
        assert_eq!(
            header("authorization").as_deref(),
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/eu-west-1/sns/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date, \
                 Signature=b2e4b0e8098938b9b32eda557925f4bba85abcf1a9fcd765a1ee2dddbdb74067"
            )
        );
        // Another secret, another signature.
        let other = sign_request(
            "http://127.0.0.1:8765/",
            VECTOR_BODY.as_bytes(),
            "eu-west-1",
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEz",
            vector_time(),
        )
        .unwrap();
        assert_ne!(other.signature, signed.signature);
    }

    fn route(sender_id: Option<&str>) -> AwsSnsRoute {
        AwsSnsRoute::new(&AwsSnsConfig {
            region: "eu-west-1".into(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            endpoint: Some("http://127.0.0.1:8765".into()),
            sender_id: sender_id.map(str::to_string),
            ..AwsSnsConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn publish_form_is_the_vectors_without_max_price() {
        let r = route(Some("ACME"));
        assert_eq!(r.url, "http://127.0.0.1:8765/");
        let expected = VECTOR_BODY
            .split("&MessageAttributes.entry.3")
            .next()
            .unwrap();
        assert_eq!(r.form(&message(1)), expected);
        let mut promo = message(1);
        promo.sms_type = SmsType::Promotional;
        assert_eq!(
            route(None).form(&promo),
            "Action=Publish&Version=2010-03-31&PhoneNumber=%2B15558675310&Message=Hi+%E2%9C%93&MessageAttributes.entry.1.Name=AWS.SNS.SMS.SMSType&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=Promotional"
        );
        let default = AwsSnsRoute::new(&AwsSnsConfig {
            region: "us-east-1".into(),
            ..AwsSnsConfig::default()
        })
        .unwrap();
        assert_eq!(default.url, "https://sns.us-east-1.amazonaws.com/");
    }

    #[test]
    fn xml_answers_are_read_carefully() {
        let ok = r#"<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>11caad4f-b3de-4ea8-be8f-8b42880eb653</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>"#;
        assert_eq!(
            xml_text(ok, "MessageId").as_deref(),
            Some("11caad4f-b3de-4ea8-be8f-8b42880eb653")
        );
        let err = r#"<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>Phone number does not meet the E164 format &amp; &#x41;&#66;</Message></Error><RequestId>x</RequestId></ErrorResponse>"#;
        assert_eq!(xml_text(err, "Code").as_deref(), Some("InvalidParameter"));
        assert_eq!(
            xml_text(err, "Message").as_deref(),
            Some("Phone number does not meet the E164 format & AB")
        );
        for garbage in [
            "",
            "<MessageId>",
            "<MessageId>abc",
            "</MessageId><MessageId>",
            "<MessageId><x/></MessageId>",
            "<MessageId>a&bogus;</MessageId>",
            "<MessageId>a&#xFFFFFFFF;</MessageId>",
            "<MessageId>a&</MessageId>",
            "<MessageId>é&#1114112;</MessageId>",
        ] {
            assert_eq!(xml_text(garbage, "MessageId"), None, "{garbage}");
        }
    }

    #[test]
    fn errors_are_classified() {
        use ErrorClass::*;
        for (status, code, class) in [
            (400, Some("InvalidParameter"), Permanent),
            (400, Some("Throttling"), RetryHere),
            (403, Some("SignatureDoesNotMatch"), RouteBroken),
            (403, Some("InvalidClientTokenId"), RouteBroken),
            (403, Some("SomethingElse"), RouteBroken),
            (500, Some("InternalError"), RetryElsewhere),
            (400, Some("KMSDisabled"), RetryElsewhere),
            (503, None, Ambiguous),
            (401, None, RouteBroken),
            (429, None, RetryHere),
            (404, None, RetryElsewhere),
        ] {
            assert_eq!(classify(status, code), class, "{status} {code:?}");
        }
    }
}
